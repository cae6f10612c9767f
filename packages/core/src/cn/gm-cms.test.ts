import { createHash, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCmsSignature } from '../cms/sign.js';
import { verifyCms } from '../cms/verify.js';
import { createSoftwareSigner } from '../signer/software.js';
import { createGmCmsSignature, estimateGmCmsSize, isGmCms, verifyGmCms } from './gm-cms.js';
import { createSm2TestPki, type Sm2TestPki } from './sm2-test-pki.js';

const content = new TextEncoder().encode('the ByteRange bytes of some PDF');
const sm3 = (b: Uint8Array): Uint8Array => createHash('sm3').update(b).digest();

describe('GM/T 0010 detached CMS (PDF with SM2)', () => {
  let pki: Sm2TestPki;
  let cms: Uint8Array;
  beforeAll(async () => {
    pki = await createSm2TestPki();
    cms = await createGmCmsSignature({ signer: pki.holder, contentDigest: sm3(content) });
  });

  it('verifies over the detached content, through verifyCms too; the estimate is an upper bound', async () => {
    const r = verifyGmCms(cms, { detachedContent: [content] });
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signingCertificateBinding).toBe('v2');
    expect(r.digestAlgorithm).toBe('sm3');
    const viaCms = verifyCms(cms, { detachedContent: [content] });
    expect(viaCms.valid).toBe(true);
    expect(viaCms.signatureAlgorithm).toBe('SM2-with-SM3');
    expect(await estimateGmCmsSize(pki.holder)).toBeGreaterThanOrEqual(cms.length);
    const pkcs7 = await createGmCmsSignature({ signer: pki.holder, contentDigest: sm3(content), profile: 'pkcs7', signingTime: new Date('2025-06-01T00:00:00Z') });
    const p = verifyGmCms(pkcs7, { detachedContent: [content] });
    expect(p.valid).toBe(true);
    expect(p.claimedSigningTime?.toISOString()).toBe('2025-06-01T00:00:00.000Z');
    expect(await estimateGmCmsSize(pki.holder, 'pkcs7', new Date())).toBeGreaterThanOrEqual(pkcs7.length);
  });

  it('isGmCms tells GM from PKCS#7 SignedData and junk', async () => {
    expect(isGmCms(cms)).toBe(true);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // any certificate will do for the shape: PKCS#7 SignedData starts with 1.2.840.113549.1.7.2
    const ec = createSoftwareSigner(privateKey, [pki.holderCert]);
    const western = await createCmsSignature({ signer: ec, hash: 'SHA-256', contentDigest: new Uint8Array(32) });
    expect(isGmCms(western)).toBe(false);
    expect(isGmCms(new Uint8Array(0))).toBe(false);
    expect(isGmCms(Uint8Array.of(0x30, 0x80, 0x06))).toBe(false);
  });

  it('refuses a non-SM2 signer and a wrong-length digest', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ec = createSoftwareSigner(privateKey, [pki.holderCert]);
    await expect(createGmCmsSignature({ signer: ec, contentDigest: sm3(content) })).rejects.toMatchObject({ code: 'ERR_ALG_UNSUPPORTED' });
    await expect(createGmCmsSignature({ signer: pki.holder, contentDigest: new Uint8Array(31) })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('other content is HASH_FAILURE; every single-byte change fails closed without throwing', () => {
    expect(verifyGmCms(cms, { detachedContent: [new TextEncoder().encode('other bytes')] }).subIndication).toBe('HASH_FAILURE');
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 120; i++) {
      const bad = Uint8Array.from(cms);
      const at = rnd(bad.length);
      bad[at] = bad[at]! ^ (1 + rnd(255));
      const r = verifyGmCms(bad, { detachedContent: [content] });
      // a change inside the certificates list outside the signer's certificate could keep it valid;
      // here the only certificate after the signer's is the root, so check what is signed
      if (r.indication === 'TOTAL_PASSED') {
        expect(Buffer.from(r.signerCertificate!.der).equals(Buffer.from(pki.holderCert))).toBe(true);
        expect(Buffer.from(r.signatureValue!).equals(Buffer.from(verifyGmCms(cms, { detachedContent: [content] }).signatureValue!))).toBe(true);
      }
    }
  });
});
