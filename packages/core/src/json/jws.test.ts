import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as jose from 'jose';
import { corpusOrReport, corpusPath } from '../../../../test-support/corpus.js';
import { createSoftwareSigner } from '../signer/software.js';
import { decodeBase64url, encodeBase64url } from './base64url.js';
import { ecdsaDerToRaw, signWithSigner } from './jws-algs.js';
import { allocSigningInput, createJwsSignature, signingInput, toCompact, toGeneralJson } from './jws-sign.js';
import { verifyJwsWithKey } from './jws-verify.js';

const HAVE_CORPUS = corpusOrReport('RFC 7520 JOSE cookbook');
const enc = new TextEncoder();

interface CookbookVector {
  title: string;
  reproducible?: boolean;
  input: { payload: string; key: JsonWebKey | JsonWebKey[]; alg: string | string[] };
  signing: { protected_b64u?: string; sig?: string } | Array<{ protected_b64u?: string }>;
  output: { compact?: string; json?: unknown; json_flat?: unknown };
}

const ASYMMETRIC = ['jws/4_1.rsa_v15_signature.json', 'jws/4_2.rsa-pss_signature.json', 'jws/4_3.ecdsa_signature.json', 'curve25519/jws.json'];
const HMAC = ['jws/4_4.hmac-sha2_integrity_protection.json', 'jws/4_5.signature_with_detached_content.json', 'jws/4_6.protecting_specific_header_fields.json',
  'jws/4_7.protecting_content_only.json', 'rfc7797/4.2.hmac-sha2_b64_false.json', 'rfc7797/hmac-sha2_b64_false.json'];

function load(rel: string): CookbookVector {
  return JSON.parse(readFileSync(corpusPath(`json/jose-cookbook/${rel}`), 'utf8')) as CookbookVector;
}
function outputs(v: CookbookVector): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (v.output.compact) out.push(['compact', v.output.compact]);
  if (v.output.json) out.push(['json', JSON.stringify(v.output.json)]);
  if (v.output.json_flat) out.push(['json_flat', JSON.stringify(v.output.json_flat)]);
  return out;
}
function publicOf(jwk: JsonWebKey): KeyObject {
  return createPublicKey({ key: jwk, format: 'jwk' });
}

describe.runIf(HAVE_CORPUS)('RFC 7520 / RFC 8037 cookbook: asymmetric examples verify with input.key', () => {
  for (const rel of ASYMMETRIC) {
    it(rel, () => {
      const v = load(rel);
      const key = publicOf(v.input.key as JsonWebKey);
      const payload = enc.encode(v.input.payload);
      for (const [form, text] of outputs(v)) {
        const r = verifyJwsWithKey(text, key);
        expect(r.signatures.map((s) => s.valid), `${form}`).toEqual([true]);
        expect(Buffer.from(r.payload!).equals(Buffer.from(payload))).toBe(true);
        // A changed payload fails.
        const tampered = verifyJwsWithKey(text.replace(encodeBase64url(payload), encodeBase64url(enc.encode(v.input.payload + '!'))), key);
        expect(tampered.signatures[0]?.valid).toBe(false);
      }
    });
  }

  it('reproduces the deterministic examples byte for byte through the Signer (RS256, EdDSA)', async () => {
    for (const rel of ['jws/4_1.rsa_v15_signature.json', 'curve25519/jws.json']) {
      const v = load(rel);
      const signing = v.signing as { protected_b64u: string; sig: string };
      const priv = createPrivateKey({ key: v.input.key as JsonWebKey, format: 'jwk' });
      const input = signingInput(signing.protected_b64u, enc.encode(v.input.payload), true);
      let sig: Uint8Array;
      if (rel.includes('curve25519')) sig = nodeSign(null, input, priv); // our Signer does not seal with EdDSA
      else sig = await signWithSigner('RS256', createSoftwareSigner(priv, []), input);
      expect(encodeBase64url(sig)).toBe(signing.sig);
    }
  });

  it('4.8 multiple signatures: RS256 verifies; the ES512 one (alg unprotected) only when unprotected alg is allowed; HS256 refused', () => {
    const v = load('jws/4_8.multiple_signatures.json');
    const keys = (v.input.key as JsonWebKey[]);
    const text = JSON.stringify(v.output.json);
    const resolver = (_h: unknown, i: number): KeyObject | null => (keys[i]!.kty === 'oct' ? null : publicOf(keys[i]!));
    const strict = verifyJwsWithKey(text, resolver);
    expect(strict.signatures.map((s) => s.valid)).toEqual([true, false, false]);
    expect(strict.signatures[1]?.reason).toMatch(/protected/);
    const lenient = verifyJwsWithKey(text, resolver, { allowUnprotectedAlg: true });
    expect(lenient.signatures.map((s) => s.valid)).toEqual([true, true, false]);
    expect(lenient.signatures[2]?.reason).toMatch(/HS256 is refused/);
  });
});

describe.runIf(HAVE_CORPUS)('cookbook HMAC examples: refused by policy, yet genuine (jose verifies them)', () => {
  for (const rel of HMAC) {
    it(rel, async () => {
      const v = load(rel);
      const jwk = v.input.key as JsonWebKey;
      // Whatever key is offered, an HMAC token never verifies as a seal.
      const anyKey = generateKeyPairSync('ed25519').publicKey;
      for (const [, text] of outputs(v)) {
        const r = verifyJwsWithKey(text, anyKey, { allowUnprotectedAlg: true, payload: rel.includes('4_5') ? enc.encode(v.input.payload) : undefined });
        // (RFC 7797 §4.2's header has b64 without crit: refused for that before its alg is read.)
        expect(r.signatures.every((s) => !s.valid && /HS256 is refused|b64 must be listed in crit/.test(s.reason ?? ''))).toBe(true);
      }
      if (rel.includes('4_4')) {
        const secret = await jose.importJWK({ ...jwk, alg: 'HS256' }, 'HS256');
        const res = await jose.compactVerify(v.output.compact!, secret);
        expect(new TextDecoder().decode(res.payload)).toBe(v.input.payload);
      }
    });
  }
});

describe('JWS layer: ECDSA encoding, detached and unencoded payloads, refusals', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = createSoftwareSigner(privateKey, []);

  it('converts DER ECDSA to fixed-length r||s and rejects malformed DER', () => {
    const der = nodeSign('sha256', enc.encode('x'), { key: privateKey, dsaEncoding: 'der' });
    const raw = ecdsaDerToRaw(der, 32);
    expect(raw.length).toBe(64);
    const p1363 = nodeSign('sha256', enc.encode('x'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(p1363.length).toBe(64);
    for (const bad of [new Uint8Array([0x30, 0x02, 0x02, 0x00]), new Uint8Array([0x31, 0x00]), Uint8Array.from([...der, 0])]) {
      expect(() => ecdsaDerToRaw(bad, 32)).toThrow();
    }
  });

  it('signs ES256 that jose verifies, compact and general, attached/detached/b64:false', async () => {
    const payload = enc.encode('{"a":1}');
    const jwk = await jose.exportJWK(publicKey);
    const joseKey = await jose.importJWK(jwk, 'ES256');
    const s1 = await createJwsSignature(payload, { signer, alg: 'ES256', protectedHeader: {} });
    await expect(jose.compactVerify(toCompact(s1, encodeBase64url(payload)), joseKey)).resolves.toBeTruthy();
    const s2 = await createJwsSignature(payload, { signer, alg: 'ES256', protectedHeader: { b64: false, crit: ['b64'] } });
    const general = JSON.parse(toGeneralJson([s2], undefined)) as jose.GeneralJWSInput;
    await expect(jose.generalVerify({ ...general, payload }, joseKey)).resolves.toBeTruthy();
    const mine = verifyJwsWithKey(toGeneralJson([s2], undefined), publicKey, { payload });
    expect(mine.signatures[0]?.valid).toBe(true);
    const wrong = verifyJwsWithKey(toGeneralJson([s2], undefined), publicKey, { payload: enc.encode('{"a":2}') });
    expect(wrong.signatures[0]).toMatchObject({ valid: false, failure: 'crypto' });
    const none = verifyJwsWithKey(toGeneralJson([s2], undefined), publicKey);
    expect(none.signatures[0]).toMatchObject({ valid: false, failure: 'no-payload' });
  });

  it('refuses alg none, HMAC, key headers, unknown crit, b64 outside crit, duplicate header members, bad base64url', async () => {
    const payload = enc.encode('hello');
    const good = await createJwsSignature(payload, { signer, alg: 'ES256', protectedHeader: {} });
    const seg = encodeBase64url(payload);
    const withHeader = (json: string): string => `${encodeBase64url(json)}.${seg}.${good.signature}`;
    const cases: Array<[string, RegExp]> = [
      [withHeader('{"alg":"none"}'), /none is refused/],
      [withHeader('{"alg":"HS256"}'), /HS256 is refused/],
      [withHeader('{"alg":"ES256","jwk":{"kty":"EC"}}'), /jwk is refused/],
      [withHeader('{"alg":"ES256","jku":"https://x"}'), /jku is refused/],
      [withHeader('{"alg":"ES256","x5u":"https://x"}'), /x5u is refused/],
      [withHeader('{"alg":"ES256","crit":["zzz"],"zzz":1}'), /unknown critical/],
      [withHeader('{"alg":"ES256","b64":false}'), /b64 must be listed in crit/],
      [withHeader('{"alg":"ES256","alg":"ES256"}'), /duplicate member/],
      [withHeader('{"alg":"ES256","crit":[]}'), /crit/],
      [`${good.protected}=.${seg}.${good.signature}`, /base64url/],
      [`${good.protected}.${seg}.${good.signature}+`, /base64url/],
      [withHeader('{"alg":"RS1"}'), /unsupported alg/],
    ];
    for (const [token, why] of cases) {
      const r = verifyJwsWithKey(token, publicKey);
      expect(r.signatures[0]?.valid, token).toBe(false);
      expect(r.signatures[0]?.reason, token).toMatch(why);
    }
    // b64 in the unprotected header.
    const flat = JSON.stringify({ payload: seg, protected: good.protected, header: { b64: false }, signature: good.signature });
    expect(verifyJwsWithKey(flat, publicKey).signatures[0]?.reason).toMatch(/must be protected/);
    // Envelope-level garbage and oversize are errors, not reports.
    expect(() => verifyJwsWithKey('a.b', publicKey)).toThrow(expect.objectContaining({ code: 'ERR_JWS_INVALID' }));
    expect(() => verifyJwsWithKey('{"payload":"x","signatures":[],"signature":"y"}', publicKey)).toThrow(expect.objectContaining({ code: 'ERR_JWS_INVALID' }));
    expect(() => verifyJwsWithKey('{"signatures":[{"signature":"a"}],"signatures":[]}', publicKey)).toThrow(expect.objectContaining({ code: 'ERR_JWS_INVALID' }));
    expect(() => verifyJwsWithKey(toCompact(good, seg), publicKey, { maxBytes: 10 })).toThrow(expect.objectContaining({ code: 'ERR_INPUT_TOO_LARGE' }));
    // The good one does verify (so the refusals above are about the header, not the key).
    expect(verifyJwsWithKey(toCompact(good, seg), publicKey).signatures[0]?.valid).toBe(true);
    expect(decodeBase64url(seg)).toEqual(payload);
  });

  it('refuses a DER-encoded ECDSA signature and a key that does not fit the alg', async () => {
    const payload = enc.encode('hello');
    const h = encodeBase64url('{"alg":"ES256"}');
    const der = nodeSign('sha256', signingInput(h, payload, true), { key: privateKey, dsaEncoding: 'der' });
    const r = verifyJwsWithKey(`${h}.${encodeBase64url(payload)}.${encodeBase64url(der)}`, publicKey);
    expect(r.signatures[0]).toMatchObject({ valid: false, failure: 'crypto' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const good = await createJwsSignature(payload, { signer, alg: 'ES256', protectedHeader: {} });
    expect(verifyJwsWithKey(toCompact(good, encodeBase64url(payload)), rsa).signatures[0]?.reason).toMatch(/needs an EC/);
  });

  it('hands out signing-input buffers that never overlap or get reused', () => {
    const seen: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const b = allocSigningInput(4300);
      b.fill(i);
      seen.push(b);
    }
    seen.forEach((b, i) => expect(b.every((x) => x === i)).toBe(true));
    expect(allocSigningInput(100_000).buffer.byteLength).toBeGreaterThanOrEqual(100_000);
  });
});
