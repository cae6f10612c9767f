/**
 * SM2 seals through the API (issue 9): a real server over the dev PKI (with the SM2 CA and seal
 * maker from scripts/dev-pki-sm2.ts); an SM2 seal issued by the registry seals an OFD
 * (POST /v1/seals/{id}/ofd) and a PDF (POST /v1/seals/{id}/pdf); both uses are in the usage log;
 * POST /v1/verify/ofd checks the result (and a tampered copy fails); the PDF's GM/T 0010 CMS
 * passes our verifier and qpdf. Revocation: GET /v1/crl/{sm2CaId} serves the SM2 CA's CRL (DER,
 * SM2-signed); a revoked SM2 seal shows as revoked in /v1/verify/ofd (from that CRL) and in the
 * registry view of /v1/verify/pdf.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSm2Certificate, parseSm2Crl, readOfdZip, verifyPdf, verifySm2CrlSignature, writeOfdZip } from '@seal/core';
import { corpusOrReport, corpusPath } from '../../../../test-support/corpus.js';
import { startHarness, type Harness } from '../testing/harness.js';

const HAVE = corpusOrReport('API OFD sealing tests');
const dir = mkdtempSync(join(tmpdir(), 'api-cn-'));

describe.runIf(HAVE)('SM2 seals through the API', () => {
  let h: Harness;
  let sealId: string;
  let operatorKey: string;

  beforeAll(async () => {
    h = await startHarness();
    operatorKey = h.creds.agencies[0]!.keys.operator;
    sealId = (await h.issueSeal({ kind: 'official', name: 'SM2 official seal', algorithm: 'SM2' })).seal.id;
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (url: string, payload: Uint8Array, type: string, key?: string) =>
    h.server.app.inject({ method: 'POST', url, headers: { 'content-type': type, ...(key ? { authorization: `Bearer ${key}` } : {}) }, payload: Buffer.from(payload) });

  it('seals an OFD with the SM2 seal, logs the use, and /v1/verify/ofd accepts it (and refuses a tampered copy)', async () => {
    const ofd = new Uint8Array(readFileSync(corpusPath('cn/ofd/helloworld-unsigned.ofd')));
    const res = await post(`/v1/seals/${sealId}/ofd`, ofd, 'application/ofd', operatorKey);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/ofd');
    const index = Number(res.headers['seal-log-entry']);
    expect(Number.isInteger(index)).toBe(true);
    const sealed = new Uint8Array(res.rawPayload);
    const entry = await h.server.registry.usageLog.getEntry(index);
    expect(JSON.stringify(entry)).toContain(sealId);
    expect(JSON.stringify(entry)).toContain('ofd');

    const v = await post('/v1/verify/ofd', sealed, 'application/ofd');
    expect(v.statusCode).toBe(200);
    const report = v.json() as { indication: string; signatures: { indication: string; valid: boolean; trusted: boolean; coversWholeDocument: boolean }[] };
    expect(report.signatures).toHaveLength(1);
    expect(report.signatures[0]!.valid).toBe(true);
    expect(report.signatures[0]!.coversWholeDocument).toBe(true);
    expect(report.signatures[0]!.trusted).toBe(true);

    // one changed byte in a signed part fails
    const files = readOfdZip(sealed);
    const content = Uint8Array.from(files.get('Doc_0/Pages/Page_0/Content.xml')!);
    content[content.length - 20] = content[content.length - 20]! ^ 1;
    files.set('Doc_0/Pages/Page_0/Content.xml', content);
    const bad = await post('/v1/verify/ofd', writeOfdZip(files), 'application/ofd');
    expect(bad.statusCode).toBe(200);
    expect((bad.json() as { indication: string }).indication).toBe('TOTAL_FAILED');
  });

  it('seals a PDF with the SM2 seal through POST /v1/seals/{id}/pdf: GM/T 0010 CMS, valid, qpdf --check clean', async () => {
    const pdf = new Uint8Array(readFileSync(corpusPath('pdf/unsigned/contributing-skia.pdf')));
    const res = await post(`/v1/seals/${sealId}/pdf`, pdf, 'application/pdf', operatorKey);
    expect(res.statusCode).toBe(200);
    expect(res.headers['seal-log-entry']).toBeDefined();
    const out = new Uint8Array(res.rawPayload);
    const r = (await verifyPdf(out)).signatures[0]!;
    expect(r.algorithm).toBe('SM2-with-SM3');
    expect(r.intact).toBe(true);
    expect(r.valid).toBe(true);
    writeFileSync(join(dir, 'sm2.pdf'), out);
    expect(spawnSync('qpdf', ['--check', join(dir, 'sm2.pdf')]).status).toBe(0);
  });

  it('GET /v1/crl/{sm2CaId} serves the SM2 CA CRL; a revoked SM2 seal shows as revoked in /v1/verify/ofd and /v1/verify/pdf', async () => {
    const reg = h.server.registry;
    const sm2 = reg.sm2!;
    const { seal, officer } = await h.issueSeal({ kind: 'finance', name: 'SM2 seal to revoke', algorithm: 'SM2' });
    const ofd = new Uint8Array(readFileSync(corpusPath('cn/ofd/helloworld-unsigned.ofd')));
    const sealedOfd = new Uint8Array((await post(`/v1/seals/${seal.id}/ofd`, ofd, 'application/ofd', operatorKey)).rawPayload);
    const sealedPdf = await post(`/v1/seals/${seal.id}/pdf`, new Uint8Array(readFileSync(corpusPath('pdf/unsigned/contributing-skia.pdf'))), 'application/pdf', operatorKey);
    expect(sealedPdf.statusCode).toBe(200);
    type OfdReport = { signatures: { revocation: { status: string; reason: string | null } }[] };
    const before = (await post('/v1/verify/ofd', sealedOfd, 'application/ofd')).json() as OfdReport;
    expect(before.signatures[0]!.revocation.status).toBe('good');
    // The service trusts its own SM2 root for PDFs too: the SM2 seal passes, with the SM2 CA's CRL.
    type PdfVerify = { report: { indication: string; signatures: { indication: string; trusted: boolean; revocation: { status: string } }[] } };
    const pdfBefore = (await post('/v1/verify/pdf', new Uint8Array(sealedPdf.rawPayload), 'application/pdf')).json() as PdfVerify;
    expect(pdfBefore.report.signatures[0]).toMatchObject({ indication: 'TOTAL_PASSED', trusted: true, revocation: { status: 'good' } });

    await reg.revokeSeal(officer, seal.id, { reason: 'affiliationChanged' });
    const res = await h.server.app.inject({ method: 'GET', url: `/v1/crl/${sm2.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pkix-crl');
    const crl = parseSm2Crl(new Uint8Array(res.rawPayload));
    expect(crl.signatureAlgorithm).toBe('1.2.156.10197.1.501');
    expect(verifySm2CrlSignature(crl, parseSm2Certificate(sm2.chain[0]!))).toBe(true);
    expect(crl.revoked.find((e) => e.serialNumber.replace(/^0+/, '') === seal.serial.replace(/^0+/, ''))?.reason).toBe('affiliationChanged');
    expect((await h.server.app.inject({ method: 'GET', url: `/v1/crl/${sm2.id}.crl` })).statusCode).toBe(200);
    expect((await h.server.app.inject({ method: 'GET', url: '/v1/crl/no-such-ca' })).statusCode).toBe(404);

    const after = (await post('/v1/verify/ofd', sealedOfd, 'application/ofd')).json() as OfdReport;
    expect(after.signatures[0]!.revocation).toMatchObject({ status: 'revoked', reason: 'affiliationChanged' });
    const pdfRes = await post('/v1/verify/pdf', new Uint8Array(sealedPdf.rawPayload), 'application/pdf');
    expect(pdfRes.statusCode).toBe(200);
    expect((pdfRes.json() as PdfVerify).report.signatures[0]!.indication).not.toBe('TOTAL_PASSED');
    const view = (pdfRes.json() as { registry: { seal: { id: string } | null; status: { state: string; reason: string | null } | null }[] }).registry[0]!;
    expect(view.seal?.id).toBe(seal.id);
    expect(view.status).toMatchObject({ state: 'revoked', reason: 'affiliationChanged' });
  });

  it('refuses OFD sealing with a non-SM2 seal, without a key, and an empty or non-OFD body', async () => {
    const ecSeal = h.creds.agencies[0]!.seals[0]!;
    const ofd = new Uint8Array(readFileSync(corpusPath('cn/ofd/helloworld-unsigned.ofd')));
    expect(ecSeal.algorithm).not.toBe('SM2');
    const notSm2 = await post(`/v1/seals/${ecSeal.id}/ofd`, ofd, 'application/ofd', operatorKey);
    expect(notSm2.statusCode).toBe(400);
    expect((await post(`/v1/seals/${sealId}/ofd`, ofd, 'application/ofd')).statusCode).toBe(401);
    expect((await post(`/v1/seals/${sealId}/ofd`, new TextEncoder().encode('not a zip'), 'application/ofd', operatorKey)).statusCode).toBe(400);
    expect((await post('/v1/verify/ofd', new TextEncoder().encode('not a zip'), 'application/ofd')).statusCode).toBe(400);
  });
});
