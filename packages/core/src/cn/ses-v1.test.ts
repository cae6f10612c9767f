/**
 * GM/T 0031-2014 (v1) seals and signatures built by hand with the DER writer (the corpus has a
 * v1 seal but no v1 signature), so the v1 decode and verify paths are exercised end to end.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { derBitString, derIa5, derInteger, derOctets, derOid, derSequence, derUtf8, derX509Time } from './der.js';
import { decodeSesSeal, decodeSesSignature } from './ses-decode.js';
import { verifySesSeal, verifySesSignature } from './ses-verify.js';
import { sm3 } from './sm2.js';
import { createSm2TestPki, type Sm2TestPki } from './sm2-test-pki.js';

const SM2_SM3 = '1.2.156.10197.1.501';

async function v1Seal(pki: Sm2TestPki): Promise<Uint8Array> {
  const sealInfo = derSequence([
    derSequence([derIa5('ES'), derInteger(1), derIa5('V1TEST')]),
    derIa5('V1-0001'),
    derSequence([
      derInteger(1),
      derUtf8('\u65e7\u7248\u5370\u7ae0'),
      derSequence([derOctets(pki.holderCert)]),
      derX509Time(new Date('2025-01-01T00:00:00Z')),
      derX509Time(new Date('2025-01-01T00:00:00Z')),
      derX509Time(new Date('2027-01-01T00:00:00Z')),
    ]),
    derSequence([derIa5('PNG'), derOctets(Uint8Array.of(1, 2, 3)), derInteger(40), derInteger(40)]),
  ]);
  const cert = derOctets(pki.makerCert);
  const alg = derOid(SM2_SM3);
  const sig = await pki.maker.sign(derSequence([sealInfo, cert, alg]), { scheme: 'SM2', hash: 'SM3' });
  return derSequence([sealInfo, derSequence([cert, alg, derBitString(sig)])]);
}

describe('GM/T 0031-2014 (v1) objects', () => {
  let pki: Sm2TestPki;
  let seal: Uint8Array;
  let signature: Uint8Array;
  const data = new TextEncoder().encode('v1 data');
  const at = new Date('2026-01-01T00:00:00Z');
  beforeAll(async () => {
    pki = await createSm2TestPki();
    seal = await v1Seal(pki);
    const tbs = derSequence([
      derInteger(1),
      seal,
      derBitString(new TextEncoder().encode('20260101000000Z')),
      derBitString(sm3(data)),
      derIa5('/Doc_0/Signs/Sign_0/Signature.xml'),
      derOctets(pki.holderCert),
      derOid(SM2_SM3),
    ]);
    const sig = await pki.holder.sign(tbs, { scheme: 'SM2', hash: 'SM3' });
    signature = derSequence([tbs, derBitString(sig)]);
  });

  it('a v1 seal decodes (UTCTime, certificate list without a type) and verifies over SEQUENCE{sealInfo, cert, alg}', () => {
    const d = decodeSesSeal(seal);
    expect(d.layout).toBe('v1');
    expect(d.sealInfo.name).toBe('\u65e7\u7248\u5370\u7ae0');
    expect(d.sealInfo.validEnd.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(verifySesSeal(seal, { trustAnchors: [pki.rootCert], at }).indication).toBe('TOTAL_PASSED');
    // Signing only DER(sealInfo) (the v4 rule) must not be accepted for a v1 seal.
    const wrong = Uint8Array.from(seal);
    wrong[wrong.length - 3]! ^= 1;
    expect(verifySesSeal(wrong, { trustAnchors: [pki.rootCert], at }).indication).toBe('TOTAL_FAILED');
  });

  it('a v1 signature decodes its text time and verifies over DER(TBS_Sign)', () => {
    const d = decodeSesSignature(signature);
    expect(d.layout).toBe('v1');
    expect(d.timeInfo.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(verifySesSignature(signature, { trustAnchors: [pki.rootCert], at, data }).indication).toBe('TOTAL_PASSED');
    expect(verifySesSignature(signature, { trustAnchors: [pki.rootCert], at, data: data.subarray(1) }).indication).toBe('TOTAL_FAILED');
    const bad = Uint8Array.from(signature);
    bad[Buffer.from(bad).indexOf('/Doc_0')]! ^= 1;
    expect(verifySesSignature(bad, { trustAnchors: [pki.rootCert], at, data }).signatures[0]!.subIndication).toBe('SIG_CRYPTO_FAILURE');
  });

  it('an unreadable v1 time is a typed error', () => {
    const tbs = derSequence([derInteger(1), seal, derBitString(new TextEncoder().encode('yesterday')), derBitString(sm3(data)), derIa5('p'), derOctets(pki.holderCert), derOid(SM2_SM3)]);
    expect(() => decodeSesSignature(derSequence([tbs, derBitString(Uint8Array.of(1))]))).toThrow(expect.objectContaining({ code: 'ERR_ASN1_INVALID' }));
  });
});
