import { spawn } from 'node:child_process';
import { createHmac, createPrivateKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createSoftwareSigner, createTimestampAuthority, createTsaHttpHandler, toSealError } from '@seal/core';
import { jsonCommand } from './json.js';
import { PROJECT_ROOT } from '../../../../test-support/corpus.js';
import { buildTestPki, type TestPki } from '../../../../packages/core/src/pki/test-pki.js';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const MAIN = join(PROJECT_ROOT, 'apps', 'cli', 'src', 'main.ts');
const DEV = join(PROJECT_ROOT, 'certs-dev');

/** The real `seal` binary in a child process (slow: used where the process boundary matters). */
function sealProcess(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(TSX, [MAIN, ...args], { cwd: PROJECT_ROOT, env: { ...process.env, SEAL_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `seal json ...` in-process, mapping errors to exit codes exactly as main.ts does. */
async function seal(group: 'json', ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  expect(group).toBe('json');
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += c.toString()), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += c.toString()), true));
  let code: number;
  try {
    code = await jsonCommand(args);
  } catch (e) {
    const se = toSealError(e);
    stderr += `seal: ${se.message.split('\n')[0]}\n`;
    code = se.exitCode;
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { code, stdout, stderr };
}

const b64u = (s: string | Buffer): string => Buffer.from(s).toString('base64url');
const noStack = (stderr: string): void => {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toMatch(/PRIVATE KEY/);
};

describe('seal json sign / verify', () => {
  let pki: TestPki;
  let dir: string;
  let key: string[];
  let trust: string[];
  const doc = '{"decision":"granted","file":"2026/0042","amount":1250.5}';

  beforeAll(() => {
    pki = buildTestPki();
    dir = mkdtempSync(join(tmpdir(), 'seal-json-cli-'));
    writeFileSync(join(dir, 'doc.json'), doc);
    key = ['--cert', pki.file('leaf.pem'), '--key', pki.file('leaf.key'), '--chain', pki.file('ca.pem')];
    trust = ['--trust', pki.file('root.pem'), '--crl', pki.file('root.crl'), '--crl', pki.file('ca-revoked.crl'), '--offline'];
  });

  it('seals compact and verifies --json with exit 0 and the contract report', async () => {
    const out = join(dir, 'doc.jws');
    const s = await seal('json', 'sign', join(dir, 'doc.json'), '-o', out, ...key);
    expect(s.code, s.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('.')).toHaveLength(3);
    const v = await seal('json', 'verify', out, ...trust, '--json');
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { indication: string; signatures: Array<Record<string, unknown>> };
    expect(report.indication).toBe('TOTAL_PASSED');
    const sig = report.signatures[0]!;
    for (const k of ['indication', 'subIndication', 'signer', 'signingTime', 'trusted', 'revocation', 'coversWholeDocument', 'modifications', 'timestamp', 'level']) expect(sig).toHaveProperty(k);
    expect(sig['signer']).toMatchObject({ subject: expect.stringMatching(/Agency Test Seal/) as unknown });
    // Readable form, and INDETERMINATE (2) without anchors.
    const human = await seal('json', 'verify', out, ...trust);
    expect(human.stdout).toMatch(/Verification: TOTAL_PASSED/);
    expect((await seal('json', 'verify', out, '--offline')).code).toBe(2);
  });

  it('seals with a PKCS#12, JSON format, detached and canonical; a re-serialised payload verifies, a changed one fails', async () => {
    const out = join(dir, 'doc-canon.json');
    const s = await seal('json', 'sign', join(dir, 'doc.json'), '-o', out, '--p12', join(DEV, 'agency-a-rsa.p12'), '--password', 'dev-only', '--format', 'json', '--detached', '--canonical', '--alg', 'PS256');
    expect(s.code, s.stderr).toBe(0);
    const jws = JSON.parse(readFileSync(out, 'utf8')) as { payload?: string; signatures: unknown[] };
    expect(jws.payload).toBeUndefined();
    writeFileSync(join(dir, 'respaced.json'), '{ "amount": 1250.50, "file": "2026\\/0042", "decision": "granted" }');
    writeFileSync(join(dir, 'changed.json'), '{ "amount": 1250.51, "file": "2026/0042", "decision": "granted" }');
    const ok = await seal('json', 'verify', out, '--payload', join(dir, 'respaced.json'), '--trust', join(DEV, 'root-ca.pem'), '--offline', '--json');
    // The dev PKI publishes no CRL file: the signature is sound, revocation unknown -> INDETERMINATE (2).
    expect(ok.code, ok.stderr).toBe(2);
    expect(JSON.parse(ok.stdout)).toMatchObject({ signatures: [{ subIndication: 'TRY_LATER', alg: 'PS256', canonical: true, coversWholeDocument: true }] });
    const bad = await seal('json', 'verify', out, '--payload', join(dir, 'changed.json'), '--trust', join(DEV, 'root-ca.pem'), '--offline', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ indication: 'TOTAL_FAILED', signatures: [{ subIndication: 'SIG_CRYPTO_FAILURE' }] });
  });

  it('co-seals an existing JSON seal with a second key', async () => {
    const first = join(dir, 'first.json');
    const both = join(dir, 'both.json');
    expect((await seal('json', 'sign', join(dir, 'doc.json'), '-o', first, '--format', 'json', ...key)).code).toBe(0);
    const s = await seal('json', 'sign', join(dir, 'doc.json'), '-o', both, '--co-seal', first, '--cert', pki.file('leaf2.pem'), '--key', pki.file('leaf2.key'), '--chain', pki.file('ca.pem'));
    expect(s.code, s.stderr).toBe(0);
    const v = await seal('json', 'verify', both, ...trust, '--json');
    const report = JSON.parse(v.stdout) as { signatures: Array<{ indication: string; subIndication: string | null }> };
    // leaf2 is revoked (keyCompromise) before the validation time, with only a claimed time.
    expect(report.signatures.map((x) => [x.indication, x.subIndication])).toEqual([['TOTAL_PASSED', null], ['INDETERMINATE', 'REVOKED_NO_POE']]);
    expect(v.code).toBe(2);
  });

  it('hostile tokens derived from a good seal exit 1 with no stack trace', async () => {
    const good = join(dir, 'good.jws');
    expect((await seal('json', 'sign', join(dir, 'doc.json'), '-o', good, ...key)).code).toBe(0);
    const [h, p, s] = readFileSync(good, 'utf8').trim().split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    const cert = Buffer.from((header['x5c'] as string[])[0]!, 'base64');
    const hs = b64u(JSON.stringify({ ...header, alg: 'HS256' }));
    const tokens: Record<string, string> = {
      'alg none': `${b64u(JSON.stringify({ ...header, alg: 'none' }))}.${p}.`,
      'HS256 keyed with the certificate': `${hs}.${p}.${createHmac('sha256', cert).update(`${hs}.${p}`).digest('base64url')}`,
      'duplicated header member': `${b64u(JSON.stringify(header).replace('{', '{"alg":"ES384",'))}.${p}.${s}`,
      'jwk header': `${b64u(JSON.stringify({ ...header, jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } }))}.${p}.${s}`,
      'changed payload': `${h}.${b64u(doc.replace('granted', 'refused'))}.${s}`,
    };
    for (const [name, token] of Object.entries(tokens)) {
      const file = join(dir, `hostile-${name.replace(/\W+/g, '-')}.jws`);
      writeFileSync(file, token);
      const v = await seal('json', 'verify', file, ...trust, '--json');
      expect(v.code, `${name}: ${v.stderr}`).toBe(1);
      expect(JSON.parse(v.stdout)).toMatchObject({ indication: 'TOTAL_FAILED' });
      noStack(v.stderr);
    }
  });

  it('usage errors exit 64, malformed input 65, a plain JSON document 3; no output file left behind', async () => {
    const out = join(dir, 'never.jws');
    expect((await seal('json', 'sign', join(dir, 'doc.json'), ...key)).code).toBe(64);
    expect((await seal('json', 'sign', join(dir, 'doc.json'), '-o', out, ...key, '--format', 'xml')).code).toBe(64);
    expect((await seal('json', 'sign', join(dir, 'doc.json'), '-o', out, ...key, '--format', 'compact', '--tsa', 'http://127.0.0.1:9/')).code).toBe(64);
    writeFileSync(join(dir, 'dup.json'), '{"a":1,"a":2}');
    const dup = await seal('json', 'sign', join(dir, 'dup.json'), '-o', out, ...key);
    expect(dup.code).toBe(65);
    noStack(dup.stderr);
    const wrongPw = await seal('json', 'sign', join(dir, 'doc.json'), '-o', out, '--p12', join(DEV, 'agency-a-ec.p12'), '--password', 'nope');
    expect(wrongPw.code).toBe(65);
    noStack(wrongPw.stderr);
    expect(existsSync(out)).toBe(false);
    writeFileSync(join(dir, 'garbage.jws'), 'this is not a JWS');
    const g = await seal('json', 'verify', join(dir, 'garbage.jws'), '--offline');
    expect(g.code).toBe(65);
    expect(g.stderr.trim().split('\n')).toHaveLength(1);
    noStack(g.stderr);
    const plain = await seal('json', 'verify', join(dir, 'doc.json'), '--offline', '--json');
    expect(plain.code).toBe(3);
    expect(JSON.parse(plain.stdout)).toMatchObject({ indication: 'NO_SIGNATURE', signatures: [] });
    expect((await seal('json', 'verify', join(dir, 'doc.json'), '--at', 'yesterday')).code).toBe(64);
  });

  it('--tsa: B-T through an RFC 3161 TSA over HTTP; verify reports the proven time and level', async () => {
    const tsa = createTimestampAuthority({ signer: createSoftwareSigner(createPrivateKey(pki.pem('tsa.key')), [pki.der('tsa.pem'), pki.der('root.pem')]), policyOid: '1.3.6.1.4.1.99999.5' });
    const server: Server = createServer(createTsaHttpHandler(tsa));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const out = join(dir, 'doc-bt.json');
      const s = await seal('json', 'sign', join(dir, 'doc.json'), '-o', out, ...key, '--tsa', `http://127.0.0.1:${port}/`);
      expect(s.code, s.stderr).toBe(0);
      expect(s.stderr).toMatch(/B-T/);
      const v = await seal('json', 'verify', out, ...trust, '--json');
      expect(v.code, v.stdout).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ signatures: [{ level: 'B-T', signingTimeSource: 'timestamp', timestamp: { valid: true, trusted: true } }] });
      // An unreachable TSA: exit 69 (ERR_UPSTREAM) or 65, never a seal without its time-stamp.
      const down = join(dir, 'doc-bt-down.json');
      const d = await seal('json', 'sign', join(dir, 'doc.json'), '-o', down, ...key, '--tsa', 'http://127.0.0.1:9/');
      expect(d.code).not.toBe(0);
      expect(existsSync(down)).toBe(false);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('through the real binary: a hostile token exits 1 and garbage exits 65, one line on stderr, no stack trace', async () => {
    const good = join(dir, 'good2.jws');
    expect((await seal('json', 'sign', join(dir, 'doc.json'), '-o', good, ...key)).code).toBe(0);
    const [h, p] = readFileSync(good, 'utf8').trim().split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    writeFileSync(join(dir, 'none.jws'), `${b64u(JSON.stringify({ ...header, alg: 'none' }))}.${p}.`);
    const [none, garbage] = await Promise.all([
      sealProcess('json', 'verify', join(dir, 'none.jws'), ...trust, '--json'),
      sealProcess('json', 'verify', join(dir, 'garbage.jws'), '--offline'),
    ]);
    expect(none.code, none.stderr).toBe(1);
    expect(JSON.parse(none.stdout)).toMatchObject({ indication: 'TOTAL_FAILED', signatures: [{ subIndication: 'FORMAT_FAILURE' }] });
    expect(garbage.code).toBe(65);
    expect(garbage.stderr.trim().split('\n')).toHaveLength(1);
    noStack(garbage.stderr);
  });
});
