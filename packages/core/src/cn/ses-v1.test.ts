/**
 * GM/T 0031-2014 (v1) seals and signatures built by hand with the DER writer (the corpus has a
 * v1 seal but no v1 signature), so the v1 decode and verify paths are exercised end to end.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bitStringBytes, ia5String, integer, octetString, oid, seq, utf8String, x509Time } from '../asn1/der.js';
import { decodeSesSeal, decodeSesSignature } from './ses-decode.js';
import { verifySesSeal, verifySesSignature } from './ses-verify.js';
import { sm3 } from './sm2.js';
import { createSm2TestPki, type Sm2TestPki } from './sm2-test-pki.js';

const SM2_SM3 = '1.2.156.10197.1.501';

async function v1Seal(pki: Sm2TestPki): Promise<Uint8Array> {
  const sealInfo = seq(
    seq(ia5String('ES'), integer(1), ia5String('V1TEST')),
    ia5String('V1-0001'),
    seq(
      integer(1),
      utf8String('\u65e7\u7248\u5370\u7ae0'),
      seq(octetString(pki.holderCert)),
      x509Time(new Date('2025-01-01T00:00:00Z')),
      x509Time(new Date('2025-01-01T00:00:00Z')),
      x509Time(new Date('2027-01-01T00:00:00Z')),
    ),
    seq(ia5String('PNG'), octetString(Uint8Array.of(1, 2, 3)), integer(40), integer(40)),
  );
  const cert = octetString(pki.makerCert);
  const alg = oid(SM2_SM3);
  const sig = await pki.maker.sign(seq(sealInfo, cert, alg), { scheme: 'SM2', hash: 'SM3' });
  return seq(sealInfo, seq(cert, alg, bitStringBytes(sig)));
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
    const tbs = seq(
      integer(1),
      seal,
      bitStringBytes(new TextEncoder().encode('20260101000000Z')),
      bitStringBytes(sm3(data)),
      ia5String('/Doc_0/Signs/Sign_0/Signature.xml'),
      octetString(pki.holderCert),
      oid(SM2_SM3),
    );
    const sig = await pki.holder.sign(tbs, { scheme: 'SM2', hash: 'SM3' });
    signature = seq(tbs, bitStringBytes(sig));
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
    const tbs = seq(integer(1), seal, bitStringBytes(new TextEncoder().encode('yesterday')), bitStringBytes(sm3(data)), ia5String('p'), octetString(pki.holderCert), oid(SM2_SM3));
    expect(() => decodeSesSignature(seq(tbs, bitStringBytes(Uint8Array.of(1))))).toThrow(expect.objectContaining({ code: 'ERR_ASN1_INVALID' }));
  });
});
