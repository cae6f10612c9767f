/**
 * Interop with the `jose` library (panva/jose), both ways: what we seal, jose verifies with the
 * key of x5c[0]; what jose signs with an x5c header, we verify (chain, revocation) TOTAL_PASSED.
 * jose neither validates x5c chains nor rejects duplicate header members (INTEROP.md): it decides
 * the signature maths only; trust and strictness are ours.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import { buildTestPki, type TestPki } from '../packages/core/src/pki/test-pki.js';
import { createSoftwareSigner } from '../packages/core/src/signer/software.js';
import type { Signer } from '../packages/core/src/signer/signer.js';
import { signJson, verifyJson, canonicalize } from '../packages/core/src/json/index.js';

const enc = new TextEncoder();
const doc = '{"permit":"B-2026-7","holder":{"name":"Łukasz Żółć"},"area":[1,2,3]}';

describe('jose interop', () => {
  let pki: TestPki;
  let ec: Signer;
  let ed: { key: string; chain: string[] };
  let rsa: Signer;
  let root: Uint8Array;
  let crls: Uint8Array[];
  const pemOf = (der: Uint8Array): string => new X509Certificate(der).toString();
  const x5cKey = async (jws: string, alg: string): Promise<jose.CryptoKey> => {
    const header = jose.decodeProtectedHeader(jws.startsWith('{') ? (JSON.parse(jws) as { signatures: Array<{ protected: string }> }).signatures[0]!.protected + '..' : jws);
    return jose.importX509(pemOf(Buffer.from(header.x5c![0]!, 'base64')), alg);
  };

  beforeAll(() => {
    pki = buildTestPki();
    root = pki.der('root.pem');
    crls = [pki.der('root.crl'), pki.der('ca-revoked.crl')];
    ec = createSoftwareSigner(createPrivateKey(pki.pem('leaf.key')), [pki.der('leaf.pem'), pki.der('ca.pem')]);
    // An RSA-3072 and an Ed25519 seal certificate from the same openssl CA.
    for (const [name, alg] of [['rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072']], ['ed', ['-algorithm', 'ED25519']]] as const) {
      pki.openssl(['genpkey', ...alg, '-out', `${name}.key`]);
      pki.openssl(['req', '-config', 'openssl.cnf', '-new', '-key', `${name}.key`, '-subj', `/CN=Interop ${name}`, '-out', `${name}.csr`]);
      pki.openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(7000 + name.length), '-days', '3650', '-extfile', 'openssl.cnf', '-extensions', 'leaf_ext', '-out', `${name}.pem`]);
    }
    rsa = createSoftwareSigner(createPrivateKey(pki.pem('rsa.key')), [pki.der('rsa.pem'), pki.der('ca.pem')]);
    ed = { key: pki.pem('ed.key'), chain: [Buffer.from(pki.der('ed.pem')).toString('base64'), Buffer.from(pki.der('ca.pem')).toString('base64')] };
  });

  it('jose verifies our ES256 compact seal with the key of x5c[0]', async () => {
    const { jws } = await signJson(doc, { signer: ec });
    const r = await jose.compactVerify(jws, await x5cKey(jws, 'ES256'), { algorithms: ['ES256'] });
    expect(new TextDecoder().decode(r.payload)).toBe(doc);
    expect(r.protectedHeader).toMatchObject({ alg: 'ES256', typ: 'jose' });
  });

  it('jose verifies our RS256 and PS256 seals in general JSON, and a co-sealed document signature by signature', async () => {
    const first = await signJson(doc, { signer: rsa, format: 'json' });
    const both = await signJson(undefined, { signer: ec, coSealOf: first.jws });
    const general = JSON.parse(both.jws) as jose.GeneralJWSInput;
    const rsaKey = await jose.importX509(pki.pem('rsa.pem'), 'RS256');
    const ecKey = await jose.importX509(pki.pem('leaf.pem'), 'ES256');
    // jose's generalVerify succeeds if one signature verifies with the given key: check each one alone.
    for (const [i, key] of [[0, rsaKey], [1, ecKey]] as const) {
      const one = { payload: general.payload, signatures: [general.signatures[i]!] };
      await expect(jose.generalVerify(one, key)).resolves.toBeTruthy();
    }
    const pss = await signJson(doc, { signer: rsa, format: 'json', alg: 'PS256' });
    await expect(jose.generalVerify(JSON.parse(pss.jws) as jose.GeneralJWSInput, await jose.importX509(pki.pem('rsa.pem'), 'PS256'))).resolves.toBeTruthy();
  });

  it('jose verifies our detached (b64:false) and canonical seals over the canonical bytes', async () => {
    const { jws } = await signJson(doc, { signer: ec, detached: true, canonical: true });
    const key = await x5cKey(jws, 'ES256');
    const [h, , s] = jws.split('.') as [string, string, string];
    const canonical = enc.encode(canonicalize(doc));
    // jose must be told that our 'canon' extension is understood (it is listed in crit).
    await expect(jose.flattenedVerify({ protected: h, payload: canonical, signature: s }, key, { crit: { canon: true } })).resolves.toBeTruthy();
    await expect(jose.flattenedVerify({ protected: h, payload: enc.encode(doc), signature: s }, key, { crit: { canon: true } })).rejects.toThrow();
    // And jose refuses it without knowing the extension: crit works as designed.
    await expect(jose.flattenedVerify({ protected: h, payload: canonical, signature: s }, key)).rejects.toThrow();
  });

  it('we verify what jose signs with an x5c header: ES256 compact, RS256 flattened, EdDSA general', async () => {
    const es = await new jose.CompactSign(enc.encode(doc))
      .setProtectedHeader({ alg: 'ES256', x5c: ec.certificateChain.map((c) => Buffer.from(c).toString('base64')) })
      .sign(createPrivateKey(pki.pem('leaf.key')));
    const r1 = await verifyJson(es, { trustAnchors: [root], crls });
    expect(r1.indication).toBe('TOTAL_PASSED');
    expect(r1.signatures[0]?.warnings).toContain('no claimed signing time (iat)');

    const iat = Math.floor(Date.now() / 1000);
    const rs = await new jose.FlattenedSign(enc.encode(doc))
      .setProtectedHeader({ alg: 'RS256', x5c: rsa.certificateChain.map((c) => Buffer.from(c).toString('base64')), iat })
      .sign(createPrivateKey(pki.pem('rsa.key')));
    const r2 = await verifyJson(JSON.stringify(rs), { trustAnchors: [root], crls });
    expect(r2.indication, JSON.stringify(r2.signatures[0]?.errors)).toBe('TOTAL_PASSED');
    expect(r2.signatures[0]?.signingTime).toBe(new Date(iat * 1000).toISOString());
    // A claimed signing time before the certificate was issued (it was made minutes ago) fails.
    const early = await new jose.FlattenedSign(enc.encode(doc))
      .setProtectedHeader({ alg: 'RS256', x5c: rsa.certificateChain.map((c) => Buffer.from(c).toString('base64')), iat: iat - 86400 })
      .sign(createPrivateKey(pki.pem('rsa.key')));
    expect((await verifyJson(JSON.stringify(early), { trustAnchors: [root], crls })).signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'NOT_YET_VALID' });

    const gs = new jose.GeneralSign(enc.encode(doc));
    gs.addSignature(createPrivateKey(ed.key)).setProtectedHeader({ alg: 'EdDSA', x5c: ed.chain });
    gs.addSignature(createPrivateKey(pki.pem('leaf.key'))).setProtectedHeader({ alg: 'ES256', x5c: ec.certificateChain.map((c) => Buffer.from(c).toString('base64')) });
    const r3 = await verifyJson(JSON.stringify(await gs.sign()), { trustAnchors: [root], crls });
    expect(r3.signatures.map((s) => [s.indication, s['alg']])).toEqual([['TOTAL_PASSED', 'EdDSA'], ['TOTAL_PASSED', 'ES256']]);
  });

  it('jose-signed tokens we must refuse: HS256, an embedded jwk, a key that is not x5c[0]', async () => {
    const hs = await new jose.CompactSign(enc.encode(doc)).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32).fill(7));
    expect((await verifyJson(hs, { trustAnchors: [root], crls })).indication).toBe('TOTAL_FAILED');
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const withJwk = await new jose.CompactSign(enc.encode(doc)).setProtectedHeader({ alg: 'ES256', jwk: await jose.exportJWK(publicKey) }).sign(privateKey);
    await expect(jose.compactVerify(withJwk, jose.EmbeddedJWK)).resolves.toBeTruthy(); // jose would take the token's own key
    expect((await verifyJson(withJwk, { trustAnchors: [root], crls })).signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE' });
    const stolenX5c = await new jose.CompactSign(enc.encode(doc))
      .setProtectedHeader({ alg: 'ES256', x5c: ec.certificateChain.map((c) => Buffer.from(c).toString('base64')) })
      .sign(privateKey);
    expect((await verifyJson(stolenX5c, { trustAnchors: [root], crls })).signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
  });
});
