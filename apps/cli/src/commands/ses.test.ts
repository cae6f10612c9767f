import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSesSeal, createSm2TestPki, readOfdZip, sm2CertificateToPem, writeOfdZip } from '@seal/core';
import { corpusOrReport, corpusPath, PROJECT_ROOT } from '../../../../test-support/corpus.js';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const MAIN = join(PROJECT_ROOT, 'apps', 'cli', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'cli-cn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seal(...args: string[]) {
  const res = spawnSync(TSX, [MAIN, ...args], { encoding: 'utf8', cwd: PROJECT_ROOT });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('seal ses verify', () => {
  beforeAll(async () => {
    const pki = await createSm2TestPki();
    const s = await createSesSeal({
      maker: pki.maker,
      esId: 'CLI-1',
      name: 'CLI test seal',
      sealCertificates: [pki.holderCert],
      picture: { type: 'PNG', data: Uint8Array.of(1), width: 40, height: 40 },
      validStart: new Date('2025-01-01T00:00:00Z'),
      validEnd: new Date('2099-01-01T00:00:00Z'),
    });
    writeFileSync(join(dir, 'seal.esl'), s);
    writeFileSync(join(dir, 'root.pem'), sm2CertificateToPem(pki.rootCert));
  });

  it('our seal: 0 with its root trusted, 2 without, --json gives the contract report', () => {
    expect(seal('ses', 'verify', join(dir, 'seal.esl'), '--trust', join(dir, 'root.pem'), '--at', '2026-01-01T00:00:00Z').code).toBe(0);
    const r = seal('ses', 'verify', join(dir, 'seal.esl'), '--json', '--at', '2026-01-01T00:00:00Z');
    expect(r.code, r.stderr).toBe(2);
    const report = JSON.parse(r.stdout) as { indication: string; signatures: { indication: string; signer: { subject: string }; trusted: boolean }[] };
    expect(report.indication).toBe('INDETERMINATE');
    expect(report.signatures[0]!.signer.subject).toContain('Test Seal Maker');
    expect(report.signatures[0]!.trusted).toBe(false);
  });

  it('a changed byte: 1; garbage: 65 with one line on stderr; bad flags: 64', () => {
    const b = Uint8Array.from(readFileSync(join(dir, 'seal.esl')));
    b[Buffer.from(b).indexOf('CLI test seal')]! ^= 1; // inside the signed seal name
    writeFileSync(join(dir, 'bad.esl'), b);
    const bad = seal('ses', 'verify', join(dir, 'bad.esl'), '--trust', join(dir, 'root.pem'), '--at', '2026-01-01T00:00:00Z');
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    writeFileSync(join(dir, 'junk.esl'), 'not DER');
    const junk = seal('ses', 'verify', join(dir, 'junk.esl'));
    expect(junk.code, junk.stderr).toBe(65);
    expect(junk.stderr, junk.stderr).toMatch(/^seal: .+$/m);
    expect(junk.stderr).not.toMatch(/\n\s+at /);
    const flag = seal('ses', 'verify', join(dir, 'seal.esl'), '--frobnicate');
    expect(flag.code, flag.stderr).toBe(64);
    const at = seal('ses', 'verify', join(dir, 'seal.esl'), '--at', 'yesterday');
    expect(at.code, at.stderr).toBe(65);
  });
});

describe.runIf(corpusOrReport('seal ofd verify CLI'))('seal ofd verify', () => {
  it('a real tax-bureau e-invoice without anchors: 2; tampered: 1; unsigned: 3', () => {
    const inv = corpusPath('cn/ofd/signedFile-jiangsu-tax.ofd');
    const r = seal('ofd', 'verify', inv, '--json');
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as { signatures: unknown[] }).signatures).toHaveLength(1);
    const files = readOfdZip(new Uint8Array(readFileSync(inv)));
    const doc = Uint8Array.from(files.get('Doc_0/Document.xml')!);
    doc[doc.indexOf(0x22) + 1]! ^= 1;
    files.set('Doc_0/Document.xml', doc);
    writeFileSync(join(dir, 'tampered.ofd'), writeOfdZip(files));
    const t = seal('ofd', 'verify', join(dir, 'tampered.ofd'));
    expect(t.code, t.stderr).toBe(1);
    expect(t.stdout).toContain('HASH_FAILURE');
    expect(seal('ofd', 'verify', corpusPath('cn/ofd/helloworld-unsigned.ofd')).code).toBe(3);
  });

  it('the bare SM2 signature verifies with --signer-cert', () => {
    const r = seal('ofd', 'verify', corpusPath('cn/ofd/DigitalSign.ofd'), '--signer-cert', corpusPath('cn/certs/ofdrw-USER.cert.pem'), '--at', '2021-01-01T00:00:00Z', '--json');
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as { signatures: { valid: boolean; signer: { subject: string } }[] };
    expect(report.signatures[0]!.valid).toBe(true);
    expect(report.signatures[0]!.signer.subject).toContain('Test Certificate');
  });
});
