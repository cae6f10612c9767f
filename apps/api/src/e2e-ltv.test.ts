/**
 * PAdES B-LT and B-LTA through the API, over real HTTP on loopback with the worker pool: the
 * validation data comes from the registry (its CRL, its OCSP answer for the seal certificate, the
 * root's CRL) and the service's own TSA. Judged by our verifier offline (DSS only), pdfsig,
 * qpdf --check, openssl cms -verify and openssl ts -verify. Also: missing material is a typed 503,
 * never a lower level; the usage-log listing names each entry's entryId.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificatesFromPemOrDer, loadSignerFromKeyFiles, signPdf, verifyPdf, type PdfSignatureReport, type Signer } from '@seal/core';
import { trimDerPadding } from '@seal/core/cms';
import { dssStreams, signatureDicts, signedBytes, type SignatureDict } from '@seal/core/testing/pdf-inspect';
import { ApiError, SealClient } from '@seal/client';
import { CERTS_DEV, startHarness, type Harness } from './testing/harness.js';
import { onePagePdf } from './testing/pdf.js';
import { createLocalEngine } from './engine/local.js';
import { buildApp } from './app.js';
import { pemToDer } from './server.js';

const exec = promisify(execFile);
const ROOT = join(CERTS_DEV, 'root-ca.pem');
let h: Harness;
let work: string;
let nssDir: string;
let seq = 0;

function save(bytes: Uint8Array, name: string): string {
  const file = join(work, `${++seq}-${name}`);
  writeFileSync(file, bytes);
  return file;
}

/** Tools that exit non-zero for some verdicts: the text is what we judge. */
async function tool(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string; ok: boolean }> {
  return exec(cmd, args, { encoding: 'utf8' }).then(
    (r) => ({ ...r, ok: true }),
    (e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '', ok: false }),
  );
}

async function opensslCmsVerify(pdf: Uint8Array, s: SignatureDict): Promise<void> {
  const sig = save(trimDerPadding(s.contents)!, 'sig.der');
  const data = save(signedBytes(pdf, s), 'signed.bin');
  const r = await tool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', data, '-CAfile', ROOT, '-purpose', 'any', '-out', '/dev/null']);
  expect(r.stderr).toContain('Verification successful');
  // and a changed byte does not verify
  const bad = Buffer.from(signedBytes(pdf, s));
  bad[200] = bad[200]! ^ 1;
  const r2 = await tool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', save(bad, 'bad.bin'), '-CAfile', ROOT, '-purpose', 'any', '-out', '/dev/null']);
  expect(r2.ok).toBe(false);
  expect(r2.stderr).not.toContain('Verification successful');
}

/** What every LTV seal of ours must satisfy. */
async function checkLtv(input: Uint8Array, pdf: Uint8Array, level: 'B-LT' | 'B-LTA', sealChainPem: string): Promise<void> {
  expect(Buffer.from(pdf.subarray(0, input.length)).equals(Buffer.from(input))).toBe(true);
  const file = save(pdf, `${level}.pdf`);
  expect((await tool('qpdf', ['--check', file])).stdout).toContain('No syntax or stream encoding errors found');

  const sigs = signatureDicts(pdf);
  const seal = sigs[0]!;
  expect(seal.subFilter).toBe('ETSI.CAdES.detached');
  // B-LT: the seal (with its signature time-stamp), then the DSS; B-LTA: plus a document time-stamp.
  expect(sigs.length).toBe(level === 'B-LTA' ? 2 : 1);

  const pdfsig = await tool('pdfsig', ['-nssdir', `sql:${nssDir}`, file]);
  const first = pdfsig.stdout.split(/Signature #2/)[0]!;
  expect(first).toContain('Signature #1');
  expect(first).toContain('Signature Validation: Signature is Valid.');
  expect(first).toContain('Certificate Validation: Certificate is Trusted.');
  await opensslCmsVerify(pdf, seal);

  // The DSS: the seal certificate, its CA, the TSA; the registry's OCSP answer; a CRL; the VRI
  // entry of the seal (uppercase hex SHA-1 of its /Contents, padding included).
  const store = dssStreams(pdf);
  const leaf = certificatesFromPemOrDer(new TextEncoder().encode(sealChainPem))[0]!;
  const has = (list: Uint8Array[], der: Uint8Array) => list.some((c) => Buffer.from(c).equals(Buffer.from(der)));
  expect(has(store.certs, leaf)).toBe(true);
  for (const name of ['seal-ca.pem', 'tsa.pem']) {
    const der = certificatesFromPemOrDer(new Uint8Array(readFileSync(join(CERTS_DEV, name))))[0]!;
    expect(has(store.certs, der)).toBe(true);
  }
  expect(store.ocsps.length).toBeGreaterThanOrEqual(1);
  expect(store.crls.length).toBeGreaterThanOrEqual(1);
  expect(store.vri).toContain(createHash('sha1').update(seal.contents).digest('hex').toUpperCase());
  // openssl reads the registry's OCSP answer for the seal certificate: good.
  const ocspText = (await tool('openssl', ['ocsp', '-respin', save(store.ocsps[0]!, 'dss-ocsp.der'), '-resp_text', '-noverify'])).stdout;
  expect(ocspText).toContain('Cert Status: good');
  for (const crl of store.crls) expect((await tool('openssl', ['crl', '-inform', 'DER', '-in', save(crl, 'dss.crl'), '-noout', '-issuer'])).stdout).toMatch(/issuer=/);

  if (level === 'B-LTA') {
    const ts = sigs[1]!;
    expect(ts.type).toBe('DocTimeStamp');
    expect(ts.byteRange[2]! + ts.byteRange[3]!).toBe(pdf.length);
    const r = await tool('openssl', ['ts', '-verify', '-data', save(signedBytes(pdf, ts), 'ts-data.bin'), '-in', save(trimDerPadding(ts.contents)!, 'ts.der'), '-token_in', '-CAfile', ROOT, '-untrusted', join(CERTS_DEV, 'tsa.pem')]);
    expect(r.stdout).toContain('Verification: OK');
  }

  // Our verifier, offline: trust in the dev root, revocation from the DSS alone (no CRL given, no fetcher).
  const report = await verifyPdf(pdf, { trustAnchors: certificatesFromPemOrDer(new Uint8Array(readFileSync(ROOT))) });
  const mine = report.signatures.filter((s) => (s as PdfSignatureReport).kind === 'signature');
  expect(mine).toHaveLength(1);
  expect(mine[0]!.level).toBe(level);
  expect(mine[0]!.indication).toBe('TOTAL_PASSED');
  expect(mine[0]!.revocation.status).toBe('good');
  expect(mine[0]!.timestamp?.valid).toBe(true);
  expect(report.indication).toBe('TOTAL_PASSED');
}

beforeAll(async () => {
  h = await startHarness({ threads: 1 });
  work = mkdtempSync(join(tmpdir(), 'seal-api-ltv-'));
  nssDir = join(work, 'nss');
  await exec('mkdir', ['-p', nssDir]);
  await exec('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']);
  await exec('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'root', '-t', 'C,C,C', '-a', '-i', ROOT]);
});

afterAll(async () => {
  await h?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('PAdES B-LT and B-LTA through the API', () => {
  it('POST /v1/seals/{id}/pdf with level B-LT (RSA seal): DSS from the registry, checked by pdfsig, qpdf, openssl and our verifier offline', async () => {
    const A = h.creds.agencies[0]!;
    const seal = A.seals.find((s) => s.algorithm.startsWith('RSA'))!;
    const input = onePagePdf('B-LT through the API');
    const sealed = await h.client(0, 'operator').sealPdf(seal.id, input, { level: 'B-LT', reason: 'long-term' });
    const record = await h.client(0, 'operator').getSeal(seal.id);
    await checkLtv(input, sealed.pdf, 'B-LT', record.certificateChain);
    // The public verification route agrees.
    const v = await h.client().verifyPdf(sealed.pdf);
    expect(v.report.signatures[0]!.level).toBe('B-LT');
    expect(v.registry[0]).toMatchObject({ seal: { id: seal.id }, status: { state: 'active' } });
  });

  it('the batch endpoint takes level B-LTA (ECDSA seal): document time-stamp on top, verified by openssl ts and our verifier', async () => {
    const A = h.creds.agencies[0]!;
    const seal = A.seals.find((s) => s.algorithm.startsWith('EC'))!;
    const input = onePagePdf('B-LTA through the batch route');
    const res = await h.client(0, 'operator').sealBatch(seal.id, [
      { name: 'lta.pdf', contentType: 'application/pdf', data: Buffer.from(input).toString('base64'), options: { level: 'B-LTA' } },
      { name: 'lta-certify-1.pdf', contentType: 'application/pdf', data: Buffer.from(input).toString('base64'), options: { level: 'B-LTA', certify: 1 } },
    ]);
    expect(res.results[0]!.ok).toBe(true);
    const pdf = new Uint8Array(Buffer.from(res.results[0]!.data!, 'base64'));
    const record = await h.client(0, 'operator').getSeal(seal.id);
    await checkLtv(input, pdf, 'B-LTA', record.certificateChain);
    // P=1 allows no later change: no DSS, no document time-stamp, so the caller's request is refused.
    expect(res.results[1]).toMatchObject({ ok: false, error: { status: 400, code: 'ERR_INPUT_INVALID' } });
  });

  it('co-seals a B-LT document at B-LT as agency B (both seals B-LT offline); a document signed by a stranger is refused with 400', async () => {
    const A = h.creds.agencies[0]!;
    const B = h.creds.agencies[1]!;
    const input = onePagePdf('co-sealed long-term');
    const first = await h.client(0, 'operator').sealPdf(A.seals[1]!.id, input, { level: 'B-LT' });
    const second = await h.client(1, 'operator').sealPdf(B.seals[0]!.id, first.pdf, { level: 'B-LT' });
    expect(Buffer.from(second.pdf.subarray(0, first.pdf.length)).equals(Buffer.from(first.pdf))).toBe(true);
    const file = save(second.pdf, 'co-sealed.pdf');
    expect((await tool('qpdf', ['--check', file])).stdout).toContain('No syntax or stream encoding errors found');
    expect((await tool('pdfsig', ['-nssdir', `sql:${nssDir}`, file])).stdout.match(/Signature Validation: Signature is Valid\./g)?.length).toBe(2);
    const sigs = signatureDicts(second.pdf);
    expect(sigs).toHaveLength(2);
    for (const s of sigs) await opensslCmsVerify(second.pdf, s);
    const report = await verifyPdf(second.pdf, { trustAnchors: certificatesFromPemOrDer(new Uint8Array(readFileSync(ROOT))) });
    expect(report.signatures.map((s) => [s.level, s.indication])).toEqual([
      ['B-LT', 'TOTAL_PASSED'],
      ['B-LT', 'TOTAL_PASSED'],
    ]);

    // A signature by a certificate outside the service's trust: its validation data cannot be
    // had, so the caller's document is refused (400) before anything is signed or logged.
    const key = join(work, 'stranger.key.pem');
    const cert = join(work, 'stranger.pem');
    await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=Stranger', '-days', '30', '-keyout', key, '-out', cert]);
    const foreign = await signPdf(input, loadSignerFromKeyFiles({ cert, key }));
    const before = h.server.registry.usageLog.size;
    const e = await h.client(0, 'operator').sealPdf(A.seals[0]!.id, foreign, { level: 'B-LT' }).then(
      () => null,
      (err: ApiError) => err,
    );
    expect(e?.status).toBe(400);
    expect(e?.problem?.detail).toContain('Stranger');
    expect(h.server.registry.usageLog.size).toBe(before);
  });

  it('the usage-log listing names each entry id (null for entries logged without one)', async () => {
    const A = h.creds.agencies[0]!;
    const seal = A.seals[1]!;
    const sealed = await h.client(0, 'operator').sealJson(seal.id, { payload: { listed: true } });
    // An entry without an id, as logged before registry schema 3.
    const old = await h.server.registry.appendUsage({
      sealId: seal.id,
      agencyId: A.id,
      accountId: 'acct_old',
      documentKind: 'json',
      documentSha256: 'ab'.repeat(32),
      signatureSha256: 'cd'.repeat(32),
    });
    const list = await h.client(0, 'auditor').listSealUsage(seal.id);
    expect(list.find((e) => e.index === sealed.logEntry.index)?.entryId).toBe(sealed.logEntry.entryId);
    expect(sealed.logEntry.entryId).toMatch(/^[0-9a-f]{32}$/);
    expect(list.find((e) => e.index === old.index)).toMatchObject({ entryId: null, accountId: 'acct_old' });
    expect((await h.client(0, 'auditor').getUsage(sealed.logEntry.index)).entryId).toBe(sealed.logEntry.entryId);
    expect((await h.client(0, 'auditor').getUsage(old.index)).entryId).toBeNull();
    // The OpenAPI document describes the member.
    const doc = JSON.stringify(await h.client().openapi());
    expect(doc).toMatch(/"entryId":\{"type":\["string","null"\]/);
  });
});

describe('B-LT/B-LTA refused with a typed problem when material is missing', () => {
  it('no CRL for the issuing CA (no root CRL configured): 503 ERR_UPSTREAM over HTTP, no log entry, and B-T still works', async () => {
    // The same registry and TSA, but a service without the root's CRL (deps.extraCrls), which
    // covers the issuing CA: the chain of every seal lacks revocation data.
    const app = await buildApp({
      registry: h.server.registry,
      engine: createLocalEngine({ tsaUrl: `${h.server.url}/v1/tsa` }),
      trustAnchors: pemToDer(readFileSync(ROOT, 'utf8')),
      web: false,
    });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const op = new SealClient({ baseUrl: url, apiKey: h.creds.agencies[0]!.keys.operator });
      const seal = h.creds.agencies[0]!.seals[0]!;
      const before = h.server.registry.usageLog.size;
      for (const level of ['B-LT', 'B-LTA'] as const) {
        const e = await op.sealPdf(seal.id, onePagePdf(), { level }).then(
          () => null,
          (err: ApiError) => err,
        );
        expect(e?.status).toBe(503);
        expect(e?.problem?.code).toBe('ERR_UPSTREAM');
        expect(e?.problem?.detail).toContain('Agency Seal CA DEV');
      }
      expect(h.server.registry.usageLog.size).toBe(before);
      const bt = await op.sealPdf(seal.id, onePagePdf(), { level: 'B-T' });
      expect(bt.logEntry.index).toBe(before);
    } finally {
      await app.close();
    }
  });

  it('an engine without a TSA refuses B-T, B-LT and B-LTA with ERR_KEY_UNAVAILABLE; without material B-LT is ERR_UPSTREAM; SM2 seals above B-B are ERR_ALG_UNSUPPORTED', async () => {
    const A = h.creds.agencies[0]!;
    const operator = await h.server.registry.authenticate(A.keys.operator);
    const signer = await h.server.registry.getSealSigner(operator, A.seals[0]!.id);
    const noTsa = createLocalEngine({});
    for (const level of ['B-T', 'B-LT', 'B-LTA'] as const) {
      await expect(noTsa.signPdf({ pdf: onePagePdf(), options: { level } }, signer)).rejects.toMatchObject({ code: 'ERR_KEY_UNAVAILABLE' });
    }
    const withTsa = createLocalEngine({ tsaUrl: `${h.server.url}/v1/tsa` });
    await expect(withTsa.signPdf({ pdf: onePagePdf(), options: { level: 'B-LT' } }, signer)).rejects.toMatchObject({ code: 'ERR_UPSTREAM' });
    // SM2 seals are B-B only: said as such (400), before any TSA or validation-data check, and never signed.
    const sm2Chain = ['agency-a-sm2.pem', 'sm2-ca.pem'].map((f) => certificatesFromPemOrDer(new Uint8Array(readFileSync(join(CERTS_DEV, f))))[0]!);
    let signed = 0;
    const sm2: Signer = { keyType: 'SM2', curve: 'SM2', keySizeBits: 256, certificateChain: sm2Chain, sign: async () => (signed++, new Uint8Array(64)) };
    for (const engine of [noTsa, withTsa]) {
      for (const level of ['B-T', 'B-LT', 'B-LTA'] as const) {
        await expect(engine.signPdf({ pdf: onePagePdf(), options: { level } }, sm2)).rejects.toMatchObject({ code: 'ERR_ALG_UNSUPPORTED' });
      }
    }
    expect(signed).toBe(0);
  });
});
