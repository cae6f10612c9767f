/**
 * B-LT gathering with AIA caIssuers and delegated OCSP responders, on loopback: one HTTP server
 * (port 0) serves the issuer certificate (DER and certs-only PKCS#7), a wrong and an oversize
 * "issuer", the CA's CRL, the responder's CRL, an OCSP responder (`openssl ocsp -index`, a
 * delegated responder WITHOUT id-pkix-ocsp-nocheck) and a TSA. The PKI is made by openssl
 * (pki/test-pki buildAiaTestPki). The seal's CMS carries only the seal certificate: its issuer
 * must come from caIssuers. Judged by pdfsig (signature valid), qpdf --show-object (the DSS
 * streams), openssl verify (the DSS certificates and CRLs validate the chain and the responder
 * offline) and our verifier offline.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAiaTestPki, type TestPki } from '../packages/core/src/pki/test-pki.js';
import { createHttpRevocationFetcher } from '../packages/core/src/pki/fetcher.js';
import { createSoftwareSigner } from '../packages/core/src/signer/software.js';
import type { Signer } from '../packages/core/src/signer/signer.js';
import { createTimestampAuthority } from '../packages/core/src/tsa/authority.js';
import { createTsaHttpHandler } from '../packages/core/src/tsa/http.js';
import { signPdf } from '../packages/core/src/pdf/sign-pdf.js';
import { extendPdfDetailed } from '../packages/core/src/pdf/ltv/extend.js';
import { vriKey } from '../packages/core/src/pdf/ltv/dss.js';
import { verifyPdf, type PdfSignatureReport } from '../packages/core/src/pdf/verify.js';
import { parsePdf } from '../packages/core/src/pdf/parser/document.js';
import { PdfRef, PdfStream, PdfString, isArray } from '../packages/core/src/pdf/parser/objects.js';
import { buildPdf, onePageObjects } from '../packages/core/src/pdf/testing/build-pdf.js';
import { SealError } from '../packages/core/src/errors/index.js';

const run = promisify(execFile);
for (const t of ['qpdf', 'pdfsig', 'openssl']) {
  if (spawnSync(t, ['--version'], { stdio: 'ignore' }).error) throw new Error(`interop/pdf-ltv-aia: required tool ${t} is not installed`);
}

const dir = mkdtempSync(join(tmpdir(), 'pdf-ltv-aia-'));
let pki: TestPki;
let server: Server;
let base = '';
let responderCrlUp = true;
const hits = new Map<string, number>();
let seq = 0;

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => ok(Buffer.concat(parts)));
    req.on('error', fail);
  });
}

/** The delegated responder answers with openssl from the CA database. */
async function ocspAnswer(request: Buffer): Promise<Buffer> {
  const n = ++seq;
  writeFileSync(pki.file(`q${n}.req`), request);
  await run('openssl', ['ocsp', '-index', 'ca-index.txt', '-CA', 'ca.pem', '-rsigner', 'ocspr.pem', '-rkey', 'ocspr.key', '-reqin', `q${n}.req`, '-respout', `q${n}.der`, '-ndays', '30'], { cwd: pki.dir });
  return readFileSync(pki.file(`q${n}.der`));
}

const signerFor = (name: string, chain: string[] = []): Signer =>
  createSoftwareSigner(createPrivateKey(pki.pem(`${name}.key`)), [name, ...chain].map((n) => pki.der(`${n}.pem`)));

beforeAll(async () => {
  let tsaHandler: ReturnType<typeof createTsaHttpHandler> | null = null;
  server = createServer((req, res) => {
    const url = req.url ?? '';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    if (url === '/tsa' && tsaHandler) return tsaHandler(req, res);
    void (async () => {
      try {
        const files: Record<string, string> = { '/ca.cer': 'ca.cer', '/ca.p7c': 'ca.p7c', '/wrong.cer': 'wrong.cer', '/ca.crl': 'ca.crl', '/ca2.cer': 'ca2.cer', '/root.cer': 'root.cer' };
        if (files[url]) return void res.writeHead(200).end(readFileSync(pki.file(files[url])));
        if (url === '/responder.crl' && responderCrlUp) return void res.writeHead(200).end(readFileSync(pki.file('ca.crl')));
        if (url === '/big.cer') return void res.writeHead(200).end(Buffer.alloc(3 * 1024 * 1024, 0x30));
        if (url === '/ocsp' && req.method === 'POST') return void res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(await ocspAnswer(await body(req)));
        res.writeHead(404).end();
      } catch {
        res.writeHead(500).end();
      }
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pki = buildAiaTestPki(base);
  const tsa = createTimestampAuthority({ signer: signerFor('tsa'), policyOid: '1.3.6.1.4.1.99999.7' });
  tsaHandler = createTsaHttpHandler(tsa);
}, 30_000);

afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

const plainPdf = () => buildPdf({ objects: onePageObjects(), root: 1 });
const fetcher = () => createHttpRevocationFetcher({ timeoutMs: 2000 });
const ltv = () => ({ trustAnchors: [pki.der('root.pem')], crls: [pki.der('root.crl')], fetcher: fetcher() });
const sigReports = (r: { signatures: readonly unknown[] }): PdfSignatureReport[] => (r.signatures as PdfSignatureReport[]).filter((s) => s.kind === 'signature');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function save(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** The DSS arrays as object numbers (for qpdf) and decoded bytes (our parser), and the VRI entry of the first signature. */
function dss(bytes: Uint8Array) {
  const doc = parsePdf(bytes);
  const d = doc.resolveDict(doc.catalog().get('DSS'));
  if (!d) throw new Error('no DSS');
  const take = (dict: typeof d, k: string) => {
    const a = doc.resolve(dict.get(k));
    if (!isArray(a)) return [];
    return a.map((r) => {
      const s = doc.resolve(r);
      if (!(r instanceof PdfRef) || !(s instanceof PdfStream)) throw new Error(`DSS /${k}: not a stream reference`);
      return { num: r.num, bytes: doc.decode(s) };
    });
  };
  const vri = doc.resolveDict(d.get('VRI'));
  const vriEntry = (key: string) => {
    const e = vri ? doc.resolveDict(vri.get(key)) : null;
    return e ? { crls: take(e, 'CRL').map((x) => hex(x.bytes)), certs: take(e, 'Cert').map((x) => hex(x.bytes)) } : null;
  };
  return { certs: take(d, 'Certs'), crls: take(d, 'CRLs'), ocsps: take(d, 'OCSPs'), vri: vriEntry };
}

/** The /Contents of the first signature (for its VRI key). */
function firstContents(bytes: Uint8Array): Uint8Array {
  const m = /\/Contents\s*<([0-9A-Fa-f]+)>/.exec(Buffer.from(bytes).toString('latin1'));
  return new PdfString(Buffer.from(m![1]!, 'hex'), true).bytes;
}

async function qpdfStream(path: string, num: number): Promise<Buffer> {
  const r = await run('qpdf', [`--show-object=${num}`, '--raw-stream-data', path], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 });
  return r.stdout;
}

async function refusal(p: Promise<unknown>): Promise<SealError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(SealError);
  return err as SealError;
}

describe('B-LT: the issuer through caIssuers, the delegated responder with its own revocation data', () => {
  let bt: Uint8Array;
  let lt: Awaited<ReturnType<typeof extendPdfDetailed>>;
  let ltPath = '';

  beforeAll(async () => {
    // the CMS carries the seal certificate alone
    bt = await signPdf(plainPdf(), signerFor('leaf'), { level: 'B-T', tsaUrl: `${base}/tsa` });
    lt = await extendPdfDetailed(bt, { level: 'B-LT', ...ltv() });
    ltPath = save('lt.pdf', lt.bytes);
  }, 20_000);

  it('fetched the CA certificate once and put it in the DSS; the delegated responder, its CRL and the OCSP answer too', async () => {
    expect(lt.steps).toEqual(['dss']);
    expect(lt.gathered.warnings).toEqual([]);
    expect(hits.get('/ca.cer')).toBe(1);
    expect(hits.get('/responder.crl')).toBe(1);
    const d = dss(lt.bytes);
    const certs = d.certs.map((c) => hex(c.bytes));
    for (const n of ['leaf', 'ca', 'root', 'ocspr', 'tsa']) expect(certs).toContain(hex(pki.der(`${n}.pem`)));
    expect(d.ocsps).toHaveLength(1);
    const crls = d.crls.map((c) => hex(c.bytes));
    expect(crls.sort()).toEqual([hex(pki.der('ca.crl')), hex(pki.der('root.crl'))].sort());
    // the signature's VRI lists the responder's CRL and the fetched CA certificate too
    const v = d.vri(vriKey(firstContents(lt.bytes)));
    expect(v?.crls).toContain(hex(pki.der('ca.crl')));
    expect(v?.certs).toContain(hex(pki.der('ca.pem')));
  });

  it('qpdf shows the DSS streams; openssl validates the chain and the responder from them alone', async () => {
    const d = dss(lt.bytes);
    const caCrl = d.crls.find((c) => hex(c.bytes) === hex(pki.der('ca.crl')))!;
    const caCert = d.certs.find((c) => hex(c.bytes) === hex(pki.der('ca.pem')))!;
    const ocspr = d.certs.find((c) => hex(c.bytes) === hex(pki.der('ocspr.pem')))!;
    const fromQpdf = async (num: number, name: string) => {
      const raw = await qpdfStream(ltPath, num);
      writeFileSync(join(dir, name), raw);
      return raw;
    };
    expect(hex(await fromQpdf(caCrl.num, 'dss-ca.crl'))).toBe(hex(pki.der('ca.crl')));
    await fromQpdf(caCert.num, 'dss-ca.cer');
    await fromQpdf(ocspr.num, 'dss-ocspr.cer');
    const crlText = (await run('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'dss-ca.crl'), '-noout', '-issuer'])).stdout;
    expect(crlText).toContain('Test AIA CA');
    // PEM forms of the DSS certificates for openssl verify (-untrusted and the target take PEM)
    for (const n of ['dss-ca', 'dss-ocspr']) await run('openssl', ['x509', '-inform', 'DER', '-in', join(dir, `${n}.cer`), '-out', join(dir, `${n}.pem`)]);
    await run('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'dss-ca.crl'), '-out', join(dir, 'dss-ca.crl.pem')]);
    const ok = await run('openssl', ['verify', '-crl_check', '-CAfile', pki.file('root.pem'), '-untrusted', join(dir, 'dss-ca.pem'), '-CRLfile', join(dir, 'dss-ca.crl.pem'), join(dir, 'dss-ocspr.pem')]);
    expect(ok.stdout).toContain('OK');
    // the seal certificate cannot be validated without the CA certificate the DSS got from caIssuers
    const without = await run('openssl', ['verify', '-CAfile', pki.file('root.pem'), pki.file('leaf.pem')]).then(() => 'OK', () => 'failed');
    expect(without).toBe('failed');
  });

  it('pdfsig: the seal is still "Signature is Valid" after the DSS update', async () => {
    const r = await run('pdfsig', ['-nocert', ltPath]).catch((e: { stdout: string }) => e);
    expect(r.stdout).toContain('Signature is Valid');
    expect(r.stdout).not.toContain('Signature is Invalid');
  });

  it('our verifier: B-LT, TOTAL_PASSED offline from the DSS alone; the B-T file without the DSS has no chain', async () => {
    const r = await verifyPdf(lt.bytes, { trustAnchors: [pki.der('root.pem')] });
    const [seal] = sigReports(r);
    expect(seal!.level).toBe('B-LT');
    expect(seal!.indication).toBe('TOTAL_PASSED');
    expect(seal!.revocation.status).toBe('good');
    expect(seal!.errors ?? []).toEqual([]);
    expect((seal!.warnings ?? []).join()).not.toContain('OCSP responder');
    const before = await verifyPdf(bt, { trustAnchors: [pki.der('root.pem')], crls: [pki.der('root.crl'), pki.der('ca.crl')] });
    expect(sigReports(before)[0]!.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
  });
});

describe('caIssuers answers that are refused or ignored', () => {
  const bb = async (leaf: string) => signPdf(plainPdf(), signerFor(leaf));

  it('a certs-only PKCS#7 answer after a refused ldap: URL completes the chain (the refusal is a warning)', async () => {
    const out = await extendPdfDetailed(await signPdf(plainPdf(), signerFor('leaf-p7'), { level: 'B-T', tsaUrl: `${base}/tsa` }), { level: 'B-LT', ...ltv() });
    expect(out.gathered.warnings).toEqual([`caIssuers URL "ldap://ldap.invalid/cn=Test%20AIA%20CA" of "CN=AIA Seal PKCS7" refused: only http: URLs are fetched`]);
    expect(out.gathered.certs.map(hex)).toContain(hex(pki.der('ca.pem')));
    const r = await verifyPdf(out.bytes, { trustAnchors: [pki.der('root.pem')] });
    expect(sigReports(r)[0]!.indication).toBe('TOTAL_PASSED');
  });

  it('an answer that did not issue the certificate is ignored: ERR_CERT_INVALID naming why', async () => {
    const err = await refusal(extendPdfDetailed(await bb('leaf-wrong'), { level: 'B-LT', tsa: `${base}/tsa`, ...ltv() }));
    expect(err.code).toBe('ERR_CERT_INVALID');
    expect(err.message).toContain('no issuer certificate found for "CN=AIA Seal Wrong Issuer"');
    expect(err.message).toContain(`caIssuers URL "${base}/wrong.cer" of "CN=AIA Seal Wrong Issuer" ignored: the certificate there did not issue it`);
  });

  it('an oversize answer, an https: URL and a loop are refused with the reason', async () => {
    const big = await refusal(extendPdfDetailed(await bb('leaf-big'), { level: 'B-LT', tsa: `${base}/tsa`, ...ltv() }));
    expect(big.message).toContain(`caIssuers URL "${base}/big.cer" of "CN=AIA Seal Big Answer" refused: answer larger than 1048576 bytes`);
    const https = await refusal(extendPdfDetailed(await bb('leaf-https'), { level: 'B-LT', tsa: `${base}/tsa`, ...ltv() }));
    expect(https.message).toContain('"https://127.0.0.1:9/ca.cer" of "CN=AIA Seal HTTPS" refused: only http: URLs are fetched');
    // the CA's own caIssuers URL names itself: without the root, the chain walk comes back to the same URL
    const loop = await refusal(extendPdfDetailed(await bb('leaf'), { level: 'B-LT', tsa: `${base}/tsa`, crls: [pki.der('root.crl')], fetcher: fetcher() }));
    expect(loop.message).toContain(`no issuer certificate found for "CN=Test AIA CA"`);
    expect(loop.message).toContain(`caIssuers URL "${base}/ca.cer" of "CN=Test AIA CA" refused: loop`);
  });

  it('a root fetched through caIssuers never ends a chain unless it is a given trust anchor', async () => {
    const pdf = await bb('leaf-ca2');
    const err = await refusal(extendPdfDetailed(pdf, { level: 'B-LT', tsa: `${base}/tsa`, fetcher: fetcher() }));
    expect(err.code).toBe('ERR_CERT_INVALID');
    expect(err.message).toBe('the chain of "CN=AIA Seal Under CA Two" ends at "CN=Test AIA Root", fetched through caIssuers, which is never a trust anchor: give the root as a trust anchor');
    // given as the anchor, the same fetched chain is complete: what is missing then is revocation data
    const next = await refusal(extendPdfDetailed(pdf, { level: 'B-LT', tsa: `${base}/tsa`, trustAnchors: [pki.der('root.pem')], fetcher: fetcher() }));
    expect(next.message).toContain('no revocation data for "CN=AIA Seal Under CA Two"');
  });

  it('offline (no fetcher) nothing is fetched', async () => {
    const n = hits.get('/ca.cer') ?? 0;
    const err = await refusal(extendPdfDetailed(await bb('leaf'), { level: 'B-LT', tsa: `${base}/tsa`, trustAnchors: [pki.der('root.pem')], crls: [pki.der('root.crl')] }));
    expect(err.message).toBe('no issuer certificate found for "CN=AIA Seal" (give it with the chain certificates)');
    expect(hits.get('/ca.cer') ?? 0).toBe(n);
  });
});

describe('a delegated responder whose own revocation data cannot be had', () => {
  it('is a warning when gathering; the verifier reports its status as unknown and still uses its answer', async () => {
    responderCrlUp = false;
    try {
      const bt = await signPdf(plainPdf(), signerFor('leaf', ['ca']), { level: 'B-T', tsaUrl: `${base}/tsa` });
      const out = await extendPdfDetailed(bt, { level: 'B-LT', ...ltv() });
      expect(out.gathered.warnings).toHaveLength(1);
      expect(out.gathered.warnings[0]).toContain('OCSP responder "CN=Test AIA OCSP Responder" (answering for "CN=AIA Seal"): its own revocation data was not gathered');
      expect(out.gathered.crls.map(hex)).toEqual([hex(pki.der('root.crl'))]);
      const r = await verifyPdf(out.bytes, { trustAnchors: [pki.der('root.pem')] });
      const seal = sigReports(r)[0]!;
      expect(seal.indication).toBe('TOTAL_PASSED');
      expect((seal.warnings ?? []).join()).toContain('OCSP responder "CN=Test AIA OCSP Responder" (answering for "CN=AIA Seal"): its own revocation status is unknown');
    } finally {
      responderCrlUp = true;
    }
  });
});
