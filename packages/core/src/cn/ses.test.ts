import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusManifest, corpusOrReport, corpusPath } from '../../../../test-support/corpus.js';
import { bitStringBytes, octetString, oid, seq } from '../asn1/der.js';
import { createSesSeal, signSes } from './ses-create.js';
import { decodeSesSeal, decodeSesSignature } from './ses-decode.js';
import { verifySes, verifySesSeal, verifySesSignature } from './ses-verify.js';
import { parseCertificate } from './sm2-cert.js';
import { sm3 } from './sm2.js';
import { createSm2TestPki, createTestSesSeal, type Sm2TestPki } from './sm2-test-pki.js';
import { indicationOrCode } from '../errors/testing.js';

const HAVE = corpusOrReport('SES corpus tests');
const read = (rel: string): Uint8Array => new Uint8Array(readFileSync(corpusPath(rel)));
const ROOT = HAVE ? parseCertificate(readFileSync(corpusPath('cn/certs/ofdrw-ROOT.cert.pem'), 'utf8')) : null;

function entries(kind: string) {
  return corpusManifest().filter((e) => e.path.startsWith('cn/') && e['kind'] === kind);
}

describe.runIf(HAVE)('corpus SES_Seal files', () => {
  const seals = entries('ses-seal');
  it('the manifest lists the seal files', () => {
    expect(seals.length).toBeGreaterThanOrEqual(5);
  });

  for (const e of seals) {
    const check = (e.independent_check ?? {}) as { header?: { version: number; vid: string }; esID?: string; seal_name?: string };
    it(`${e.path} parses with the manifest's header, esID and name`, () => {
      const seal = decodeSesSeal(read(e.path));
      expect(seal.version).toBe(check.header?.version);
      expect(seal.sealInfo.header.vid).toBe(check.header?.vid);
      expect(seal.sealInfo.esId).toBe(check.esID);
      expect(seal.sealInfo.name).toBe(check.seal_name);
      expect(seal.layout).toBe(seal.version === 1 ? 'v1' : 'v4');
    });
  }

  for (const e of seals.filter((x) => x.expected?.verdict === 'valid')) {
    it(`${e.path}: maker signature verifies; the ofdrw root is no CA so the chain stays INDETERMINATE`, () => {
      const bytes = read(e.path);
      const at = new Date(decodeSesSeal(bytes).sealInfo.validStart.getTime() + 3600_000);
      const r = verifySesSeal(bytes, { trustAnchors: [ROOT!], at });
      const s = r.signatures[0]!;
      expect(s['valid']).toBe(true);
      expect(r.indication).toBe('INDETERMINATE');
      expect(s.trusted).toBe(false);
    });

    it(`${e.path}: one changed byte in the signed seal info, or in the signature, fails`, () => {
      const bytes = read(e.path);
      const seal = decodeSesSeal(bytes);
      const at = new Date(seal.sealInfo.validStart.getTime() + 3600_000);
      const nameAt = seal.sealInfo.raw.byteOffset - bytes.byteOffset + seal.sealInfo.raw.indexOf(0x0c) + 3; // inside the UTF8String
      const positions = [
        nameAt,
        bytes.length - 5, // inside the signature value
        Math.floor(bytes.length / 2), // inside the picture
      ];
      for (const pos of positions) {
        const bad = Uint8Array.from(bytes);
        bad[pos]! ^= 0x01;
        const o = indicationOrCode(() => verifySesSeal(bad, { trustAnchors: [ROOT!], at }));
        expect(['TOTAL_FAILED', 'ERR_ASN1_INVALID'], `byte ${pos}`).toContain(o);
      }
    });
  }

  it('the third-party hebei seal parses but its maker signature does not verify (manifest: unknown)', () => {
    const r = verifySesSeal(read('cn/seal/SESealData-hebei-gede.DER'), { at: new Date('2020-12-01') });
    expect(r.indication).toBe('TOTAL_FAILED');
    expect(r.signatures[0]!.subIndication).toBe('SIG_CRYPTO_FAILURE');
  });
});

describe.runIf(HAVE)('corpus SES_Signature files', () => {
  for (const rel of ['cn/signature/SignedValueV4.dat', 'cn/signature/SignedValueV5.dat']) {
    it(`${rel}: signer and embedded maker signatures verify; a wrong data hash fails`, () => {
      const bytes = read(rel);
      const sig = decodeSesSignature(bytes);
      expect(sig.propertyInfo).toBe('/Doc_0/Signs/Sign_0/Signature.xml');
      const r = verifySesSignature(bytes, { trustAnchors: [ROOT!], at: sig.timeInfo, dataHash: sig.dataHash });
      const s = r.signatures[0]!;
      expect(s['valid']).toBe(true);
      expect(r.indication).toBe('INDETERMINATE');
      const wrong = Uint8Array.from(sig.dataHash);
      wrong[0]! ^= 0xff;
      const bad = verifySesSignature(bytes, { trustAnchors: [ROOT!], at: sig.timeInfo, dataHash: wrong });
      expect(bad.indication).toBe('TOTAL_FAILED');
      expect(bad.signatures[0]!.subIndication).toBe('HASH_FAILURE');
    });

    it(`${rel}: a changed byte in TBS_Sign or the signature fails`, () => {
      const bytes = read(rel);
      const sig = decodeSesSignature(bytes);
      const propAt = bytes.length - 600; // around the end of TBS_Sign / signer certificate
      for (const pos of [sig.signedBytes.byteOffset - bytes.byteOffset + sig.signedBytes.length - 10, bytes.length - 3, propAt]) {
        const bad = Uint8Array.from(bytes);
        bad[pos]! ^= 0x01;
        const o = indicationOrCode(() => verifySesSignature(bad, { trustAnchors: [ROOT!], at: sig.timeInfo, dataHash: sig.dataHash }));
        expect(['TOTAL_FAILED', 'ERR_ASN1_INVALID'], `byte ${pos}`).toContain(o);
      }
    });
  }

  it('verifySes tells seals from signatures; without the data a signature is at best INDETERMINATE', () => {
    expect(verifySes(read('cn/seal/UserV4.esl')).kind).toBe('seal');
    const r = verifySes(read('cn/signature/SignedValueV4.dat'), { at: new Date('2020-10-13') });
    expect(r.kind).toBe('signature');
    expect(r.indication).toBe('INDETERMINATE');
    expect(r.signatures[0]!.errors).toContain('signed data not given: data hash not checked');
  });
});

describe('our own v4 seals and signatures', () => {
  let pki: Sm2TestPki;
  let seal: Uint8Array;
  const picture = { type: 'PNG', data: Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 1, 2, 3), width: 40, height: 40 };
  const at = new Date('2025-06-01T00:00:00Z');
  beforeAll(async () => {
    pki = await createSm2TestPki();
    seal = await createTestSesSeal(pki, { esId: '11010000000001', name: '\u6d4b\u8bd5\u673a\u5173\u516c\u7ae0', picture, createDate: new Date('2025-01-01T00:00:00Z') });
  });

  it('a new seal decodes to what was put in and verifies TOTAL_PASSED against our root', () => {
    const d = decodeSesSeal(seal);
    expect(d.version).toBe(4);
    expect(d.sealInfo.name).toBe('\u6d4b\u8bd5\u673a\u5173\u516c\u7ae0');
    expect(d.sealInfo.picture.width).toBe(40);
    expect(d.sealInfo.certs).toHaveLength(1);
    const r = verifySesSeal(seal, { trustAnchors: [pki.rootCert], at });
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]!.trusted).toBe(true);
  });

  it('no trust anchor: INDETERMINATE; outside the validity: not passed', () => {
    expect(verifySesSeal(seal, { at }).indication).toBe('INDETERMINATE');
    const late = verifySesSeal(seal, { trustAnchors: [pki.rootCert], at: new Date('2027-01-01') });
    expect(late.signatures[0]!.subIndication).toBe('OUT_OF_BOUNDS_NO_POE');
    const early = verifySesSeal(seal, { trustAnchors: [pki.rootCert], at: new Date('2024-06-01') });
    expect(early.indication).toBe('TOTAL_FAILED');
    expect(early.signatures[0]!.subIndication).toBe('NOT_YET_VALID');
  });

  it('a signature over data verifies TOTAL_PASSED with that data and fails with other data', async () => {
    const data = new TextEncoder().encode('<Signature>demo</Signature>');
    const sig = await signSes({ seal, signer: pki.holder, data, propertyInfo: '/Doc_0/Signs/Sign_0/Signature.xml', time: at });
    const ok = verifySesSignature(sig, { trustAnchors: [pki.rootCert], at, data });
    expect(ok.indication).toBe('TOTAL_PASSED');
    expect(ok.signatures[0]!.coversWholeDocument).toBe(true);
    const bad = verifySesSignature(sig, { trustAnchors: [pki.rootCert], at, data: data.subarray(1) });
    expect(bad.indication).toBe('TOTAL_FAILED');
    expect(bad.signatures[0]!.subIndication).toBe('HASH_FAILURE');
  });

  it('the signer must be in the seal certificate list (certificates or digests)', async () => {
    await expect(signSes({ seal, signer: pki.maker, data: Uint8Array.of(1), propertyInfo: 'x', time: at })).rejects.toMatchObject({ code: 'ERR_CERT_INVALID' });
    const byDigest = await createSesSeal({
      maker: pki.maker,
      esId: 'D1',
      name: 'digest list',
      sealCertificateDigests: [{ type: 'SM3', value: sm3(pki.holderCert) }],
      picture,
      validStart: new Date('2025-01-01T00:00:00Z'),
      validEnd: new Date('2026-01-01T00:00:00Z'),
    });
    expect(decodeSesSeal(byDigest).sealInfo.certListType).toBe(2);
    const sig = await signSes({ seal: byDigest, signer: pki.holder, data: Uint8Array.of(7), propertyInfo: 'x', time: at });
    expect(verifySesSignature(sig, { trustAnchors: [pki.rootCert], at, data: Uint8Array.of(7) }).indication).toBe('TOTAL_PASSED');
  });

  it('a signature claiming a holder certificate outside the seal list is refused by the verifier', async () => {
    // Forge: swap the signer certificate for the maker's (valid key, not in the list), re-signed by the maker.
    const data = Uint8Array.of(1, 2, 3);
    const sig = await signSes({ seal, signer: pki.holder, data, propertyInfo: 'p', time: at });
    const d = decodeSesSignature(sig);
    const forged = seq(d.signedBytes, octetString(pki.makerCert), oid('1.2.156.10197.1.501'), bitStringBytes(await pki.maker.sign(d.signedBytes, { scheme: 'SM2', hash: 'SM3' })));
    const r = verifySesSignature(forged, { trustAnchors: [pki.rootCert], at, data });
    expect(r.indication).toBe('TOTAL_FAILED');
    expect(r.signatures[0]!.subIndication).toBe('SIG_CONSTRAINTS_FAILURE');
  });

  it('garbage and truncated input are typed errors, never crashes', () => {
    for (const bad of [new Uint8Array(0), Uint8Array.of(0x30, 0x80), seal.subarray(0, seal.length - 1), Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)]) {
      expect(indicationOrCode(() => verifySes(bad))).toBe('ERR_ASN1_INVALID');
    }
  });
});
