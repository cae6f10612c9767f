import { createHmac, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusManifest, corpusOrReport, corpusPath } from '../../../../test-support/corpus.js';
import { certificatesFromPemOrDer } from '../pki/index.js';
import { buildTestPki, type TestPki } from '../pki/test-pki.js';
import { createSoftwareSigner } from '../signer/software.js';
import type { Signer } from '../signer/signer.js';
import { createTimestampAuthority } from '../tsa/authority.js';
import { decodeBase64url, encodeBase64url } from './base64url.js';
import { signJson } from './jades-sign.js';
import { verifyJson } from './jades-verify.js';

const HAVE_CORPUS = corpusOrReport('JAdES samples');
const enc = new TextEncoder();

describe.runIf(HAVE_CORPUS)('JAdES corpus samples (esig/dss) per MANIFEST.json', () => {
  const entries = corpusManifest().filter((e) => e['kind'] === 'jades');
  // The DSS test PKI roots, as embedded in the corpus; the samples are validated at their own
  // signing time with revocation checking off (the 2020-2021 CRLs are not all in the samples).
  const dssRoots = HAVE_CORPUS
    ? ['33b40477', '604a8fb2', 'aa264996'].flatMap((h) => certificatesFromPemOrDer(readFileSync(corpusPath(`certs/embedded-roots/dss/root-ca_${h}.pem`))))
    : [];
  const detached = HAVE_CORPUS ? readFileSync(corpusPath('json/jades/valid/sample.json')) : new Uint8Array();

  it('lists 7+ valid and 8 tampered samples', () => {
    expect(entries.filter((e) => e.path.includes('/valid/')).length).toBeGreaterThanOrEqual(6);
    expect(entries.filter((e) => e.path.includes('/tampered/')).length).toBeGreaterThanOrEqual(8);
  });

  for (const e of entries) {
    const valid = e.path.includes('/valid/');
    it(`${e.path}: ${valid ? 'verifies' : 'fails'} (${e.expected?.verdict ?? ''})`, async () => {
      const input = readFileSync(corpusPath(e.path));
      const r = await verifyJson(input, { trustAnchors: dssRoots, revocationPolicy: 'off', ...(e.path.includes('detached') ? { payload: detached } : {}) });
      if (!valid) {
        expect(r.indication).toBe('TOTAL_FAILED');
        return;
      }
      expect(r.signatures.length).toBeGreaterThanOrEqual(1);
      for (const s of r.signatures) expect(s.indication, JSON.stringify(s.errors)).not.toBe('TOTAL_FAILED');
      if (e.path.endsWith('jades-b-with-xvals.json')) {
        // Signing certificate found through x5t#o in etsiU xVals; its 2024 root is not in the corpus.
        expect(r.signatures[0]?.signer?.subject).toMatch(/good-user/);
        expect(r.signatures[0]?.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
      } else {
        expect(r.indication).toBe('TOTAL_PASSED');
      }
      // With no trust anchor a sound seal is never PASSED.
      const untrusted = await verifyJson(input, { revocationPolicy: 'off', ...(e.path.includes('detached') ? { payload: detached } : {}) });
      expect(untrusted.indication).toBe('INDETERMINATE');
    });
  }

  it('reads the levels: B-T and B-LTA time-stamps verified, counter-signature reported', async () => {
    const lta = await verifyJson(readFileSync(corpusPath('json/jades/valid/jades-lta.json')), { trustAnchors: dssRoots, revocationPolicy: 'off' });
    expect(lta.signatures[0]).toMatchObject({ level: 'B-LTA', signingTimeSource: 'timestamp', timestamp: { valid: true, trusted: true } });
    const cs = await verifyJson(readFileSync(corpusPath('json/jades/valid/jades-with-counter-signature.json')), { trustAnchors: dssRoots, revocationPolicy: 'off' });
    expect(cs.signatures.map((s) => s['counterSignatureOf'] ?? null)).toEqual([null, 0]);
    const broken = await verifyJson(readFileSync(corpusPath('json/jades/tampered/jades-with-broken-attached-counter-signature.json')), { trustAnchors: dssRoots, revocationPolicy: 'off' });
    expect(broken.signatures[1]).toMatchObject({ indication: 'TOTAL_FAILED', counterSignatureOf: 0 });
  });
});

describe('signJson / verifyJson with an openssl-built PKI', () => {
  let pki: TestPki;
  let leaf: Signer;
  let revokedLeaf: Signer;
  let root: Uint8Array;
  let crls: Uint8Array[];
  beforeAll(() => {
    pki = buildTestPki();
    root = pki.der('root.pem');
    leaf = createSoftwareSigner(createPrivateKey(pki.pem('leaf.key')), [pki.der('leaf.pem'), pki.der('ca.pem'), root]);
    revokedLeaf = createSoftwareSigner(createPrivateKey(pki.pem('leaf2.key')), [pki.der('leaf2.pem'), pki.der('ca.pem')]);
    crls = [pki.der('root.crl'), pki.der('ca-revoked.crl')];
  });
  const doc = '{"licence":"A-17","holder":{"name":"Zoë","id":9007199254740992},"valid":true}';

  it('seals compact B-B with the JAdES header set and verifies TOTAL_PASSED against the root with CRLs', async () => {
    const t = new Date('2030-05-06T07:08:09Z');
    const { jws, level, alg } = await signJson(doc, { signer: leaf, signingTime: t });
    expect([level, alg]).toEqual(['B-B', 'ES256']);
    const header = JSON.parse(Buffer.from(decodeBase64url(jws.split('.')[0]!)).toString()) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'ES256', typ: 'jose', cty: 'json', iat: t.getTime() / 1000 });
    expect((header['x5c'] as string[]).length).toBe(3);
    expect(header['x5t#S256']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(header).not.toHaveProperty('sigT');
    expect(header).not.toHaveProperty('crit');
    const r = await verifyJson(jws, { trustAnchors: [root], crls, at: new Date('2031-01-01T00:00:00Z') });
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]).toMatchObject({ trusted: true, level: 'B-B', signingTime: t.toISOString(), signingTimeSource: 'claimed', coversWholeDocument: true, revocation: { status: 'good' } });
    expect(r.signatures[0]?.signer?.subject).toMatch(/Agency Test Seal/);
  });

  it('is INDETERMINATE without anchors, with a same-name fake root, or without revocation data', async () => {
    const { jws } = await signJson(doc, { signer: leaf });
    expect((await verifyJson(jws)).signatures[0]?.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
    expect((await verifyJson(jws, { trustAnchors: [pki.der('fakeroot.pem')], crls })).indication).toBe('INDETERMINATE');
    expect((await verifyJson(jws, { trustAnchors: [root] })).signatures[0]?.subIndication).toBe('TRY_LATER');
  });

  it('refuses a revoked certificate: REVOKED_NO_POE on a claimed time, TOTAL_FAILED REVOKED once a time-stamp proves it', async () => {
    const { jws } = await signJson(doc, { signer: revokedLeaf, format: 'json' });
    const r = await verifyJson(jws, { trustAnchors: [root], crls });
    expect(r.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE', revocation: { status: 'revoked', reason: 'keyCompromise' } });
    const tsa = createTimestampAuthority({ signer: createSoftwareSigner(createPrivateKey(pki.pem('tsa.key')), [pki.der('tsa.pem'), root]), policyOid: '1.3.6.1.4.1.99999.1' });
    const bt = await signJson(doc, { signer: revokedLeaf, format: 'json', timestamper: tsa.timestamper });
    const r2 = await verifyJson(bt.jws, { trustAnchors: [root], crls });
    expect(r2.indication).toBe('TOTAL_FAILED');
    expect(r2.signatures[0]).toMatchObject({ subIndication: 'REVOKED', level: 'B-T' });
  });

  it('B-T: the signature time-stamp in etsiU proves the signing time; a swapped signature breaks it', async () => {
    const tsa = createTimestampAuthority({ signer: createSoftwareSigner(createPrivateKey(pki.pem('tsa.key')), [pki.der('tsa.pem'), root]), policyOid: '1.3.6.1.4.1.99999.1' });
    const { jws, level } = await signJson(doc, { signer: leaf, format: 'json', timestamper: tsa.timestamper });
    expect(level).toBe('B-T');
    const r = await verifyJson(jws, { trustAnchors: [root], crls });
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]).toMatchObject({ level: 'B-T', signingTimeSource: 'timestamp', timestamp: { valid: true, trusted: true } });
    // Move the time-stamp onto another signature over the same payload: imprint mismatch.
    const other = JSON.parse((await signJson(doc, { signer: leaf, format: 'json' })).jws) as { signatures: Array<Record<string, unknown>> };
    const withTs = JSON.parse(jws) as { signatures: Array<Record<string, unknown>> };
    other.signatures[0]!['header'] = withTs.signatures[0]!['header'];
    const r2 = await verifyJson(JSON.stringify(other), { trustAnchors: [root], crls });
    expect(r2.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' });
    await expect(signJson(doc, { signer: leaf, format: 'compact', timestamper: tsa.timestamper })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('canonical: a re-serialised payload still verifies, a changed value or a duplicate name fails', async () => {
    const { jws } = await signJson(doc, { signer: leaf, canonical: true, detached: true });
    const header = JSON.parse(Buffer.from(decodeBase64url(jws.split('.')[0]!)).toString()) as Record<string, unknown>;
    expect(header).toMatchObject({ canon: 'RFC8785', b64: false, crit: ['b64', 'canon'] });
    expect(jws.split('.')[1]).toBe('');
    const opts = { trustAnchors: [root], crls };
    const respaced = '{\n  "valid" : true,\n  "holder": {"id": 9007199254740992, "name": "Zo\\u00eb"},\n  "licence": "A-17"\n}';
    expect((await verifyJson(jws, { ...opts, payload: enc.encode(respaced) })).indication).toBe('TOTAL_PASSED');
    expect((await verifyJson(jws, { ...opts, payload: enc.encode(respaced.replace('A-17', 'A-18')) })).signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
    expect((await verifyJson(jws, { ...opts, payload: enc.encode(respaced.replace('"licence": "A-17"', '"licence": "A-17", "licence": "A-17"')) })).signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE' });
    expect((await verifyJson(jws, { ...opts, payload: enc.encode(respaced.replace('9007199254740992', '9007199254740993')) })).indication).toBe('TOTAL_FAILED');
    // (JSON.parse would have taken that duplicate silently, with the same canonical form.)
    // Not canonical: the same re-serialisation fails.
    const plain = await signJson(doc, { signer: leaf, detached: true });
    expect((await verifyJson(plain.jws, { ...opts, payload: enc.encode(respaced) })).indication).toBe('TOTAL_FAILED');
    expect((await verifyJson(plain.jws, { ...opts, payload: enc.encode(doc) })).indication).toBe('TOTAL_PASSED');
    // Detached without the payload: cannot be decided.
    expect((await verifyJson(plain.jws, opts)).signatures[0]?.subIndication).toBe('SIGNED_DATA_NOT_FOUND');
    // Attached canonical: the embedded payload is the canonical form.
    const attached = await signJson(doc, { signer: leaf, canonical: true });
    expect(Buffer.from(decodeBase64url(attached.jws.split('.')[1]!)).toString()).toBe('{"holder":{"id":9007199254740992,"name":"Zoë"},"licence":"A-17","valid":true}');
    await expect(signJson('{"a":1,"a":2}', { signer: leaf, canonical: true })).rejects.toMatchObject({ code: 'ERR_JSON_INVALID' });
  });

  it('co-seals: a second agency adds its signature to the general JSON; both verify, tampering one fails it', async () => {
    const first = await signJson(doc, { signer: leaf, format: 'json' });
    const second = await signJson(undefined, { signer: revokedLeaf, coSealOf: first.jws });
    const parsed = JSON.parse(second.jws) as { payload: string; signatures: Array<{ signature: string }> };
    expect(parsed.signatures.length).toBe(2);
    expect(parsed.payload).toBe(encodeBase64url(doc));
    const r = await verifyJson(second.jws, { trustAnchors: [root], crls, revocationPolicy: 'off' });
    expect(r.signatures.map((s) => s.indication)).toEqual(['TOTAL_PASSED', 'TOTAL_PASSED']);
    parsed.signatures[1]!.signature = parsed.signatures[0]!.signature;
    const r2 = await verifyJson(JSON.stringify(parsed), { trustAnchors: [root], crls, revocationPolicy: 'off' });
    expect(r2.signatures.map((s) => s.indication)).toEqual(['TOTAL_PASSED', 'TOTAL_FAILED']);
    expect(r2.indication).toBe('TOTAL_FAILED');
    await expect(signJson('{"other":1}', { signer: leaf, coSealOf: first.jws })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('hostile tokens derived from a good one all fail (TOTAL_FAILED), none throws', async () => {
    const { jws } = await signJson(doc, { signer: leaf });
    const [h, p, s] = jws.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(decodeBase64url(h)).toString()) as Record<string, unknown>;
    const withHeader = (hdr: Record<string, unknown> | string, sig = s): string => {
      const hb = encodeBase64url(typeof hdr === 'string' ? hdr : JSON.stringify(hdr));
      return `${hb}.${p}.${sig}`;
    };
    const certDer = Buffer.from((header['x5c'] as string[])[0]!, 'base64');
    const hsHeader = encodeBase64url(JSON.stringify({ ...header, alg: 'HS256' }));
    const hsSig = createHmac('sha256', certDer).update(`${hsHeader}.${p}`).digest('base64url');
    const hostile: Record<string, string> = {
      'alg none': withHeader({ ...header, alg: 'none' }, ''),
      'HS256 keyed with the certificate': `${hsHeader}.${p}.${hsSig}`,
      'duplicated header member': withHeader(JSON.stringify(header).replace('{', '{"alg":"none",')),
      'jwk header': withHeader({ ...header, jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } }),
      'changed payload': `${h}.${encodeBase64url(doc.replace('A-17', 'A-71'))}.${s}`,
      'unknown crit': withHeader({ ...header, crit: ['exp'], exp: 1 }),
      'x5c swapped': withHeader({ ...header, x5c: [(header['x5c'] as string[])[1]] }),
      'malformed signature': `${h}.${p}.${s}*`,
    };
    for (const [name, token] of Object.entries(hostile)) {
      const r = await verifyJson(token, { trustAnchors: [root], crls });
      expect(r.indication, name).toBe('TOTAL_FAILED');
    }
    await expect(verifyJson('not a jws')).rejects.toMatchObject({ code: 'ERR_JWS_INVALID' });
    await expect(verifyJson(jws, { maxBytes: 100 })).rejects.toMatchObject({ code: 'ERR_INPUT_TOO_LARGE' });
  });
});
