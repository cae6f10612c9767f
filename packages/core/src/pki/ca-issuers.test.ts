import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SealError } from '../errors/index.js';
import { buildAiaTestPki, type TestPki } from './test-pki.js';
import { CaIssuersResolver, caIssuersUrls, parseCaIssuersAnswer } from './ca-issuers.js';
import { parseCertificate } from './cert.js';
import { createHttpRevocationFetcher } from './fetcher.js';

let pki: TestPki;
let server: Server;
let base = '';
const hits = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    const file = { '/ca.cer': 'ca.cer', '/ca.p7c': 'ca.p7c', '/wrong.cer': 'wrong.cer' }[url];
    if (file) return void res.writeHead(200, { 'content-type': 'application/pkix-cert' }).end(readFileSync(pki.file(file)));
    if (url === '/big.cer') return void res.writeHead(200).end(Buffer.alloc(2 * 1024 * 1024, 0x30));
    if (url === '/pem.cer') return void res.writeHead(200).end(pki.pem('ca.pem'));
    if (url === '/redirect.cer') return void res.writeHead(302, { location: '/ca.cer' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pki = buildAiaTestPki(base);
});

afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
});

const cert = (name: string) => parseCertificate(pki.der(name));
const code = (f: () => unknown): string | null => {
  try {
    f();
    return null;
  } catch (err) {
    return err instanceof SealError ? err.code : 'not a SealError';
  }
};

describe('caIssuersUrls', () => {
  it('lists the caIssuers URIs of the AIA extension in order (not the OCSP one)', () => {
    expect(caIssuersUrls(cert('leaf-p7.pem'))).toEqual(['ldap://ldap.invalid/cn=Test%20AIA%20CA', `${base}/ca.p7c`]);
    expect(caIssuersUrls(cert('leaf.pem'))).toEqual([`${base}/ca.cer`]);
    expect(cert('leaf.pem').ocspUrls).toEqual([`${base}/ocsp`]);
    expect(caIssuersUrls(cert('root.pem'))).toEqual([]);
  });
});

describe('parseCaIssuersAnswer', () => {
  it('reads a DER certificate and a DER certs-only PKCS#7 (made by openssl crl2pkcs7)', () => {
    const ca = cert('ca.pem');
    expect(parseCaIssuersAnswer(pki.der('ca.cer')).map((c) => c.fingerprint)).toEqual([ca.fingerprint]);
    expect(parseCaIssuersAnswer(pki.der('ca.p7c')).map((c) => c.fingerprint)).toEqual([ca.fingerprint]);
    pki.openssl(['crl2pkcs7', '-nocrl', '-certfile', 'ca.pem', '-certfile', 'root.pem', '-outform', 'DER', '-out', 'two.p7c']);
    expect(parseCaIssuersAnswer(pki.der('two.p7c')).map((c) => c.subject).sort()).toEqual(['CN=Test AIA CA', 'CN=Test AIA Root']);
  });

  it('refuses PEM, a signed PKCS#7 (not certs-only), a CRL and junk with ERR_CERT_INVALID', () => {
    expect(code(() => parseCaIssuersAnswer(new Uint8Array(Buffer.from(pki.pem('ca.pem')))))).toBe('ERR_CERT_INVALID');
    pki.openssl(['cms', '-sign', '-binary', '-in', 'ca.cer', '-signer', 'leaf.pem', '-inkey', 'leaf.key', '-outform', 'DER', '-out', 'signed.p7m', '-nodetach']);
    expect(code(() => parseCaIssuersAnswer(pki.der('signed.p7m')))).toBe('ERR_CERT_INVALID');
    expect(code(() => parseCaIssuersAnswer(pki.der('root.crl')))).toBe('ERR_CERT_INVALID');
    expect(code(() => parseCaIssuersAnswer(Uint8Array.of(0x30, 0x03, 0x02, 0x01)))).toBe('ERR_CERT_INVALID');
    expect(code(() => parseCaIssuersAnswer(new Uint8Array(0)))).toBe('ERR_CERT_INVALID');
  });
});

describe('fetchCaIssuers (createHttpRevocationFetcher)', () => {
  it('GETs http: URLs only, with the size cap, no redirects, and says why not', async () => {
    const f = createHttpRevocationFetcher({ timeoutMs: 2000 });
    const okAnswer = await f.fetchCaIssuers!(`${base}/ca.cer`);
    expect(okAnswer.ok && Buffer.from(okAnswer.bytes).equals(Buffer.from(pki.der('ca.cer')))).toBe(true);
    expect(await f.fetchCaIssuers!(`${base}/big.cer`)).toEqual({ ok: false, reason: `answer larger than ${1024 * 1024} bytes` });
    expect(await f.fetchCaIssuers!(`${base}/none.cer`)).toEqual({ ok: false, reason: 'HTTP status 404' });
    expect(await f.fetchCaIssuers!(`${base}/redirect.cer`)).toMatchObject({ ok: false, reason: expect.stringContaining('redirects are not followed') });
    for (const u of ['https://127.0.0.1:9/ca.cer', 'ldap://ldap.invalid/x', 'file:///etc/passwd']) {
      expect(await f.fetchCaIssuers!(u)).toEqual({ ok: false, reason: 'only http: URLs are fetched' });
    }
    const small = createHttpRevocationFetcher({ maxBytes: 100 });
    expect(await small.fetchCaIssuers!(`${base}/ca.cer`)).toEqual({ ok: false, reason: 'answer larger than 100 bytes' });
  });
});

describe('CaIssuersResolver', () => {
  it('finds the issuer through DER and PKCS#7 answers; refuses ldap: with a reason', async () => {
    const r = new CaIssuersResolver(createHttpRevocationFetcher());
    const a = await r.issuerOf(cert('leaf.pem'), new Set());
    expect(a.issuer?.fingerprint).toBe(cert('ca.pem').fingerprint);
    expect(a.notes).toEqual([]);
    const b = await r.issuerOf(cert('leaf-p7.pem'), new Set());
    expect(b.issuer?.fingerprint).toBe(cert('ca.pem').fingerprint);
    expect(b.notes).toEqual([`caIssuers URL "ldap://ldap.invalid/cn=Test%20AIA%20CA" of "CN=AIA Seal PKCS7" refused: only http: URLs are fetched`]);
  });

  it('ignores an answer that did not issue the certificate (same name, other key: the signature decides)', async () => {
    const wrong = cert('wrong.pem');
    expect(wrong.subject).toBe(cert('ca.pem').subject);
    expect(wrong.subjectKeyId).toBeNull();
    const r = new CaIssuersResolver(createHttpRevocationFetcher());
    const a = await r.issuerOf(cert('leaf-wrong.pem'), new Set());
    expect(a.issuer).toBeNull();
    expect(a.notes.join()).toContain('ignored: the certificate there did not issue it');
  });

  it('refuses oversize answers, https:, a URL seen before in the same chain, and stops at the request budget', async () => {
    const r = new CaIssuersResolver(createHttpRevocationFetcher(), { maxFetches: 2 });
    expect((await r.issuerOf(cert('leaf-big.pem'), new Set())).notes.join()).toContain(`refused: answer larger than ${1024 * 1024} bytes`);
    expect((await r.issuerOf(cert('leaf-https.pem'), new Set())).notes.join()).toContain('refused: only http: URLs are fetched');
    const visited = new Set([`${base}/ca.cer`]);
    expect((await r.issuerOf(cert('ca.pem'), visited)).notes.join()).toContain('refused: loop');
    expect((await r.issuerOf(cert('leaf-wrong.pem'), new Set())).issuer).toBeNull(); // second request
    const before = hits.get('/ca.cer') ?? 0;
    const last = await r.issuerOf(cert('leaf.pem'), new Set());
    expect(last.issuer).toBeNull();
    expect(last.notes.join()).toContain('budget of this run is used up');
    expect(hits.get('/ca.cer') ?? 0).toBe(before);
    expect(r.fetchCount).toBe(2);
  });

  it('fetches each URL once per run', async () => {
    const r = new CaIssuersResolver(createHttpRevocationFetcher());
    const before = hits.get('/ca.cer') ?? 0;
    await r.issuerOf(cert('leaf.pem'), new Set());
    await r.issuerOf(cert('leaf.pem'), new Set());
    expect((hits.get('/ca.cer') ?? 0) - before).toBe(1);
  });

  it('does nothing without fetchCaIssuers on the fetcher', async () => {
    const r = new CaIssuersResolver({ fetchCrl: async () => null, fetchOcsp: async () => null });
    const a = await r.issuerOf(cert('leaf.pem'), new Set());
    expect(a.issuer).toBeNull();
    expect(a.notes.join()).toContain('cannot fetch certificates');
  });
});
