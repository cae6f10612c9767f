import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusOrReport, corpusPath } from '../../../../test-support/corpus.js';
import { buildCertificatePath, issueSm2Certificate, parseCertificate, verifyCertificateSignature } from './sm2-cert.js';
import { createSm2Signer } from './sm2-signer.js';
import { generateSm2KeyPair } from './sm2.js';
import { createSm2TestPki, type Sm2TestPki } from './sm2-test-pki.js';

const HAVE = corpusOrReport('SM2 certificate corpus tests');

describe.runIf(HAVE)('ofdrw SM2 certificates', () => {
  const root = () => parseCertificate(readFileSync(corpusPath('cn/certs/ofdrw-ROOT.cert.pem'), 'utf8'));
  const user = () => parseCertificate(readFileSync(corpusPath('cn/certs/ofdrw-USER.cert.pem'), 'utf8'));

  it('parse with SM2 keys, names, serials and validity', () => {
    const u = user();
    expect(u.sm2PublicKey).toHaveLength(65);
    expect(u.subject).toContain('CN=Test Certificate');
    expect(u.issuer).toContain('CN=OFD Reader and WriterROOT Certificate');
    expect(u.serialNumber).toBe('01719d2dab60');
    expect(u.notAfter.toISOString()).toBe('2022-04-21T14:39:08.000Z');
    expect(u.signatureAlgorithm).toBe('1.2.156.10197.1.501');
  });

  it('the user certificate signature verifies under the root, not under itself', () => {
    expect(verifyCertificateSignature(user(), root())).toBe(true);
    expect(verifyCertificateSignature(user(), user())).toBe(false);
    const tampered = Uint8Array.from(user().der);
    const cn = Buffer.from(tampered).lastIndexOf('Test Certificate'); // the subject CN, inside the TBS
    tampered[cn]! ^= 1;
    expect(verifyCertificateSignature(parseCertificate(tampered), root())).toBe(false);
  });

  it('the root lacks CA basicConstraints: the path is reported untrusted, the rule is not relaxed', () => {
    const r = buildCertificatePath(user(), [], [root()], new Date('2021-01-01'));
    expect(r.trusted).toBe(false);
    expect(r.errors.join(' ')).toContain('not a CA');
  });
});

describe('issuing SM2 certificates', () => {
  let pki: Sm2TestPki;
  beforeAll(async () => {
    pki = await createSm2TestPki();
  });

  it('issued certificates chain to the root within validity only', () => {
    const leaf = parseCertificate(pki.holderCert);
    const root = parseCertificate(pki.rootCert);
    expect(leaf.sm2PublicKey).not.toBeNull();
    expect(root.isCa).toBe(true);
    expect(leaf.isCa).toBe(false);
    expect(buildCertificatePath(leaf, [], [root], new Date('2030-01-01')).trusted).toBe(true);
    expect(buildCertificatePath(leaf, [], [root], new Date('2100-01-01')).trusted).toBe(false);
    expect(buildCertificatePath(leaf, [root], [], new Date('2030-01-01')).trusted).toBe(false);
  });

  it('a non-CA certificate cannot act as an issuer', async () => {
    const k = generateSm2KeyPair();
    const fake = await issueSm2Certificate({
      subject: 'CN=Issued by a leaf',
      publicKey: k.publicKey,
      issuer: pki.holder,
      notBefore: new Date('2024-01-01'),
      notAfter: new Date('2030-01-01'),
    });
    const r = buildCertificatePath(parseCertificate(fake), [parseCertificate(pki.holderCert)], [parseCertificate(pki.rootCert)], new Date('2025-01-01'));
    expect(r.trusted).toBe(false);
    expect(r.errors.join(' ')).toContain('not a CA');
  });

  it('refuses a non-SM2 issuer, a non-SM2 subject key and a reversed validity', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fakeIssuer = { ...pki.root, keyType: 'EC' as const };
    await expect(issueSm2Certificate({ subject: 'CN=x', publicKey: generateSm2KeyPair().publicKey, issuer: fakeIssuer, notBefore: new Date(0), notAfter: new Date() })).rejects.toMatchObject({ code: 'ERR_KEY_INVALID' });
    await expect(issueSm2Certificate({ subject: 'CN=x', publicKey: ec.publicKey, issuer: pki.root, notBefore: new Date(0), notAfter: new Date() })).rejects.toMatchObject({ code: 'ERR_ALG_UNSUPPORTED' });
    await expect(issueSm2Certificate({ subject: 'CN=x', publicKey: generateSm2KeyPair().publicKey, issuer: pki.root, notBefore: new Date(), notAfter: new Date(0) })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect(() => createSm2Signer(ec.privateKey, [])).toThrow();
  });

  it('malformed certificates are typed errors', () => {
    expect(() => parseCertificate(Uint8Array.of(0x30, 0x03, 1, 2, 3))).toThrow(expect.objectContaining({ code: 'ERR_CERT_INVALID' }));
    expect(() => parseCertificate(pki.holderCert.subarray(0, 100))).toThrow(expect.objectContaining({ code: 'ERR_CERT_INVALID' }));
    expect(() => parseCertificate('no pem here')).toThrow(expect.objectContaining({ code: 'ERR_CERT_INVALID' }));
  });
});
