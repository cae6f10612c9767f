import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readOfdZip, sm2CertificateToPem, toSealError, writeOfdZip } from '@seal/core';
import { createSm2TestPki, createTestSesSeal } from '../../../../packages/core/src/cn/sm2-test-pki.js';
import { corpusOrReport, corpusPath, PROJECT_ROOT } from '../../../../test-support/corpus.js';
import { ofdCommand } from './ofd.js';
import { sesCommand } from './ses.js';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const MAIN = join(PROJECT_ROOT, 'apps', 'cli', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'cli-cn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real CLI process (slow: used for the process-level contract only). */
function spawnSeal(...args: string[]) {
  const res = spawnSync(TSX, [MAIN, ...args], { encoding: 'utf8', cwd: PROJECT_ROOT });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** A command in-process, with main.ts's error-to-exit-code mapping. */
async function run(cmd: (argv: string[]) => Promise<number>, ...argv: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  let code: number;
  try {
    code = await cmd(argv);
  } catch (err) {
    code = toSealError(err).exitCode;
  } finally {
    spy.mockRestore();
  }
  return { code, stdout: chunks.join('') };
}

describe('seal ses verify', () => {
  beforeAll(async () => {
    const pki = await createSm2TestPki();
    const s = await createTestSesSeal(pki, { esId: 'CLI-1', name: 'CLI test seal', validEnd: new Date('2099-01-01T00:00:00Z') });
    writeFileSync(join(dir, 'seal.esl'), s);
    writeFileSync(join(dir, 'root.pem'), sm2CertificateToPem(pki.rootCert));
  });

  it('our seal: 0 with its root trusted, 2 without, --json gives the contract report', async () => {
    expect((await run(sesCommand, 'verify', join(dir, 'seal.esl'), '--trust', join(dir, 'root.pem'), '--at', '2026-01-01T00:00:00Z')).code).toBe(0);
    const r = await run(sesCommand, 'verify', join(dir, 'seal.esl'), '--json', '--at', '2026-01-01T00:00:00Z');
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as { indication: string; signatures: { indication: string; signer: { subject: string }; trusted: boolean }[] };
    expect(report.indication).toBe('INDETERMINATE');
    expect(report.signatures[0]!.signer.subject).toContain('Test Seal Maker');
    expect(report.signatures[0]!.trusted).toBe(false);
  });

  it('a changed byte: 1; bad flags or a bad --at: 64 (as for every verify command); a bad CRL file: 65', async () => {
    const b = Uint8Array.from(readFileSync(join(dir, 'seal.esl')));
    b[Buffer.from(b).indexOf('CLI test seal')]! ^= 1; // inside the signed seal name
    writeFileSync(join(dir, 'bad.esl'), b);
    const bad = await run(sesCommand, 'verify', join(dir, 'bad.esl'), '--trust', join(dir, 'root.pem'), '--at', '2026-01-01T00:00:00Z');
    expect(bad.code, bad.stdout).toBe(1);
    expect(bad.stdout).toContain('SIG_CRYPTO_FAILURE');
    expect((await run(sesCommand, 'verify', join(dir, 'seal.esl'), '--frobnicate')).code).toBe(64);
    expect((await run(sesCommand, 'verify', join(dir, 'seal.esl'), '--at', 'yesterday')).code).toBe(64);
    // a local time without its zone would depend on the machine
    expect((await run(sesCommand, 'verify', join(dir, 'seal.esl'), '--at', '2026-01-01T00:00:00')).code).toBe(64);
    expect((await run(sesCommand, 'verify', join(dir, 'seal.esl'), '--crl', join(dir, 'root.pem'))).code).toBe(65);
  });

  it('the process: garbage input exits 65 with one line on stderr and no stack trace', () => {
    writeFileSync(join(dir, 'junk.esl'), 'not DER');
    const junk = spawnSeal('ses', 'verify', join(dir, 'junk.esl'));
    expect(junk.code, junk.stderr).toBe(65);
    expect(junk.stderr).toMatch(/^seal: .+$/m);
    expect(junk.stderr).not.toMatch(/\n\s+at /);
  });
});

describe.runIf(corpusOrReport('seal ofd verify CLI'))('seal ofd verify', () => {
  it('the process: a real tax-bureau e-invoice without anchors exits 2 with a JSON report', () => {
    const r = spawnSeal('ofd', 'verify', corpusPath('cn/ofd/signedFile-jiangsu-tax.ofd'), '--json');
    expect(r.code, r.stderr).toBe(2);
    expect((JSON.parse(r.stdout) as { signatures: unknown[] }).signatures).toHaveLength(1);
  });

  it('tampered: 1; unsigned: 3; not a zip: 65', async () => {
    const inv = corpusPath('cn/ofd/signedFile-jiangsu-tax.ofd');
    const files = readOfdZip(new Uint8Array(readFileSync(inv)));
    const doc = Uint8Array.from(files.get('Doc_0/Document.xml')!);
    doc[doc.indexOf(0x22) + 1]! ^= 1;
    files.set('Doc_0/Document.xml', doc);
    writeFileSync(join(dir, 'tampered.ofd'), writeOfdZip(files));
    const t = await run(ofdCommand, 'verify', join(dir, 'tampered.ofd'));
    expect(t.code, t.stdout).toBe(1);
    expect(t.stdout).toContain('HASH_FAILURE');
    expect((await run(ofdCommand, 'verify', corpusPath('cn/ofd/helloworld-unsigned.ofd'))).code).toBe(3);
    writeFileSync(join(dir, 'notzip.ofd'), 'plain text, not a package');
    expect((await run(ofdCommand, 'verify', join(dir, 'notzip.ofd'))).code).toBe(65);
  });

  it('the bare SM2 signature verifies with --signer-cert', async () => {
    const r = await run(ofdCommand, 'verify', corpusPath('cn/ofd/DigitalSign.ofd'), '--signer-cert', corpusPath('cn/certs/ofdrw-USER.cert.pem'), '--at', '2021-01-01T00:00:00Z', '--json');
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as { signatures: { valid: boolean; signer: { subject: string } }[] };
    expect(report.signatures[0]!.valid).toBe(true);
    expect(report.signatures[0]!.signer.subject).toContain('Test Certificate');
  });
});
