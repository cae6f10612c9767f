import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SealError } from '@seal/core';
import { openDevRegistry, REPO_ROOT, tempDir } from '../testing/fixtures.js';
import { checkConsistencyProof, checkInclusionProof, leafData, newEntryId } from './usage-log.js';
import { openCheckpoint } from './checkpoint.js';
import { leafHash } from './merkle.js';

const h = (i: number): string => i.toString(16).padStart(64, '0');
const entry = (i: number) => ({ sealId: 'seal_x', agencyId: 'ag_x', accountId: 'acc_x', documentKind: 'pdf', documentSha256: h(i), signatureSha256: h(1_000_000 + i) });

describe('usage log', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it.each(['inline', 'thread'] as const)('group-commits concurrent appends, signs checkpoints and proves inclusion and consistency (%s writer)', async (logWriter) => {
    const reg = await openDevRegistry(join(t.dir, `a-${logWriter}.db`), { logWriter });
    try {
      const first = await Promise.all(Array.from({ length: 100 }, (_, i) => reg.appendUsage(entry(i))));
      expect(first.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      // one transaction and one checkpoint for the whole concurrent burst
      expect(reg.store.db.prepare('SELECT count(*) FROM log_checkpoints').pluck().get()).toBe(1);
      const cp1 = reg.usageLog.latestCheckpoint();
      expect(cp1?.treeSize).toBe(100);
      for (let i = 100; i < 137; i++) await reg.appendUsage(entry(i));
      const cp2 = reg.usageLog.latestCheckpoint();
      expect(cp2?.treeSize).toBe(137);

      // the note is a C2SP checkpoint signed by the log key
      const key = reg.usageLog.key;
      const opened = openCheckpoint(cp2?.note as string, key);
      expect(opened?.treeSize).toBe(137);
      expect(Buffer.from(opened?.rootHash as Uint8Array).toString('hex')).toBe(cp2?.rootHash);
      expect(cp2?.note).toMatch(/^seal-registry\/[0-9a-f]+\n137\n[A-Za-z0-9+/]{43}=\n\n\u2014 \S+ [A-Za-z0-9+/]+=*\n$/);
      expect(openCheckpoint((cp2?.note as string).replace('\n137\n', '\n138\n'), key)).toBeNull();
      expect(reg.logVerifierKey).toMatch(/^seal-registry\/[0-9a-f]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);

      for (const i of [0, 1, 50, 99, 136]) {
        const p = reg.usageLog.inclusionProof(i);
        expect(checkInclusionProof(p, cp2?.rootHash as string)).toBe(true);
        expect(checkInclusionProof({ ...p, index: (i + 1) % 137 }, cp2?.rootHash as string)).toBe(false);
      }
      expect(checkInclusionProof(reg.usageLog.inclusionProof(42, 100), cp1?.rootHash as string)).toBe(true);
      const c = reg.usageLog.consistencyProof(100, 137);
      expect(checkConsistencyProof(c, cp1?.rootHash as string, cp2?.rootHash as string)).toBe(true);
      expect(checkConsistencyProof(c, cp2?.rootHash as string, cp1?.rootHash as string)).toBe(false);

      const e = reg.usageLog.getEntry(7);
      expect(e?.documentSha256).toBe(h(7));
      expect(reg.usageLog.entriesForSeal('seal_x', 5)).toHaveLength(5);
      expect(reg.verifyLog()).toMatchObject({ ok: true, entries: 137, checkpointSize: 137 });
      // bad entries are refused before they reach the batch
      await expect(reg.appendUsage({ ...entry(1), documentSha256: 'xyz' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
      await expect(reg.appendUsage({ ...entry(1), documentKind: 'PDF with spaces' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
      // the database itself refuses updates and deletes
      expect(() => reg.store.db.prepare("UPDATE usage_log SET document_kind = 'x' WHERE idx = 1").run()).toThrow(/append-only/);
      expect(() => reg.store.db.prepare('DELETE FROM usage_log WHERE idx = 1').run()).toThrow(/append-only/);
      expect(() => reg.usageLog.inclusionProof(137)).toThrow(SealError);
    } finally {
      await reg.close();
    }
  });

  const tamperCase = async (name: string, edit: (db: Database.Database, file: string) => void) => {
    const file = join(t.dir, `${name}.db`);
    const reg = await openDevRegistry(file);
    await Promise.all(Array.from({ length: 40 }, (_, i) => reg.appendUsage(entry(i))));
    await Promise.all(Array.from({ length: 10 }, (_, i) => reg.appendUsage(entry(40 + i))));
    expect(reg.verifyLog().ok).toBe(true);
    await reg.close();
    const db = new Database(file);
    edit(db, file);
    db.close();
    const again = await openDevRegistry(file);
    try {
      return again.verifyLog();
    } finally {
      await again.close();
    }
  };

  it('finds a row edited in the database file (raw bytes)', async () => {
    const v = await tamperCase('bytes', (db, file) => {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      const bytes = readFileSync(file);
      const needle = Buffer.from(h(17));
      // SQLite may keep a stale copy of the page; patch every copy of the value
      let at = bytes.indexOf(needle);
      expect(at).toBeGreaterThan(0);
      while (at >= 0) {
        bytes[at + 63] = '9'.charCodeAt(0);
        at = bytes.indexOf(needle, at + 1);
      }
      writeFileSync(file, bytes);
    });
    expect(v.ok).toBe(false);
    expect(v.problems).toContainEqual({ kind: 'leaf-modified', at: 17 });
  });

  it('finds a row rewritten together with its leaf hash (root no longer matches the signed checkpoints)', async () => {
    const v = await tamperCase('rehash', (db) => {
      db.exec('DROP TRIGGER usage_log_no_update');
      const row = db.prepare('SELECT * FROM usage_log WHERE idx = 3').get() as Record<string, unknown>;
      const forged = { idx: 3, at: row['at'] as number, sealId: 'seal_x', agencyId: 'ag_x', accountId: 'acc_x', documentKind: 'pdf', documentSha256: h(999), signatureSha256: row['signature_sha256'] as string };
      db.prepare('UPDATE usage_log SET document_sha256 = ?, leaf_hash = ? WHERE idx = 3').run(h(999), leafHash(leafData(forged)));
    });
    expect(v.ok).toBe(false);
    expect(v.problems.some((p) => p.kind === 'root-mismatch')).toBe(true);
    expect(v.problems.some((p) => p.kind === 'leaf-modified')).toBe(false);
  });

  it('finds a deleted row and an inserted row', async () => {
    const deleted = await tamperCase('delete', (db) => {
      db.exec('DROP TRIGGER usage_log_no_delete');
      db.prepare('DELETE FROM usage_log WHERE idx = 25').run();
    });
    expect(deleted.ok).toBe(false);
    expect(deleted.problems).toContainEqual({ kind: 'index-gap', at: 25 });
    expect(deleted.problems).toContainEqual({ kind: 'missing-entries', at: 49 });

    const inserted = await tamperCase('insert', (db) => {
      const forged = { idx: 50, at: 0, sealId: 'seal_x', agencyId: 'ag_x', accountId: 'acc_x', documentKind: 'pdf', documentSha256: h(5), signatureSha256: h(6) };
      db.prepare(
        'INSERT INTO usage_log (idx, at, seal_id, agency_id, account_id, document_kind, document_sha256, signature_sha256, leaf_hash) VALUES (50, 0, ?, ?, ?, ?, ?, ?, ?)',
      ).run('seal_x', 'ag_x', 'acc_x', 'pdf', h(5), h(6), leafHash(leafData(forged)));
    });
    expect(inserted.ok).toBe(false);
    expect(inserted.problems).toContainEqual({ kind: 'unsigned-entries', at: 50 });

    const forgedCheckpoint = await tamperCase('checkpoint', (db) => {
      db.exec('DROP TRIGGER log_checkpoints_no_update');
      db.prepare("UPDATE log_checkpoints SET note = replace(note, '\n50\n', '\n51\n') WHERE tree_size = 50").run();
    });
    expect(forgedCheckpoint.problems).toContainEqual({ kind: 'bad-checkpoint-signature', at: 50 });
  });

  it.each(['inline', 'thread'] as const)('keeps every acknowledged append after SIGKILL in the middle of a batch (%s writer)', async (logWriter) => {
    const file = join(t.dir, `crash-${logWriter}.db`);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./testing/append-child.ts', import.meta.url)), file, logWriter], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const acked = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child did not make progress: ${err}`));
      }, 45_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const lines = out.split('\n');
        if (lines.length > 1500) {
          child.kill('SIGKILL');
          clearTimeout(timer);
          // let the pipe drain what was written before the kill
          child.on('close', () => resolve((out.split('\n').slice(0, -1)).map(Number)));
        }
      });
    });
    expect(child.signalCode).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThan(1500);
    const reg = await openDevRegistry(file);
    try {
      const v = reg.verifyLog();
      expect(v.ok).toBe(true);
      const max = Math.max(...acked);
      expect(v.entries).toBeGreaterThan(max);
      for (const i of acked) expect(reg.usageLog.getEntry(i)?.documentSha256).toBe(h(i));
      // the log keeps going after the crash
      const next = await reg.appendUsage(entry(1));
      expect(next.index).toBe(v.entries);
      expect(reg.verifyLog().ok).toBe(true);
    } finally {
      await reg.close();
    }
  });
  it('entry ids: random, recorded before sealing, covered by the leaf hash, found by id; old v1 rows still verify after the migration', async () => {
    const file = join(t.dir, 'ids.db');
    let reg = await openDevRegistry(file);
    await reg.appendUsage(entry(1));
    await reg.appendUsage(entry(2));
    await reg.close();
    // Turn the file into a schema-2 database (no entry_id column), as written before migration 3.
    const raw = new Database(file);
    raw.exec('DROP INDEX usage_log_entry_id; ALTER TABLE usage_log DROP COLUMN entry_id;');
    raw.pragma('user_version = 2');
    raw.close();

    reg = await openDevRegistry(file);
    try {
      expect(reg.store.db.pragma('user_version', { simple: true })).toBe(3);
      expect(reg.verifyLog()).toMatchObject({ ok: true, entries: 2 });
      expect(reg.usageLog.getEntry(0)?.entryId).toBeNull();
      const id = newEntryId();
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(newEntryId()).not.toBe(id);
      const r = await reg.appendUsage({ ...entry(3), entryId: id });
      expect(r.index).toBe(2);
      const got = reg.usageLog.getEntryById(id);
      expect(got).toMatchObject({ index: 2, entryId: id, documentSha256: h(3) });
      expect(reg.usageLog.getEntry(2)?.entryId).toBe(id);
      expect(reg.usageLog.getEntryById(newEntryId())).toBeNull();
      expect(reg.usageLog.getEntryById('2')).toBeNull();
      expect(reg.usageLog.getEntryById(id.toUpperCase())).toBeNull();
      // the id is part of the leaf: v2 leaf data differs from the v1 layout
      const row = reg.store.getLeaf(2);
      expect(Buffer.from(row?.leafHash as Uint8Array).equals(Buffer.from(leafHash(leafData({ ...(row as NonNullable<typeof row>), entryId: null }))))).toBe(false);
      expect(reg.verifyLog()).toMatchObject({ ok: true, entries: 3 });
      // reuse and malformed ids are refused before they reach the batch
      await expect(reg.appendUsage({ ...entry(4), entryId: id })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
      await expect(reg.appendUsage({ ...entry(4), entryId: 'not-an-id' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
      expect(reg.verifyLog()).toMatchObject({ ok: true, entries: 3 });
      // also while the first use of an id is still queued, not yet committed
      const fresh = newEntryId();
      const queued = reg.appendUsage({ ...entry(5), entryId: fresh });
      await expect(reg.appendUsage({ ...entry(6), entryId: fresh })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
      expect((await queued).index).toBe(3);
      expect(reg.verifyLog()).toMatchObject({ ok: true, entries: 4 });
    } finally {
      await reg.close();
    }
    // Changing a stored entry id is detected (the raw file bypasses the append-only triggers).
    const raw2 = new Database(file);
    raw2.exec('DROP TRIGGER usage_log_no_update');
    raw2.prepare('UPDATE usage_log SET entry_id = ? WHERE idx = 2').run(newEntryId());
    raw2.close();
    reg = await openDevRegistry(file);
    try {
      const v = reg.verifyLog();
      expect(v.ok).toBe(false);
      expect(v.problems).toContainEqual({ kind: 'leaf-modified', at: 2 });
    } finally {
      await reg.close();
    }
  });

  it('threaded writer fails closed: a commit that cannot be written is refused to every caller, and the log goes on intact', async () => {
    const reg = await openDevRegistry(join(t.dir, 'writer-fails.db'), { logWriter: 'thread' });
    try {
      expect((await Promise.all([0, 1, 2].map((i) => reg.appendUsage(entry(i))))).map((r) => r.index)).toEqual([0, 1, 2]);
      // the writer thread's INSERT now fails (the trigger is seen by its connection too)
      reg.store.db.exec("CREATE TRIGGER refuse_all BEFORE INSERT ON usage_log BEGIN SELECT RAISE(ABORT, 'disk says no'); END;");
      const refused = await Promise.allSettled([3, 4].map((i) => reg.appendUsage(entry(i))));
      for (const r of refused) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'ERR_INTERNAL' } });
      expect(reg.verifyLog()).toMatchObject({ ok: true, entries: 3, checkpointSize: 3 });
      reg.store.db.exec('DROP TRIGGER refuse_all');
      // nothing of the refused batch was kept: the next entry takes index 3
      expect((await reg.appendUsage(entry(5))).index).toBe(3);
      expect(reg.verifyLog()).toMatchObject({ ok: true, entries: 4, checkpointSize: 4 });
    } finally {
      await reg.close();
    }
  });
});
