/**
 * PAdES long-term validation judged by independent tools: qpdf --check (structure), pdfsig
 * (earlier signatures stay valid), `openssl ts -verify` over the ByteRange bytes of a document
 * time-stamp (cut out here with a plain byte scan), `openssl crl` / `openssl ocsp -respin` over the
 * DSS streams. Then our verifier: B-LT/B-LTA levels, and a B-LTA file still TOTAL_PASSED after its
 * short-lived seal certificate expired and after a later revocation, while a B-B file is not.
 * Everything online runs on loopback: one HTTP server (port 0) is the TSA, the OCSP responder and
 * the CRL distribution point, with a clock the test sets.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusOrReport, corpusPath, PROJECT_ROOT } from '../test-support/corpus.js';
import { loadCertifiedSigner, issueSealCertificate, randomSerial, type CertifiedSigner } from '../packages/registry/src/ca/issuing-ca.js';
import { buildCrl, type CrlEntry } from '../packages/registry/src/crl/build-crl.js';
import { buildOcspResponse, parseOcspRequest } from '../packages/registry/src/ocsp/ocsp.js';
import { createSoftwareSigner } from '../packages/core/src/signer/software.js';
import type { Signer } from '../packages/core/src/signer/signer.js';
import { createTimestampAuthority } from '../packages/core/src/tsa/authority.js';
import { createTsaHttpHandler } from '../packages/core/src/tsa/http.js';
import { createHttpRevocationFetcher } from '../packages/core/src/pki/fetcher.js';
import { signPdf } from '../packages/core/src/pdf/sign-pdf.js';
import { extendPdf, extendPdfDetailed } from '../packages/core/src/pdf/ltv/extend.js';
import { addDss, vriKey } from '../packages/core/src/pdf/ltv/dss.js';
import { addDocumentTimestamp } from '../packages/core/src/pdf/doc-timestamp.js';
import { concatOutput } from '../packages/core/src/pdf/writer/incremental.js';
import { verifyPdf, type PdfSignatureReport } from '../packages/core/src/pdf/verify.js';
import { parsePdf } from '../packages/core/src/pdf/parser/document.js';
import { buildPdf, onePageObjects } from '../packages/core/src/pdf/testing/build-pdf.js';
import { trimDerPadding } from '../packages/core/src/cms/verify.js';
import { dssStreams, signatureDicts, signedBytes } from '../packages/core/src/pdf/testing/inspect.js';
import { SealError } from '../packages/core/src/errors/index.js';
import { pdfCommand } from '../apps/cli/src/commands/pdf.js';

const run = promisify(execFile);
for (const t of ['qpdf', 'pdfsig', 'openssl']) {
  if (spawnSync(t, ['--version'], { stdio: 'ignore' }).error) throw new Error(`interop/pdf-ltv: required tool ${t} is not installed`);
}

const CERTS = resolve(PROJECT_ROOT, 'certs-dev');
const pem = (n: string) => readFileSync(join(CERTS, n), 'latin1');
const dir = mkdtempSync(join(tmpdir(), 'pdf-ltv-'));

const T_SIGN = new Date('2025-03-01T10:00:00Z');
const T_EXTEND = new Date('2025-03-02T10:00:00Z');
const T_REVOKE = new Date('2025-04-01T00:00:00Z');
const T_AFTER_REVOCATION = new Date('2025-05-01T00:00:00Z');
const T_AFTER_EXPIRY = new Date('2026-01-01T00:00:00Z'); // the leaf expires 2025-06-30
const LONG = new Date('2035-01-01T00:00:00Z');

let server: Server;
let base = '';
let clock = T_SIGN;
const revoked = new Map<string, Date>();
let root: CertifiedSigner;
let sealCa: CertifiedSigner;
let ocsp: CertifiedSigner;
let leaf: Signer;
let leafSerial = '';
let rootCrl: Uint8Array;
let ocspRequests = 0;

async function caCrl(at: Date): Promise<Uint8Array> {
  const entries: CrlEntry[] = [...revoked].map(([serial, when]) => ({ serial, reason: 1, revokedAt: when, invalidityDate: null }));
  return buildCrl({ signer: sealCa.signer, caCertificate: sealCa.der, crlNumber: Math.floor(at.getTime() / 1000), thisUpdate: at, nextUpdate: LONG, entries });
}

function body(req: import('node:http').IncomingMessage): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => ok(Buffer.concat(parts)));
    req.on('error', fail);
  });
}

beforeAll(async () => {
  root = loadCertifiedSigner({ certPem: pem('root-ca.pem'), keyPem: pem('root-ca.key.pem') });
  sealCa = loadCertifiedSigner({ certPem: pem('seal-ca.pem'), keyPem: pem('seal-ca.key.pem') });
  ocsp = loadCertifiedSigner({ certPem: pem('ocsp.pem'), keyPem: pem('ocsp.key.pem') });
  const tsaId = loadCertifiedSigner({ certPem: pem('tsa.pem'), keyPem: pem('tsa.key.pem') });
  const tsa = createTimestampAuthority({ signer: tsaId.signer, policyOid: '1.3.6.1.4.1.99999.1', clock: () => clock });
  const tsaHandler = createTsaHttpHandler(tsa);
  server = createServer((req, res) => {
    if (req.url === '/tsa') return tsaHandler(req, res);
    void (async () => {
      try {
        if (req.url === '/ocsp' && req.method === 'POST') {
          ocspRequests++;
          const r = parseOcspRequest(await body(req));
          const der = await buildOcspResponse({
            signer: ocsp.signer,
            responderCertificate: ocsp.der,
            producedAt: clock,
            nonceExtension: r.nonceExtension,
            responses: r.certIds.map((id) => {
              const when = revoked.get(id.serial);
              return { certId: id, certStatus: when ? { status: 'revoked' as const, revokedAt: when, reason: 1 } : { status: 'good' as const }, thisUpdate: clock, nextUpdate: LONG };
            }),
          });
          res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(der);
        } else if (req.url === '/ca.crl') {
          res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(await caCrl(clock));
        } else res.writeHead(404).end();
      } catch {
        res.writeHead(500).end();
      }
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // a short-lived seal certificate (2025-01-01 .. 2025-06-30) from the dev seal CA, with loopback OCSP and CRL URLs
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  leafSerial = randomSerial();
  const cert = await issueSealCertificate({
    ca: sealCa,
    serial: leafSerial,
    subject: { commonName: 'Short-lived LTV Seal', organization: 'Test Agency' },
    publicKeySpki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2025-06-30T00:00:00Z'),
    crlUrl: `${base}/ca.crl`,
    ocspUrl: `${base}/ocsp`,
  });
  leaf = createSoftwareSigner(privateKey, [new Uint8Array(cert.rawData), sealCa.der, root.der]);
  // the root's CRL (seal CA and TSA not revoked): given as a file, the dev CA certificates name no URL
  rootCrl = await buildCrl({ signer: root.signer, caCertificate: root.der, crlNumber: 1, thisUpdate: T_EXTEND, nextUpdate: LONG, entries: [] });
  writeFileSync(join(dir, 'root.crl'), rootCrl);
}, 60_000);

afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
  rmSync(dir, { recursive: true, force: true });
});

const ltv = () => ({ crls: [rootCrl], trustAnchors: [root.der], fetcher: createHttpRevocationFetcher({ timeoutMs: 2000 }) });
const plainPdf = () => buildPdf({ objects: onePageObjects(), root: 1 });

function save(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function qpdfCheck(path: string): Promise<void> {
  const r = await run('qpdf', ['--check', path]).catch((e: { code: number; stdout: string }) => e);
  expect(r.stdout).toContain('No syntax or stream encoding errors found');
}

async function pdfsig(path: string): Promise<string> {
  const r = await run('pdfsig', ['-nocert', path]).catch((e: { stdout: string }) => e);
  return r.stdout;
}

const sigReports = (r: { signatures: readonly unknown[] }): PdfSignatureReport[] => (r.signatures as PdfSignatureReport[]).filter((s) => s.kind === 'signature');

describe('B-LTA by signPdf, judged by qpdf, pdfsig, openssl', () => {
  let input: Uint8Array;
  let lta: Uint8Array;
  let ltaPath: string;

  beforeAll(async () => {
    clock = T_SIGN;
    input = plainPdf();
    lta = await signPdf(input, leaf, { level: 'B-LTA', tsaUrl: `${base}/tsa`, signingTime: T_SIGN, ltv: ltv() });
    ltaPath = save('lta.pdf', lta);
  }, 60_000);

  it('keeps the input as a prefix and passes qpdf --check', async () => {
    expect(Buffer.compare(Buffer.from(lta.subarray(0, input.length)), Buffer.from(input))).toBe(0);
    await qpdfCheck(ltaPath);
  });

  it('pdfsig: the seal is still "Signature is Valid" after the DSS and document time-stamp updates', async () => {
    const out = await pdfsig(ltaPath);
    const first = out.split(/Signature #2/)[0]!;
    expect(first).toContain('Signature #1');
    expect(first).toContain('Signature is Valid');
    expect(out).toContain('Signature #2');
  });

  it('the document time-stamp token verifies with openssl ts -verify over the ByteRange bytes', async () => {
    const sigs = signatureDicts(lta);
    const ts = sigs[sigs.length - 1]!;
    expect(ts.type).toBe('DocTimeStamp');
    expect(ts.byteRange[2]! + ts.byteRange[3]!).toBe(lta.length);
    const data = save('ts-data.bin', signedBytes(lta, ts));
    const token = save('ts-token.der', trimDerPadding(ts.contents)!);
    const r = await run('openssl', ['ts', '-verify', '-data', data, '-in', token, '-token_in', '-CAfile', join(CERTS, 'root-ca.pem'), '-untrusted', join(CERTS, 'tsa.pem')]);
    expect(r.stdout).toContain('Verification: OK');
    // and a changed byte does not verify
    const bad = Buffer.from(signedBytes(lta, ts));
    bad[100] = bad[100]! ^ 1;
    const badPath = save('ts-data-bad.bin', bad);
    const r2 = await run('openssl', ['ts', '-verify', '-data', badPath, '-in', token, '-token_in', '-CAfile', join(CERTS, 'root-ca.pem'), '-untrusted', join(CERTS, 'tsa.pem')]).catch((e: { stdout: string; code: number }) => e);
    expect(r2.stdout).not.toContain('Verification: OK');
  });

  it('DSS: certificates, CRLs and OCSP responses parse with openssl; VRI keyed by SHA-1 of /Contents', async () => {
    const dss = dssStreams(lta);
    expect(dss.certs.length).toBeGreaterThanOrEqual(4); // leaf, seal CA, root, TSA (+ OCSP responder)
    expect(dss.crls.length).toBeGreaterThanOrEqual(1);
    expect(dss.ocsps.length).toBe(1);
    const subjects: string[] = [];
    for (const [i, c] of dss.certs.entries()) {
      const r = await run('openssl', ['x509', '-inform', 'DER', '-in', save(`dss-cert-${i}.der`, c), '-noout', '-subject']);
      subjects.push(r.stdout);
    }
    expect(subjects.join('')).toContain('Short-lived LTV Seal');
    expect(subjects.join('')).toMatch(/TSA|Time/i);
    for (const [i, c] of dss.crls.entries()) {
      const r = await run('openssl', ['crl', '-inform', 'DER', '-in', save(`dss-crl-${i}.der`, c), '-noout', '-issuer']);
      expect(r.stdout).toMatch(/issuer=/);
    }
    const o = await run('openssl', ['ocsp', '-respin', save('dss-ocsp.der', dss.ocsps[0]!), '-resp_text', '-noverify']);
    expect(o.stdout).toContain('Cert Status: good');
    expect(o.stdout.toLowerCase()).toContain(leafSerial.replace(/^0+/, '').toLowerCase());
    const seal = signatureDicts(lta).find((s) => s.type === 'Sig')!;
    expect(dss.vri).toContain(createHash('sha1').update(seal.contents).digest('hex').toUpperCase());
    expect(dss.vri).toContain(vriKey(seal.contents));
  });

  it('our verifier: level B-LTA, TOTAL_PASSED at the signing time', async () => {
    const r = await verifyPdf(lta, { trustAnchors: [root.der] });
    const [seal] = sigReports(r);
    expect(seal!.level).toBe('B-LTA');
    expect(seal!.indication).toBe('TOTAL_PASSED');
    expect(r.indication).toBe('TOTAL_PASSED');
  });

  it('B-LTA still TOTAL_PASSED after the seal certificate expired, offline, from the DSS alone; B-B is not', async () => {
    const r = await verifyPdf(lta, { trustAnchors: [root.der], at: T_AFTER_EXPIRY });
    expect(sigReports(r)[0]!.indication).toBe('TOTAL_PASSED');
    expect(r.indication).toBe('TOTAL_PASSED');
    const bb = await signPdf(plainPdf(), leaf, { signingTime: T_SIGN });
    const rb = await verifyPdf(bb, { trustAnchors: [root.der], at: T_AFTER_EXPIRY, crls: [rootCrl, await caCrl(T_EXTEND)] });
    expect(rb.indication).not.toBe('TOTAL_PASSED');
    expect(sigReports(rb)[0]!.subIndication).toBe('OUT_OF_BOUNDS_NO_POE');
  });

  it('B-LTA still TOTAL_PASSED after a later revocation (revocation shown); B-B is not', async () => {
    revoked.set(leafSerial, T_REVOKE);
    try {
      const laterCrl = await caCrl(new Date(T_REVOKE.getTime() + 86_400_000));
      const r = await verifyPdf(lta, { trustAnchors: [root.der], at: T_AFTER_REVOCATION, crls: [laterCrl] });
      const seal = sigReports(r)[0]!;
      expect(seal.indication).toBe('TOTAL_PASSED');
      expect(seal.revocation.status).toBe('revoked');
      const bb = await signPdf(plainPdf(), leaf, { signingTime: T_SIGN });
      const rb = await verifyPdf(bb, { trustAnchors: [root.der], at: T_AFTER_REVOCATION, crls: [rootCrl, laterCrl] });
      expect(rb.indication).not.toBe('TOTAL_PASSED');
      expect(sigReports(rb)[0]!.subIndication).toMatch(/REVOKED/);
    } finally {
      revoked.delete(leafSerial);
    }
  });

  it('without its document time-stamp the file is B-LT; a changed byte under the document time-stamp fails', async () => {
    // the file as it was after the DSS update: up to the end of the revision before the time-stamp
    const doc = parsePdf(lta);
    const beforeTs = lta.subarray(0, doc.revisions[doc.revisions.length - 2]!.end);
    const r = await verifyPdf(beforeTs, { trustAnchors: [root.der] });
    expect(sigReports(r)[0]!.level).toBe('B-LT');
    expect((r.signatures as PdfSignatureReport[]).some((s) => s.kind === 'document-timestamp')).toBe(false);
    const tampered = Buffer.from(lta);
    const at = Buffer.from(lta).indexOf('/DSS');
    expect(at).toBeGreaterThan(0);
    tampered[at + 1] = 'd'.charCodeAt(0);
    const rt = await verifyPdf(tampered, { trustAnchors: [root.der], at: T_AFTER_EXPIRY });
    expect(rt.indication).not.toBe('TOTAL_PASSED');
  });
});

describe('extendPdf', () => {
  it('raises a B-B seal to B-LT (document time-stamp + DSS) and to B-LTA, never dropping DSS entries', async () => {
    clock = T_SIGN;
    const bb = await signPdf(plainPdf(), leaf, { signingTime: T_SIGN });
    clock = T_EXTEND;
    // a B-B seal with only a DSS is still B-B (no time-stamp: no proof of existence); with a document time-stamp it is B-T
    const dssOnly = addDss(parsePdf(bb), { certs: [root.der], crls: [], ocsps: [] });
    expect(sigReports(await verifyPdf(concatOutput(dssOnly.input, dssOnly.update), { trustAnchors: [root.der] }))[0]!.level).toBe('B-B');
    const withTs = await addDocumentTimestamp(bb, { tsaUrl: `${base}/tsa` });
    expect(sigReports(await verifyPdf(concatOutput(withTs.input, withTs.update), { trustAnchors: [root.der] }))[0]!.level).toBe('B-T');
    const lt = await extendPdfDetailed(bb, { level: 'B-LT', tsa: `${base}/tsa`, ...ltv() });
    expect(lt.steps).toEqual(['document-timestamp', 'dss']);
    expect(Buffer.compare(Buffer.from(lt.bytes.subarray(0, bb.length)), Buffer.from(bb))).toBe(0);
    const ltPath = save('bb-lt.pdf', lt.bytes);
    await qpdfCheck(ltPath);
    expect((await pdfsig(ltPath)).split('Signature #2')[0]).toContain('Signature is Valid');
    const r = await verifyPdf(lt.bytes, { trustAnchors: [root.der] });
    expect(sigReports(r)[0]!.level).toBe('B-LT');
    expect(r.indication).toBe('TOTAL_PASSED');

    const lta = await extendPdfDetailed(lt.bytes, { level: 'B-LTA', tsa: `${base}/tsa`, ...ltv() });
    expect(lta.steps).toEqual(['dss', 'document-timestamp']);
    const before = dssStreams(lt.bytes);
    const after = dssStreams(lta.bytes);
    const hex = (l: Uint8Array[]) => l.map((x) => Buffer.from(x).toString('hex'));
    for (const k of ['certs', 'crls', 'ocsps'] as const) for (const x of hex(before[k])) expect(hex(after[k])).toContain(x);
    for (const k of before.vri) expect(after.vri).toContain(k);
    // the document time-stamp added for B-LT got its own VRI entry (with the TSA's chain)
    const firstTs = signatureDicts(lt.bytes).find((s) => s.type === 'DocTimeStamp')!;
    expect(before.vri).toContain(vriKey(firstTs.contents));
    expect(after.vri.length).toBeGreaterThanOrEqual(before.vri.length);
    await qpdfCheck(save('bb-lta.pdf', lta.bytes));
    const ra = await verifyPdf(lta.bytes, { trustAnchors: [root.der], at: T_AFTER_EXPIRY });
    expect(sigReports(ra)[0]!.level).toBe('B-LTA');
    expect(ra.indication).toBe('TOTAL_PASSED');
  }, 60_000);

  it('without revocation data (offline, no --crl) B-LT is a typed error, not a B-LT without it', async () => {
    const bt = await signPdf(plainPdf(), leaf, { level: 'B-T', tsaUrl: `${base}/tsa`, signingTime: T_SIGN });
    const err = await extendPdf(bt, { level: 'B-LT', trustAnchors: [root.der] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SealError);
    expect((err as SealError).code).toBe('ERR_INPUT_INVALID');
    // an unreachable OCSP/CRL server: ERR_UPSTREAM within the fetcher's timeout
    const asked: string[] = [];
    const dead = {
      fetchCrl: async (url: string) => (asked.push(url), null),
      fetchOcsp: async (url: string) => (asked.push(url), null),
    };
    const err2 = await extendPdf(bt, { level: 'B-LT', trustAnchors: [root.der], crls: [rootCrl], fetcher: dead }).catch((e: unknown) => e);
    expect((err2 as SealError).code).toBe('ERR_UPSTREAM');
    expect(asked).toEqual([`${base}/ocsp`, `${base}/ca.crl`]); // OCSP first, then the CRL distribution point, once each
    // a B-B file cannot become B-LT without a TSA
    const bb = await signPdf(plainPdf(), leaf, { signingTime: T_SIGN });
    const err3 = await extendPdf(bb, { level: 'B-LT', ...ltv() }).catch((e: unknown) => e);
    expect((err3 as SealError).code).toBe('ERR_INPUT_INVALID');
    // unsigned or broken input
    for (const bad of [plainPdf(), new Uint8Array(Buffer.from('%PDF-1.7\nnot really')), bt.subarray(0, 200)]) {
      const e = await extendPdf(bad, { level: 'B-LT', ...ltv() }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SealError);
    }
  }, 30_000);

  it('extends a third-party PAdES B-LTA file (pyHanko, DSS with indirect arrays) to a new B-LTA, keeping its DSS', async () => {
    if (!corpusOrReport('pdf-ltv pyHanko extension')) return;
    const src = new Uint8Array(readFileSync(corpusPath('pdf/valid/pyhanko/pades-lta-dss-indirect-arrs-test.pdf')));
    clock = T_EXTEND;
    // pyHanko's revocation data (in its DSS) covers its signing time (the default reference); the new TSA's chain is ours
    const out = await extendPdfDetailed(src, { level: 'B-LTA', tsa: `${base}/tsa`, crls: [rootCrl], certificates: [root.der] });
    expect(out.steps).toEqual(['dss', 'document-timestamp']);
    expect(Buffer.compare(Buffer.from(out.bytes.subarray(0, src.length)), Buffer.from(src))).toBe(0);
    const path = save('pyhanko-lta2.pdf', out.bytes);
    await qpdfCheck(path);
    const sig = await pdfsig(path);
    expect(sig.split('Signature #2')[0]).toContain('Signature is Valid');
    const before = dssStreams(src);
    const after = dssStreams(out.bytes);
    const hex = (l: Uint8Array[]) => l.map((x) => Buffer.from(x).toString('hex'));
    for (const k of ['certs', 'crls', 'ocsps'] as const) for (const x of hex(before[k])) expect(hex(after[k])).toContain(x);
    expect(after.certs.length).toBeGreaterThan(before.certs.length);
  }, 30_000);
});

describe('seal pdf extend (CLI)', () => {
  it('writes OUT.pdf for --level B-LTA with --tsa and --crl; exit 65 and no output on bad input', async () => {
    clock = T_SIGN;
    const bt = await signPdf(plainPdf(), leaf, { level: 'B-T', tsaUrl: `${base}/tsa`, signingTime: T_SIGN });
    const inPath = save('cli-in.pdf', bt);
    const outPath = join(dir, 'cli-out.pdf');
    const code = await pdfCommand(['extend', inPath, '-o', outPath, '--level', 'B-LTA', '--tsa', `${base}/tsa`, '--crl', join(dir, 'root.crl'), '--trust', join(CERTS, 'root-ca.pem')]);
    expect(code).toBe(0);
    const out = new Uint8Array(readFileSync(outPath));
    await qpdfCheck(outPath);
    const r = await verifyPdf(out, { trustAnchors: [root.der], at: T_AFTER_EXPIRY });
    expect(sigReports(r)[0]!.level).toBe('B-LTA');
    expect(r.indication).toBe('TOTAL_PASSED');

    // seal pdf sign --level B-LTA with a dev seal (its seal CA's CRL given as a file: nothing listens on its OCSP URL)
    clock = new Date();
    const caCrlFile = save('seal-ca.crl', await caCrl(new Date()));
    const signed = join(dir, 'cli-signed-lta.pdf');
    const signCode = await pdfCommand(['sign', save('cli-plain.pdf', plainPdf()), '-o', signed, '--cert', join(CERTS, 'agency-b-ec.pem'), '--key', join(CERTS, 'agency-b-ec.key.pem'), '--chain', join(CERTS, 'chain.pem'), '--level', 'B-LTA', '--tsa', `${base}/tsa`, '--crl', caCrlFile, '--crl', join(dir, 'root.crl'), '--trust', join(CERTS, 'root-ca.pem'), '--offline']);
    expect(signCode).toBe(0);
    await qpdfCheck(signed);
    const rs = await verifyPdf(new Uint8Array(readFileSync(signed)), { trustAnchors: [root.der] });
    expect(sigReports(rs)[0]!.level).toBe('B-LTA');
    expect(rs.indication).toBe('TOTAL_PASSED');
    // offline without the seal CA's CRL: no revocation data, exit 65, no output
    const noData = join(dir, 'cli-signed-nodata.pdf');
    const e0 = await pdfCommand(['sign', save('cli-plain2.pdf', plainPdf()), '-o', noData, '--cert', join(CERTS, 'agency-b-ec.pem'), '--key', join(CERTS, 'agency-b-ec.key.pem'), '--chain', join(CERTS, 'chain.pem'), '--level', 'B-LT', '--tsa', `${base}/tsa`, '--crl', join(dir, 'root.crl'), '--offline']).catch((x: unknown) => x);
    expect((e0 as SealError).exitCode).toBe(65);
    expect(existsSync(noData)).toBe(false);

    const badIn = save('cli-bad.pdf', Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n'));
    const badOut = join(dir, 'cli-bad-out.pdf');
    const e = await pdfCommand(['extend', badIn, '-o', badOut, '--level', 'B-LT', '--crl', join(dir, 'root.crl')]).catch((x: unknown) => x);
    expect((e as SealError).exitCode).toBe(65);
    expect(existsSync(badOut)).toBe(false);
    const u = await pdfCommand(['extend', inPath, '-o', badOut, '--level', 'B-X']).catch((x: unknown) => x);
    expect((u as SealError).exitCode).toBe(64);
    expect(existsSync(badOut)).toBe(false);
  }, 60_000);
});

