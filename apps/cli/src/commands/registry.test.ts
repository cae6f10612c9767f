/** `seal registry ...` over a real registry database; one run through the real CLI process. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SealError } from '@seal/core';
import { openRegistryStore } from '@seal/registry';
import { openDevRegistry, tempDir, REPO_ROOT } from '../../../../packages/registry/src/testing/fixtures.js';
import { registryCommand } from './registry.js';

async function run(argv: string[]): Promise<{ code: number | string; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    return { code: await registryCommand(argv), out };
  } catch (e) {
    return { code: e instanceof SealError ? e.code : String(e), out };
  } finally {
    spy.mockRestore();
  }
}

const h = (i: number): string => i.toString(16).padStart(64, '0');

describe('seal registry commands', () => {
  const t = tempDir('seal-cli-registry-');
  afterAll(() => t.cleanup());
  const db = join(t.dir, 'data', 'registry.db');

  it('bootstraps, lists, shows history, verifies the log, backs up and restores', async () => {
    const boot = await run(['bootstrap-admin', '--name', 'first admin', '--db', db, '--json']);
    expect(boot.code).toBe(0);
    const created = JSON.parse(boot.out) as { apiKey: string; account: { id: string; role: string } };
    expect(created.account.role).toBe('admin');
    expect((await run(['bootstrap-admin', '--name', 'again', '--db', db])).code).toBe('ERR_CONFLICT');
    // a fresh database has an empty, trivially intact log
    expect(JSON.parse((await run(['verify-log', '--db', db, '--json'])).out)).toMatchObject({ ok: true, entries: 0 });

    // the library does the rest of the work with the admin the CLI made
    const reg = await openDevRegistry(db);
    const admin = await reg.authenticate(created.apiKey);
    const ag = reg.createAgency(admin, 'Agency CLI');
    const off = (await reg.createAccount(admin, { name: 'o', role: 'officer', agencyId: ag.id })).account;
    const req = reg.requestSeal(off, { agencyId: ag.id, kind: 'official', name: 'CLI seal', algorithm: 'EC-P256' });
    reg.approveRequest(admin, req.id);
    const seal = await reg.issueSeal(off, req.id);
    await reg.suspendSeal(off, seal.id);
    await Promise.all(Array.from({ length: 20 }, (_, i) => reg.appendUsage({ sealId: seal.id, agencyId: ag.id, accountId: off.id, documentKind: 'pdf', documentSha256: h(i), signatureSha256: h(i + 100) })));
    await reg.close();

    const agencies = await run(['agencies', '--db', db, '--json']);
    expect(JSON.parse(agencies.out)).toEqual([expect.objectContaining({ id: ag.id, name: 'Agency CLI' })]);
    expect((await run(['agencies', '--db', db])).out).toContain('Agency CLI');
    const seals = JSON.parse((await run(['seals', '--db', db, '--json', '--agency', ag.id])).out) as Array<{ id: string; state: string; serial: string }>;
    expect(seals).toEqual([expect.objectContaining({ id: seal.id, state: 'suspended', serial: seal.serial })]);
    const history = JSON.parse((await run(['history', seal.id, '--db', db, '--json'])).out) as Array<{ action: string; actorId: string }>;
    expect(history.map((e) => [e.action, e.actorId])).toEqual([
      ['requested', off.id],
      ['approved', admin.id],
      ['issued', off.id],
      ['suspended', off.id],
    ]);
    expect((await run(['history', 'seal_nope', '--db', db])).code).toBe('ERR_SEAL_NOT_FOUND');

    const ok = await run(['verify-log', '--db', db, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, entries: 20 });

    const backup = join(t.dir, 'backup.db');
    expect((await run(['backup', backup, '--db', db])).code).toBe(0);
    expect(existsSync(backup)).toBe(true);
    expect((await run(['backup', backup, '--db', db])).code).toBe('ERR_INPUT_INVALID');

    // tamper with the live database's bytes, then check it through the real CLI process
    const raw = openRegistryStore(db);
    raw.db.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const bytes = readFileSync(db);
    let at = bytes.indexOf(Buffer.from(h(7)));
    expect(at).toBeGreaterThan(0);
    while (at >= 0) {
      bytes[at + 63] = 'a'.charCodeAt(0);
      at = bytes.indexOf(Buffer.from(h(7)), at + 1);
    }
    writeFileSync(db, bytes);
    const main = fileURLToPath(new URL('../main.ts', import.meta.url));
    const cli = spawnSync(process.execPath, ['--import', 'tsx', main, 'registry', 'verify-log', '--db', db], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stdout).toContain('TAMPERED');
    expect(cli.stdout).toContain('leaf-modified at 7');

    expect((await run(['restore', backup, '--db', db])).code).toBe('ERR_CONFLICT');
    expect((await run(['restore', backup, '--db', db, '--force'])).code).toBe(0);
    const restored = await run(['verify-log', '--db', db, '--json']);
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.out)).toMatchObject({ ok: true, entries: 20 });
    // a non-database is refused and the target left alone
    const junk = join(t.dir, 'junk.db');
    writeFileSync(junk, 'not sqlite at all, just text that is long enough to look like a file');
    expect((await run(['restore', junk, '--db', db, '--force'])).code).toBe('ERR_INPUT_INVALID');
    expect((await run(['verify-log', '--db', db])).code).toBe(0);
  });

  it('pins the log key with --log-key and refuses a different one', async () => {
    const file = join(t.dir, 'k.db');
    const reg = await openDevRegistry(file);
    await reg.appendUsage({ sealId: 's', agencyId: 'a', accountId: 'b', documentKind: 'json', documentSha256: h(1), signatureSha256: h(2) });
    const vkey = reg.logVerifierKey;
    await reg.close();
    const other = await openDevRegistry(join(t.dir, 'other.db'));
    const otherKey = other.logVerifierKey;
    await other.close();
    expect((await run(['verify-log', '--db', file, '--log-key', vkey])).code).toBe(0);
    const wrong = await run(['verify-log', '--db', file, '--log-key', otherKey, '--json']);
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.out).problems).toContainEqual({ kind: 'bad-checkpoint-signature', at: 1 });
    expect((await run(['verify-log', '--db', file, '--log-key', 'garbage'])).code).toBe('ERR_INPUT_INVALID');
  });

  it('reports usage errors and missing databases', async () => {
    expect((await run(['frobnicate'])).code).toBe('ERR_USAGE');
    expect((await run(['history', '--db', db])).code).toBe('ERR_USAGE');
    expect((await run(['agencies', '--db', join(t.dir, 'missing.db')])).code).toBe('ERR_INPUT_INVALID');
    expect(existsSync(join(t.dir, 'missing.db'))).toBe(false);
  });
});
