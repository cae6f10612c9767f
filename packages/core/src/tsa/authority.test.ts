import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG, children, childrenOf, contentOf, encodedOf, parseDer } from '../asn1/der.js';
import { createCmsSignature, estimateCmsSize } from '../cms/sign.js';
import { loadSignerFromPem } from '../signer/load-key.js';
import type { Signer } from '../signer/signer.js';
import { type TestPki, makeTestPki, openssl } from '../signer/testing/openssl-pki.js';
import { type TimestampAuthority, createTimestampAuthority } from './authority.js';
import { encodeTimestampRequest, parseTimestampToken, requestTimestamp } from './client.js';
import { createTsaHttpHandler } from './http.js';

const POLICY = '1.3.6.1.4.1.55555.1.1';
let pki: TestPki;
let tsaSigner: Signer;
let tsa: TimestampAuthority;
let server: Server;
let url: string;
let n = 0;

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const s = createServer(handler);
    s.listen(0, '127.0.0.1', () => resolve({ server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/tsa` }));
  });
}

beforeAll(async () => {
  pki = makeTestPki();
  tsaSigner = loadSignerFromPem({ certPem: pki.tsa.certPem, keyPem: pki.tsa.keyPem, chainPems: [pki.tsa.chainPem] });
  tsa = createTimestampAuthority({ signer: tsaSigner, policyOid: POLICY });
  ({ server, url } = await listen(createTsaHttpHandler(tsa)));
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  pki?.cleanup();
});

function file(name: string, data: Uint8Array | string): string {
  const p = join(pki.dir, `${n++}-${name}`);
  writeFileSync(p, data);
  return p;
}

function run(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args);
  return { ok: r.status === 0, out: r.stdout.toString() + r.stderr.toString() };
}

async function post(body: Uint8Array, headers: Record<string, string> = { 'content-type': 'application/timestamp-query' }, method = 'POST'): Promise<Response> {
  return fetch(url, { method, headers, ...(method === 'POST' ? { body } : {}) });
}

/** openssl ts -verify of a response (or a bare token) against the test root, with the TSA cert untrusted. */
function tsVerify(args: string[]): { ok: boolean; out: string } {
  return run(['ts', '-verify', ...args, '-CAfile', pki.tsa.rootPath, '-untrusted', pki.tsa.certPath]);
}

describe('TSA over HTTP, judged by openssl ts', () => {
  it('answers an `openssl ts -query` with a token that `openssl ts -verify` accepts for the data and the query', async () => {
    const data = file('data.bin', randomBytes(5000));
    for (const md of ['-sha256', '-sha384', '-sha512']) {
      const query = file('req.tsq', openssl(['ts', '-query', '-data', data, md, '-cert']));
      const res = await post(new Uint8Array(readFileSync(query)));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
      const reply = file('resp.tsr', new Uint8Array(await res.arrayBuffer()));
      const text = run(['ts', '-reply', '-in', reply, '-text']).out;
      expect(text).toContain('Status: Granted.');
      expect(text).toContain(`Policy OID: ${POLICY}`);
      expect(text).toMatch(/Nonce: 0x[0-9A-F]+/);
      const byData = tsVerify(['-data', data, '-in', reply]);
      expect(byData.out).toContain('Verification: OK');
      const byQuery = tsVerify(['-queryfile', query, '-in', reply]);
      expect(byQuery.out).toContain('Verification: OK');
      // and the token does not verify for other data
      expect(tsVerify(['-data', file('other.bin', 'other'), '-in', reply]).ok).toBe(false);
    }
  });

  it('uses the injected clock and serial source, with millisecond precision', async () => {
    const fixed = createTimestampAuthority({ signer: tsaSigner, policyOid: POLICY, clock: () => new Date('2031-02-03T04:05:06.789Z'), serialSource: () => 42n });
    const data = file('d.bin', 'hello');
    const query = openssl(['ts', '-query', '-data', data, '-sha256', '-cert']);
    const reply = file('fixed.tsr', await fixed.respond(query));
    const text = run(['ts', '-reply', '-in', reply, '-text']).out;
    expect(text).toContain('Serial number: 0x2A');
    expect(text).toContain('Time stamp: Feb  3 04:05:06.789 2031 GMT');
    expect(text).toContain('Accuracy: 0x01 seconds');
    expect(tsVerify(['-data', data, '-in', reply]).out).toContain('Verification: OK');
  });

  it('rejects bad requests with the RFC 3161 failure info', async () => {
    const data = file('d2.bin', 'x');
    const cases: Array<[Uint8Array, string]> = [
      [new TextEncoder().encode('not ASN.1 at all'), 'the data submitted has the wrong format'],
      [openssl(['ts', '-query', '-data', data, '-sha1']), 'unrecognized or unsupported algorithm identifier'],
      [openssl(['ts', '-query', '-data', data, '-sha256', '-tspolicy', '1.2.3.4']), 'the requested TSA policy is not supported by the TSA'],
      [encodeTimestampRequestWithExtension(), 'the requested extension is not supported by the TSA'],
      [Uint8Array.from([...openssl(['ts', '-query', '-data', data, '-sha256']), 0]), 'the data submitted has the wrong format'],
    ];
    for (const [body, failure] of cases) {
      const res = await post(body);
      expect(res.status).toBe(200);
      const text = run(['ts', '-reply', '-in', file('rej.tsr', new Uint8Array(await res.arrayBuffer())), '-text']).out;
      expect(text).toContain('Status: Rejected.');
      expect(text).toContain(failure);
    }
  });

  it('serves POST only, with the right content type and a body limit', async () => {
    expect((await post(new Uint8Array(), {}, 'GET')).status).toBe(405);
    expect((await post(new Uint8Array(10), { 'content-type': 'application/json' })).status).toBe(415);
    expect((await post(new Uint8Array(20_000))).status).toBe(413);
    // chunked upload without Content-Length, over the limit
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(new Uint8Array(10_000));
      req.end(new Uint8Array(10_000));
    });
    expect(status).toBe(413);
  });

  it('refuses a TSA certificate without a critical timeStamping EKU', () => {
    const l = pki.leaves.rsa;
    const notTsa = loadSignerFromPem({ certPem: l.certPem, keyPem: l.keyPem });
    expect(() => createTimestampAuthority({ signer: notTsa, policyOid: POLICY })).toThrow(expect.objectContaining({ code: 'ERR_CERT_INVALID' }));
  });
});

/** A TimeStampReq with an extensions field (which this TSA does not accept). */
function encodeTimestampRequestWithExtension(): Uint8Array {
  const base = encodeTimestampRequest({ imprint: new Uint8Array(32), hash: 'SHA-256', certReq: true });
  const node = parseDer(base);
  const fields = children(node).map((c) => encodedOf(c));
  const ext = Uint8Array.from([0xa0, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x04, 0x05, 0x04, 0x03, 0x01, 0x02, 0x03]);
  const inner = Buffer.concat([...fields, ext]);
  return Uint8Array.from([0x30, inner.length, ...inner]);
}

describe('requestTimestamp (client)', () => {
  it('gets a token that openssl verifies against the imprint', async () => {
    const imprint = createHash('sha384').update('signature value').digest();
    const { token, tstInfo } = await requestTimestamp(url, { imprint, hash: 'SHA-384' }, { timeoutMs: 5000 });
    expect(tstInfo.policy).toBe(POLICY);
    expect(Buffer.from(tstInfo.imprint).equals(imprint)).toBe(true);
    const r = tsVerify(['-digest', imprint.toString('hex'), '-sha384', '-in', file('t.der', token), '-token_in']);
    expect(r.out).toContain('Verification: OK');
  });

  it('fails with ERR_UPSTREAM on a closed port, a timeout, an HTTP error, a rejection and a token for another imprint', async () => {
    const imprint = createHash('sha256').update('x').digest();
    const fields = { imprint, hash: 'SHA-256' as const };
    const closed = await listen(() => undefined);
    const closedUrl = closed.url;
    await new Promise((r) => closed.server.close(r));
    await expect(requestTimestamp(closedUrl, fields, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'ERR_UPSTREAM' });

    const silent = await listen(() => undefined); // never answers
    await expect(requestTimestamp(silent.url, fields, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'ERR_UPSTREAM' });
    silent.server.closeAllConnections();
    await new Promise((r) => silent.server.close(r));

    const other = createHash('sha256').update('y').digest();
    const canned = await tsa.respond(encodeTimestampRequest({ imprint: other, hash: 'SHA-256', certReq: true }));
    const rejection = await tsa.respond(new Uint8Array([1, 2, 3]));
    const answers: Array<(res: import('node:http').ServerResponse) => void> = [
      (res) => res.writeHead(500).end(),
      (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
      (res) => res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(rejection),
      (res) => res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(canned),
      (res) => res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(Buffer.from('garbage')),
    ];
    for (const answer of answers) {
      const bad = await listen((req, res) => {
        req.resume();
        req.on('end', () => answer(res));
      });
      await expect(requestTimestamp(bad.url, fields, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'ERR_UPSTREAM' });
      await new Promise((r) => bad.server.close(r));
    }
    await expect(requestTimestamp('ftp://x/', fields)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});

/** signature value and the time-stamp token out of a CMS SignerInfo. */
function signatureAndToken(cms: Uint8Array): { signature: Uint8Array; token: Uint8Array } {
  const [, wrapped] = childrenOf(parseDer(cms), TAG.SEQUENCE, 'ContentInfo');
  const sd = childrenOf(children(wrapped!)[0], TAG.SEQUENCE, 'SignedData');
  const signerInfo = children(sd[sd.length - 1]!)[0]!;
  const f = children(signerInfo);
  const signature = contentOf(f[5]!);
  const unsigned = f[6]!;
  expect(unsigned.tag).toBe(0xa1);
  const attr = children(unsigned)[0]!;
  const [, values] = children(attr);
  return { signature, token: encodedOf(children(values!)[0]!) };
}

describe('CMS with a signature time-stamp (B-T)', () => {
  it.each(['url', 'in-process'] as const)('embeds a token over the signature value (%s TSA): openssl cms and openssl ts both verify', async (mode) => {
    const l = pki.leaves.p256;
    const signer = loadSignerFromPem({ certPem: l.certPem, keyPem: l.keyPem, chainPems: [l.chainPem] });
    const content = randomBytes(2000);
    const setup = mode === 'url' ? { hash: 'SHA-256' as const, signer, timestampUrl: url } : { hash: 'SHA-256' as const, signer, timestamper: tsa.timestamper };
    const cms = await createCmsSignature({ ...setup, contentDigest: createHash('sha256').update(content).digest() });

    const cmsOk = run(['cms', '-verify', '-binary', '-inform', 'DER', '-in', file('bt.der', cms), '-content', file('bt.bin', content),
      '-CAfile', pki.rootsPath, '-purpose', 'any', '-out', '/dev/null']);
    expect(cmsOk.out).toContain('Verification successful');

    const { signature, token } = signatureAndToken(cms);
    const imprint = createHash('sha256').update(signature).digest('hex');
    expect(tsVerify(['-digest', imprint, '-in', file('tok.der', token), '-token_in']).out).toContain('Verification: OK');
    expect(parseTimestampToken(token).policy).toBe(POLICY);

    const estimate = await estimateCmsSize(setup);
    expect(estimate).toBeGreaterThanOrEqual(cms.length);
    expect(estimate - cms.length).toBeLessThan(200);
  });

  it('fails the whole signature with ERR_UPSTREAM when the TSA is unreachable (no silent B-B)', async () => {
    const l = pki.leaves.rsa;
    const signer = loadSignerFromPem({ certPem: l.certPem, keyPem: l.keyPem, chainPems: [l.chainPem] });
    const dead = await listen(() => undefined);
    const deadUrl = dead.url;
    await new Promise((r) => dead.server.close(r));
    await expect(createCmsSignature({ hash: 'SHA-256', signer, timestampUrl: deadUrl, timestampTimeoutMs: 2000, contentDigest: new Uint8Array(32) }))
      .rejects.toMatchObject({ code: 'ERR_UPSTREAM' });
  });
});
