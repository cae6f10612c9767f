import { createHash, randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SealError } from '@seal/core';
import { entryLookupFromRegistry, pictureType, webPlugin, type EntryRegistryReader } from './index.js';
import { sha256Hex, sha256HexSync } from './assets/sha256.js';
import { MESSAGES, pickLang, t } from './assets/i18n.js';
import {
  changedThings, dnParts, documentVerdict, isDetached, jsonVerifyBody, jwsPayload, problemKey, registryFor,
  revisionEnds, safeImageSrc, sniffFormat, toBase64, verdictFor,
} from './assets/verdict.js';

const enc = new TextEncoder();
const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function sig(over: Record<string, unknown>): Record<string, unknown> {
  return {
    indication: 'TOTAL_PASSED',
    subIndication: null,
    signer: { subject: 'CN=Seal A,O=Agency A,C=CN', issuer: 'CN=Agency Seal CA,O=Dev', serialNumber: '0a' },
    signingTime: '2026-11-26T01:00:00Z',
    trusted: true,
    revocation: { status: 'good', reason: null, revokedAt: null },
    coversWholeDocument: true,
    modifications: [],
    timestamp: null,
    level: 'B-B',
    ...over,
  };
}

describe('sha256 (page fallback for non-secure contexts)', () => {
  it('matches node:crypto at every padding boundary and on random data', () => {
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000]) {
      const b = randomBytes(n);
      expect(sha256HexSync(b)).toBe(nodeSha(b));
    }
    expect(sha256HexSync(enc.encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('the async form agrees', async () => {
    const b = randomBytes(3000);
    expect(await sha256Hex(b)).toBe(nodeSha(b));
  });
});

describe('i18n', () => {
  it('every key exists in both languages, with the same placeholders', () => {
    const en = MESSAGES.en;
    const zh = MESSAGES['zh-CN'];
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(en)) expect(ph(zh[k] ?? ''), k).toEqual(ph(en[k] ?? ''));
  });
  it('picks the remembered language first, then the browser preference', () => {
    expect(pickLang('en', ['zh-CN'])).toBe('en');
    expect(pickLang(null, ['zh-TW', 'en'])).toBe('zh-CN');
    expect(pickLang(null, ['en-GB'])).toBe('en');
    expect(pickLang('fr', ['de'])).toBe('zh-CN');
    expect(t('en', 'thing.page', { page: 3 })).toBe('content of page 3');
  });
});

describe('plain-words verdicts', () => {
  it('passed and untouched: authentic', () => {
    expect(verdictFor(sig({}))).toMatchObject({ tone: 'ok', key: 'v.unchanged' });
  });
  it('passed with only allowed later changes says what was added', () => {
    const v = verdictFor(sig({ modifications: [{ revision: 2, object: '9 0 R', kind: 'signature', allowed: true, description: 'a second seal' }] }));
    expect(v).toMatchObject({ tone: 'ok', key: 'v.allowedChanges' });
    expect(v.params['things']).toEqual([{ kind: 'signature', page: null }]);
  });
  it('a disallowed change names the page', () => {
    const v = verdictFor(sig({
      indication: 'TOTAL_FAILED',
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
      modifications: [{ revision: 2, object: '4 0 R', kind: 'page-content', allowed: false, description: 'content stream of page 1 replaced' }],
    }));
    expect(v).toMatchObject({ tone: 'bad', key: 'v.changed' });
    expect(v.params['things']).toEqual([{ kind: 'page-content', page: 1 }]);
  });
  it('a disallowed change is never "authentic", whatever the indication', () => {
    for (const indication of ['TOTAL_PASSED', 'INDETERMINATE']) {
      const v = verdictFor(sig({ indication, modifications: [{ revision: 1, object: 'x', kind: 'annotation', allowed: false, description: '' }] }));
      expect(v.tone).toBe('bad');
    }
  });
  it.each([
    ['TOTAL_FAILED', 'REVOKED', 'v.revokedBefore', 'bad'],
    ['TOTAL_FAILED', 'HASH_FAILURE', 'v.changed', 'bad'],
    ['TOTAL_FAILED', 'SIG_CRYPTO_FAILURE', 'v.forged', 'bad'],
    ['TOTAL_FAILED', 'EXPIRED', 'v.expired', 'bad'],
    ['TOTAL_FAILED', 'FORMAT_FAILURE', 'v.malformed', 'bad'],
    ['TOTAL_FAILED', 'CHAIN_CONSTRAINTS_FAILURE', 'v.untrusted', 'bad'],
    ['TOTAL_FAILED', null, 'v.invalid', 'bad'],
    ['INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND', 'v.untrusted', 'warn'],
    ['INDETERMINATE', 'REVOKED_NO_POE', 'v.revokedNoProof', 'warn'],
    ['INDETERMINATE', 'TRY_LATER', 'v.revocationUnknown', 'warn'],
    ['INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE', 'v.expiredNoProof', 'warn'],
    ['INDETERMINATE', 'SIG_FORMAT_FAILURE', 'v.malformed', 'warn'],
    ['INDETERMINATE', 'GENERIC', 'v.unconfirmed', 'warn'],
  ])('%s / %s reads %s', (indication, subIndication, key, tone) => {
    expect(verdictFor(sig({ indication, subIndication }))).toMatchObject({ key, tone });
  });
  it('an untrusted signer is "Issuer not trusted" even without a sub-indication', () => {
    expect(verdictFor(sig({ indication: 'INDETERMINATE', trusted: false }))).toMatchObject({ key: 'v.untrusted' });
  });
  it('a precise sub-indication wins over trusted: false (revocation of a CA unknown is not "untrusted")', () => {
    expect(verdictFor(sig({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER', trusted: false }))).toMatchObject({ key: 'v.revocationUnknown' });
    expect(verdictFor(sig({ indication: 'INDETERMINATE', subIndication: 'GENERIC', revocation: { status: 'unknown' } }))).toMatchObject({ key: 'v.revocationUnknown' });
  });
  it('document headline: no seal, all good, any bad, otherwise a warning', () => {
    expect(documentVerdict({ indication: 'NO_SIGNATURE', signatures: [] }).key).toBe('d.noSeal');
    expect(documentVerdict({ indication: 'TOTAL_PASSED', signatures: [sig({})] })).toMatchObject({ key: 'd.ok', params: { n: 1 } });
    expect(documentVerdict({ indication: 'TOTAL_FAILED', signatures: [sig({}), sig({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' })] }).key).toBe('d.bad');
    expect(documentVerdict({ indication: 'INDETERMINATE', signatures: [sig({ indication: 'INDETERMINATE', trusted: false })] }).key).toBe('d.warn');
    // A report that claims PASSED around a failed signature is still not trusted.
    expect(documentVerdict({ indication: 'TOTAL_PASSED', signatures: [sig({ indication: 'TOTAL_FAILED' })] }).key).toBe('d.bad');
  });
  it('problem answers: unreadable input is "not a sealed document"', () => {
    expect(problemKey(400, { code: 'ERR_PDF_MALFORMED' })).toBe('e.notSealedDocument');
    expect(problemKey(400, { code: 'ERR_JWS_INVALID' })).toBe('e.notSealedDocument');
    expect(problemKey(400, { code: 'ERR_PDF_ENCRYPTED' })).toBe('e.encrypted');
    expect(problemKey(413, null)).toBe('e.tooLarge');
    expect(problemKey(429, null)).toBe('e.busy');
    expect(problemKey(501, { code: 'ERR_NOT_IMPLEMENTED' })).toBe('e.unsupported');
    expect(problemKey(500, null)).toBe('e.service');
  });
  it('changedThings de-duplicates and finds page numbers', () => {
    expect(changedThings([
      { kind: 'page-content', description: 'page 2 content' },
      { kind: 'page-content', description: 'Page 2 resources' },
      { kind: 'annotation', description: 'new annotation' },
      { kind: 'page-content', page: 4, description: 'a content stream was changed' },
      { kind: 'other', description: 'an existing stream (content, image, font or appearance) was changed' },
      { kind: 'other', description: 'the catalog was changed' },
    ])).toEqual([
      { kind: 'page-content', page: 2 }, { kind: 'annotation', page: null }, { kind: 'page-content', page: 4 },
      { kind: 'stream', page: null }, { kind: 'other', page: null },
    ]);
  });
});

describe('file handling helpers', () => {
  it('sniffs PDFs (header within the first KiB), JSON, compact JWS and nothing else', () => {
    expect(sniffFormat(enc.encode('%PDF-1.7\n...'))).toBe('pdf');
    expect(sniffFormat(enc.encode(`${' '.repeat(500)}%PDF-1.4`))).toBe('pdf');
    expect(sniffFormat(enc.encode('  {"payload":"e30"}'))).toBe('json');
    expect(sniffFormat(enc.encode('eyJhbGciOiJFUzI1NiJ9.e30.sig'))).toBe('json');
    expect(sniffFormat(new Uint8Array([0xff, 0xfe, 0x00, 0x81, 0x92]), 'x.bin')).toBeNull();
    expect(sniffFormat(enc.encode('hello'), 'notes.txt')).toBeNull();
    expect(sniffFormat(enc.encode('garbage'), 'claims-to-be.pdf')).toBe('pdf');
  });
  it('jsonVerifyBody wraps compact and JSON serializations, refuses the rest', () => {
    expect(jsonVerifyBody(enc.encode('eyJhbGciOiJFUzI1NiJ9.e30.c2ln\n'))).toEqual({ jws: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' });
    expect(jsonVerifyBody(enc.encode('{"payload":"e30","signatures":[]}'))).toEqual({ jws: { payload: 'e30', signatures: [] } });
    expect(jsonVerifyBody(enc.encode('[1,2]'))).toBeNull();
    expect(jsonVerifyBody(enc.encode('{"a":'))).toBeNull();
    expect(jsonVerifyBody(new Uint8Array([0xc3, 0x28]))).toBeNull();
  });
  it('isDetached recognises both detached serializations; toBase64 matches node', () => {
    expect(isDetached({ jws: 'eyJhbGciOiJFUzI1NiJ9..c2ln' })).toBe(true);
    expect(isDetached({ jws: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' })).toBe(false);
    expect(isDetached({ jws: { signatures: [] } })).toBe(true);
    expect(isDetached({ jws: { payload: '', signatures: [] } })).toBe(true);
    expect(isDetached({ jws: { payload: 'e30', signatures: [] } })).toBe(false);
    const b = randomBytes(100_000);
    expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'));
  });
  it('revisionEnds lists the end of every revision and the whole file', () => {
    const b = enc.encode('%PDF-1.4\n%%EOF\r\nmore\n%%EOF');
    expect(revisionEnds(b)).toEqual([14, 15, 16, b.length]);
  });
  it('jwsPayload decodes the payload of both serializations', () => {
    const p = Buffer.from('{"a":1}').toString('base64url');
    expect(Buffer.from(jwsPayload(enc.encode(`eyJhbGciOiJFUzI1NiJ9.${p}.c2ln`)) ?? []).toString()).toBe('{"a":1}');
    expect(Buffer.from(jwsPayload(enc.encode(JSON.stringify({ payload: p, signatures: [] }))) ?? []).toString()).toBe('{"a":1}');
    expect(jwsPayload(enc.encode('nope'))).toBeNull();
  });
  it('only data: images and same-origin paths are shown as seal pictures', () => {
    expect(safeImageSrc('data:image/png;base64,iVBORw0KGgo=')).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(safeImageSrc('/v1/seals/s1/image')).toBe('/v1/seals/s1/image');
    expect(safeImageSrc('//evil.example/x.png')).toBeNull();
    expect(safeImageSrc('https://evil.example/x.png')).toBeNull();
    expect(safeImageSrc('javascript:alert(1)')).toBeNull();
    expect(safeImageSrc('data:text/html;base64,PGI+')).toBeNull();
  });
  it('reads the API answer shape {report, registry: [{signature, seal, agency, status}]}', () => {
    const answer = {
      report: { indication: 'TOTAL_PASSED', signatures: [sig({}), sig({})] },
      registry: [
        { signature: 1, seal: { id: 's2', name: 'Seal B' }, agency: { id: 'b', name: 'Agency B' }, status: { state: 'revoked', revokedAt: '2026-11-26T02:00:00Z', reason: 'keyCompromise' } },
        { signature: 0, seal: null, agency: null, status: null },
      ],
    };
    expect(registryFor(answer, 0)).toBeNull();
    expect(registryFor(answer, 1)).toMatchObject({ agencyName: 'Agency B', sealName: 'Seal B', state: 'revoked', since: '2026-11-26T02:00:00Z', reason: 'keyCompromise' });
  });
  it('dnParts reads CN and O from either DN style', () => {
    expect(dnParts('CN=Seal A,O=Agency A\\, Bureau,C=CN')).toEqual({ cn: 'Seal A', o: 'Agency A, Bureau' });
    expect(dnParts('/C=CN/O=Agency A/CN=Seal A')).toEqual({ cn: 'Seal A', o: 'Agency A' });
  });
});

describe('webPlugin routes', () => {
  const digest = 'cd'.repeat(32);
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const registry: EntryRegistryReader = {
    usageLog: {
      getEntry: (i: number) => (i === 3 ? { at: '2026-11-26T01:00:00Z', sealId: 's1', agencyId: 'a1', documentKind: 'pdf', documentSha256: digest } : null),
    },
    getSeal: (id: string) => {
      if (id !== 's1') throw new SealError('ERR_SEAL_NOT_FOUND', 'no such seal');
      return { id: 's1', name: 'Seal A', state: 'revoked', stateChangedAt: '2026-11-26T02:00:00Z', hasPicture: true, revocation: { reason: 'superseded', revokedAt: '2026-11-26T02:00:00Z' } };
    },
    getAgency: (id: string) => (id === 'a1' ? { id: 'a1', name: 'Agency A' } : null),
    getSealPicture: (id: string) => (id === 's1' ? png : null),
  };
  const app = Fastify();
  beforeAll(async () => {
    await app.register(webPlugin, { registry });
    await app.ready();
  });
  afterAll(async () => app.close());

  it('serves the page with a strict CSP, and the same page for /v/:entryId', async () => {
    for (const url of ['/', '/v/3']) {
      const r = await app.inject({ url });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.body).toContain('/web/app.js');
    }
    expect((await app.inject({ url: '/v/..%2Fetc' })).statusCode).toBe(404);
  });
  it('serves the listed assets with their types and nothing else', async () => {
    expect((await app.inject({ url: '/web/app.js' })).headers['content-type']).toMatch(/^text\/javascript/);
    expect((await app.inject({ url: '/web/style.css' })).headers['content-type']).toMatch(/^text\/css/);
    for (const bad of ['/web/index.ts', '/web/verdict.d.ts', '/web/..%2Findex.ts', '/web/constructor', '/web/__proto__']) {
      expect((await app.inject({ url: bad })).statusCode, bad).toBe(404);
    }
  });
  it('the page references only its own assets (no CDN)', async () => {
    const html = (await app.inject({ url: '/' })).body;
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const m of html.matchAll(/(?:src|href)="(\/web\/[^"]+)"/g)) {
      expect((await app.inject({ url: m[1] ?? '' })).statusCode, m[1]).toBe(200);
    }
  });
  it('gives the record only to who knows the document digest', async () => {
    const ok = await app.inject({ url: `/v/3/record?sha256=${digest.toUpperCase()}` });
    expect(ok.statusCode).toBe(200);
    const rec = ok.json();
    expect(rec).toMatchObject({
      entryId: '3', sealedAt: '2026-11-26T01:00:00Z', agency: { name: 'Agency A' }, seal: { name: 'Seal A', image: '/web/seals/s1/picture' },
      status: { state: 'revoked', since: '2026-11-26T02:00:00Z', reason: 'superseded' },
    });
    expect(JSON.stringify(rec)).not.toContain(digest);
    const wrong = await app.inject({ url: `/v/3/record?sha256=${'ef'.repeat(32)}` });
    const missing = await app.inject({ url: `/v/4/record?sha256=${digest}` });
    expect(wrong.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(wrong.body).toBe(missing.body);
    expect((await app.inject({ url: '/v/3/record' })).statusCode).toBe(400);
    expect((await app.inject({ url: `/v/03/record?sha256=${digest}` })).statusCode).toBe(404);
  });
  it('serves seal pictures from the registry, PNG/JPEG only', async () => {
    const r = await app.inject({ url: '/web/seals/s1/picture' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('image/png');
    expect(r.rawPayload.equals(png)).toBe(true);
    expect((await app.inject({ url: '/web/seals/nope/picture' })).statusCode).toBe(404);
    expect(pictureType(new TextEncoder().encode('<svg onload=alert(1)>'))).toBeNull();
    expect(pictureType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
  });
  it('the lookup maps the registry record and hides unknown entries', async () => {
    const look = entryLookupFromRegistry(registry);
    expect(await look('3')).toMatchObject({ entryId: '3', format: 'pdf', documentSha256: digest });
    expect(await look('4')).toBeNull();
    expect(await look('-1')).toBeNull();
    expect(await look('99999999999999999999')).toBeNull();
  });
  it('without a lookup the record route answers 404', async () => {
    const bare = Fastify();
    await bare.register(webPlugin);
    expect((await bare.inject({ url: `/v/3/record?sha256=${digest}` })).statusCode).toBe(404);
    await bare.close();
  });
});
