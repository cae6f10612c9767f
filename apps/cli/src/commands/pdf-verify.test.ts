/**
 * `seal pdf verify`: exit codes (0/1/2/3, 64 usage, 65 unreadable), --json contract fields, text
 * report. Sealed with the dev PKI through `seal pdf sign`, so the round trip is CLI to CLI.
 */
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { toSealError } from '@seal/core';
import { buildPdf, onePageObjects } from '../../../../packages/core/src/pdf/testing/build-pdf.js';
import { pdfCommand } from './pdf.js';

const CERTS = resolve(import.meta.dirname, '../../../../certs-dev');
const dir = mkdtempSync(join(tmpdir(), 'cli-pdf-verify-'));
const unsigned = join(dir, 'in.pdf');
const sealed = join(dir, 'sealed.pdf');
const tampered = join(dir, 'tampered.pdf');

/** Run a CLI command in-process: exit code and captured stdout (errors mapped as main.ts does). */
async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    return { code: await pdfCommand(args), out };
  } catch (err) {
    return { code: toSealError(err).exitCode, out };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  writeFileSync(unsigned, buildPdf({ objects: onePageObjects('CLI verify'), root: 1 }));
  const r = await run(['sign', unsigned, '-o', sealed, '--p12', join(CERTS, 'agency-a-ec.p12'), '--password', 'dev-only', '--chain', join(CERTS, 'chain.pem')]);
  expect(r.code).toBe(0);
  // flip one signed byte (in the page content, before the signature's revision)
  const bytes = readFileSync(sealed);
  const i = bytes.indexOf('CLI verify');
  bytes[i] = 'X'.charCodeAt(0);
  writeFileSync(tampered, bytes);
});
afterEach(() => vi.restoreAllMocks());

describe('seal pdf verify', () => {
  it('--json: the contract fields; no --trust -> INDETERMINATE, exit 2', async () => {
    const r = await run(['verify', sealed, '--json', '--offline']);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.out) as { indication: string; signatures: Record<string, unknown>[] };
    expect(report.indication).toBe('INDETERMINATE');
    const s = report.signatures[0]!;
    for (const k of ['indication', 'subIndication', 'signer', 'signingTime', 'trusted', 'revocation', 'coversWholeDocument', 'modifications', 'timestamp', 'level']) expect(s).toHaveProperty(k);
    expect(s['subIndication']).toBe('NO_CERTIFICATE_CHAIN_FOUND');
  });

  it('--trust with the dev root: exit 0 when revocation is soft, 2 (TRY_LATER) when it is required and missing', async () => {
    const ok = await run(['verify', sealed, '--trust', join(CERTS, 'root-ca.pem'), '--offline', '--soft-revocation']);
    expect(ok.out).toContain('Verification: TOTAL_PASSED');
    expect(ok.code).toBe(0);
    const strict = await run(['verify', sealed, '--trust', join(CERTS, 'root-ca.pem'), '--json', '--offline']);
    expect(strict.code).toBe(2);
    expect(JSON.parse(strict.out).signatures[0].subIndication).toBe('TRY_LATER');
  });

  it('a changed signed byte: exit 1; no signature: exit 3; bad input: 65; bad usage: 64', async () => {
    expect((await run(['verify', tampered, '--trust', join(CERTS, 'root-ca.pem'), '--offline'])).code).toBe(1);
    expect((await run(['verify', unsigned, '--offline'])).code).toBe(3);
    expect((await run(['verify', join(dir, 'missing.pdf')])).code).toBe(65);
    expect((await run(['verify', join(CERTS, 'README.md')])).code).toBe(65);
    expect((await run(['verify'])).code).toBe(64);
    expect((await run(['verify', sealed, '--at', 'yesterday'])).code).toBe(64);
  });
});
