/**
 * SM2 seals issued by the registry (issue 9): SM2 key in the software key store, certificate by
 * the SM2 issuing CA (checked with `openssl verify` and its SM2 distinguishing ID), v4 SES_Seal by
 * the seal maker (our verifier, plus the maker's signature with `openssl pkeyutl`), picture,
 * and an SM2 Signer from getSealSigner that seals a PDF our verifier accepts. Revocation: the seal
 * certificate names the SM2 CA's CRL (`openssl x509 -text`); revoking the seal issues a new CRL of
 * the SM2 CA listing it with its reason, signed SM2-with-SM3 (our verifier, `openssl crl -text`, and
 * the signature over the TBSCertList with `openssl pkeyutl` and the SM2 distinguishing ID).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {
  checkSm2CrlRevocation,
  createSm2Signer,
  createSm2TestPki,
  generateSm2KeyPair,
  decodeSesSeal,
  parseSm2Certificate,
  parseSm2Crl,
  sm2CertificateToPem,
  verifySm2CrlSignature,
  signPdf,
  verifyPdf,
  verifySesSeal,
  type Sm2TestPki,
} from '@seal/core';
import type { Registry } from '../registry.js';
import type { Account } from '../types.js';
import { openDevRegistry, tempDir } from '../testing/fixtures.js';
import { Sm2Issuer } from './sm2-issuer.js';

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!HAVE_OPENSSL) process.stdout.write('\nNOTICE: openssl not found: the registry SM2 openssl checks were NOT run.\n');

const tmp = tempDir('sm2-issuer-');
afterAll(() => tmp.cleanup());

const MINIMAL_PDF = Buffer.from(
  '%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n',
  'latin1',
);

function minimalPdf(): Uint8Array {
  const offsets: number[] = [];
  const text = MINIMAL_PDF.toString('latin1');
  for (const n of [1, 2, 3]) offsets.push(text.indexOf(`${n} 0 obj`));
  const xref = MINIMAL_PDF.length;
  const table = `xref\n0 4\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.concat([MINIMAL_PDF, Buffer.from(table, 'latin1')]));
}

describe('SM2 seals from the registry', () => {
  let pki: Sm2TestPki;
  let reg: Registry;
  let officer: Account;
  let operator: Account;
  let agencyId: string;

  beforeAll(async () => {
    pki = await createSm2TestPki();
    reg = await openDevRegistry(join(tmp.dir, 'reg.db'), { sm2: { ca: { signer: pki.root }, sealMaker: { signer: pki.maker } } });
    const admin = (await reg.bootstrapAdmin('admin')).account;
    agencyId = reg.createAgency(admin, '测试市人民政府').id;
    officer = (await reg.createAccount(admin, { name: 'officer', role: 'officer', agencyId })).account;
    operator = (await reg.createAccount(officer, { name: 'operator', role: 'operator', agencyId })).account;
  });
  afterAll(async () => reg?.close());

  it('issues an SM2 seal: SM2 certificate, v4 SES_Seal by the seal maker, picture, SM2 Signer', async () => {
    const req = reg.requestSeal(operator, { agencyId, kind: 'official', name: 'Official seal', algorithm: 'SM2' });
    reg.approveRequest(officer, req.id);
    const seal = await reg.issueSeal(officer, req.id);
    expect(seal.algorithm).toBe('SM2');
    expect(seal.caId).toBe('sm2-ca');
    expect(seal.hasPicture).toBe(true);

    // the SES_Seal: v4, maker = the seal-maker certificate, the seal certificate in the list, validity
    const ses = reg.getSesSeal(seal.id, officer);
    expect(ses).not.toBeNull();
    const decoded = decodeSesSeal(ses!);
    expect(decoded.layout).toBe('v4');
    expect(decoded.version).toBe(4);
    expect(Buffer.from(decoded.makerCert).equals(Buffer.from(pki.makerCert))).toBe(true);
    expect(decoded.sealInfo.esId).toBe(seal.id);
    expect(decoded.sealInfo.certListType).toBe(1);
    const signer = await reg.getSealSigner(operator, seal.id);
    expect(signer.keyType).toBe('SM2');
    const sealCert = signer.certificateChain[0]!;
    expect(decoded.sealInfo.certs.map((c) => Buffer.from(c).toString('hex'))).toEqual([Buffer.from(sealCert).toString('hex')]);
    expect(decoded.sealInfo.validStart.toISOString()).toBe(seal.notBefore);
    expect(decoded.sealInfo.validEnd.toISOString()).toBe(seal.notAfter);
    expect(decoded.sealInfo.picture.type).toBe('PNG');
    const picture = reg.getSealPicture(seal.id, officer)!;
    expect(Buffer.from(decoded.sealInfo.picture.data).equals(Buffer.from(picture))).toBe(true);
    const png = PNG.sync.read(Buffer.from(picture));
    expect(png.width).toBe(400);
    let red = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i + 3]! > 128 && png.data[i]! > 180 && png.data[i + 1]! < 80) red++;
    expect(red).toBeGreaterThan(1000);

    // our SES verifier: maker signature, maker certificate chain to the SM2 root, validity
    const report = verifySesSeal(ses!, { trustAnchors: [pki.rootCert] });
    expect(report.signatures[0]!.indication).not.toBe('TOTAL_FAILED');
    expect(report.signatures[0]!.valid).toBe(true);
    expect(report.signatures[0]!.trusted).toBe(true);
    const broken = Uint8Array.from(ses!);
    broken[broken.length - 10] = broken[broken.length - 10]! ^ 1;
    expect(verifySesSeal(broken, { trustAnchors: [pki.rootCert] }).signatures[0]?.indication ?? 'TOTAL_FAILED').not.toBe('TOTAL_PASSED');

    // the seal's Signer seals a PDF with SM2 that our verifier accepts (trusting the seal certificate)
    const pdf = await signPdf(minimalPdf(), signer, { signingTime: new Date() });
    const v = (await verifyPdf(pdf, { trustAnchors: [sealCert] })).signatures[0]!;
    expect(v.algorithm).toBe('SM2-with-SM3');
    expect(v.valid).toBe(true);
    expect(v.indication).toBe('TOTAL_PASSED');
  });

  it.runIf(HAVE_OPENSSL)('the seal certificate verifies with openssl against the SM2 CA, and the SES_Seal maker signature with pkeyutl', async () => {
    const req = reg.requestSeal(operator, { agencyId, kind: 'contract', name: 'Contract seal', algorithm: 'SM2' });
    reg.approveRequest(officer, req.id);
    const seal = await reg.issueSeal(officer, req.id);
    const dir = tmp.dir;
    writeFileSync(join(dir, 'ca.pem'), sm2CertificateToPem(pki.rootCert));
    writeFileSync(join(dir, 'chain.pem'), seal.certificateChainPem);
    const leafPem = seal.certificateChainPem.slice(0, seal.certificateChainPem.indexOf('-----END CERTIFICATE-----') + 25) + '\n';
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    const out = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), '-vfyopt', 'distid:1234567812345678', join(dir, 'leaf.pem')], { encoding: 'utf8' });
    expect(out).toContain('leaf.pem: OK');
    const text = execFileSync('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('SM2-with-SM3');
    expect(text).toMatch(/ASN1 OID: SM2/);
    // the maker's signature over DER(SES_SealInfo)
    const decoded = decodeSesSeal(reg.getSesSeal(seal.id)!);
    writeFileSync(join(dir, 'maker.pem'), sm2CertificateToPem(decoded.makerCert));
    execFileSync('openssl', ['x509', '-in', join(dir, 'maker.pem'), '-pubkey', '-noout', '-out', join(dir, 'maker.pub.pem')]);
    writeFileSync(join(dir, 'tbs.bin'), decoded.signedBytes);
    writeFileSync(join(dir, 'sig.bin'), decoded.signature);
    const r = spawnSync('openssl', ['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-inkey', join(dir, 'maker.pub.pem'), '-pkeyopt', 'distid:1234567812345678', '-in', join(dir, 'tbs.bin'), '-sigfile', join(dir, 'sig.bin')], { encoding: 'utf8' });
    expect(r.stdout).toContain('Signature Verified Successfully');
  });

  it('an SM2 seal certificate names the SM2 CA CRL; revoking the seal puts it on a new SM2-signed CRL (own crlNumber sequence)', async () => {
    const mainBefore = await reg.currentCrl();
    const first = await reg.currentCrl('sm2-ca');
    expect(first.caId).toBe('sm2-ca');
    expect(parseSm2Crl(first.der).revoked).toEqual([]);
    const req = reg.requestSeal(operator, { agencyId, kind: 'finance', name: 'Finance seal', algorithm: 'SM2' });
    reg.approveRequest(officer, req.id);
    const seal = await reg.issueSeal(officer, req.id);
    const certDer = (await reg.getSealSigner(operator, seal.id)).certificateChain[0]!;
    const cdp = new x509.X509Certificate(Uint8Array.from(certDer)).getExtension(x509.CRLDistributionPointsExtension);
    const urls = cdp?.distributionPoints.flatMap((d) => d.distributionPoint?.fullName?.map((n) => n.uniformResourceIdentifier) ?? []);
    expect(urls).toEqual(['http://127.0.0.1:8080/v1/crl/sm2-ca']);

    const cert = parseSm2Certificate(certDer);
    const root = parseSm2Certificate(pki.rootCert);
    expect(checkSm2CrlRevocation(cert, root, [first.der], new Date()).status).toBe('good');
    // a PDF sealed before the revocation: verifyPdf with the SM2 root and the registry's SM2 CRL
    const pdf = await signPdf(minimalPdf(), await reg.getSealSigner(operator, seal.id), { signingTime: new Date() });
    const ok = (await verifyPdf(pdf, { trustAnchors: [pki.rootCert], crls: [first.der] })).signatures[0]!;
    expect(ok.indication).toBe('TOTAL_PASSED');
    expect(ok.revocation).toMatchObject({ status: 'good', source: 'crl' });

    // CRL and signing times have whole seconds: revoke in a later second than the PDF's signing time
    await new Promise((r) => setTimeout(r, 1100));
    await reg.revokeSeal(officer, seal.id, { reason: 'keyCompromise' });
    const after = await reg.currentCrl('sm2-ca');
    expect(after.crlNumber).toBeGreaterThan(first.crlNumber);
    const crl = parseSm2Crl(after.der);
    expect(crl.signatureAlgorithm).toBe('1.2.156.10197.1.501');
    expect(crl.revoked.map((e) => [e.serialNumber.replace(/^0+/, ''), e.reason])).toEqual([[seal.serial.replace(/^0+/, ''), 'keyCompromise']]);
    expect(verifySm2CrlSignature(crl, root)).toBe(true);
    const tampered = Uint8Array.from(after.der);
    const serialAt = Buffer.from(tampered).indexOf(Buffer.from(seal.serial, 'hex'));
    expect(serialAt).toBeGreaterThan(0);
    tampered[serialAt + 3] = tampered[serialAt + 3]! ^ 1; // another serial in the signed list
    expect(verifySm2CrlSignature(parseSm2Crl(tampered), root)).toBe(false);
    const status = checkSm2CrlRevocation(cert, root, [after.der], new Date());
    expect(status).toMatchObject({ status: 'revoked', reason: 'keyCompromise', source: 'crl' });
    expect(reg.lookupSealBySerial(seal.serial, 'sm2-ca')?.revocation?.reason).toBe('keyCompromise');
    const revoked = (await verifyPdf(pdf, { trustAnchors: [pki.rootCert], crls: [after.der] })).signatures[0]!;
    expect(revoked.revocation).toMatchObject({ status: 'revoked', reason: 'keyCompromise', source: 'crl' });
    expect(revoked.indication).toBe('INDETERMINATE');
    expect(revoked.subIndication).toBe('REVOKED_NO_POE');

    // the main CA's CRL sequence is untouched and does not list the SM2 serial
    const mainAfter = await reg.currentCrl();
    expect(mainAfter.crlNumber).toBe(mainBefore.crlNumber);
    expect(Buffer.from(mainAfter.der).includes(Buffer.from(seal.serial, 'hex'))).toBe(false);
    await expect(reg.currentCrl('no-such-ca')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(reg.regenerateCrl('no-such-ca')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });

    if (!HAVE_OPENSSL) return;
    const dir = tmp.dir;
    const leaf = join(dir, 'revoked-leaf.pem');
    writeFileSync(leaf, sm2CertificateToPem(certDer));
    const certText = execFileSync('openssl', ['x509', '-in', leaf, '-noout', '-text'], { encoding: 'utf8' });
    expect(certText).toContain('X509v3 CRL Distribution Points');
    expect(certText).toContain('URI:http://127.0.0.1:8080/v1/crl/sm2-ca');
    const crlFile = join(dir, 'sm2.crl');
    writeFileSync(crlFile, after.der);
    const text = execFileSync('openssl', ['crl', '-in', crlFile, '-inform', 'DER', '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('SM2-with-SM3');
    expect(text).toContain(`Serial Number: ${seal.serial.toUpperCase()}`);
    expect(text).toContain('Key Compromise');
    expect(text).toMatch(new RegExp(`X509v3 CRL Number: \\n\\s+${after.crlNumber}\\n`));
    // the SM2 signature over the TBSCertList, checked by OpenSSL with the default distinguishing ID
    // (`openssl crl -verify` cannot: OpenSSL 3.0 sets no SM2 ID there and answers "verify failure")
    writeFileSync(join(dir, 'ca.pem'), sm2CertificateToPem(pki.rootCert));
    execFileSync('openssl', ['x509', '-in', join(dir, 'ca.pem'), '-pubkey', '-noout', '-out', join(dir, 'ca.pub.pem')]);
    const verifyTbs = (tbs: Uint8Array): string => {
      writeFileSync(join(dir, 'crl-tbs.bin'), tbs);
      writeFileSync(join(dir, 'crl-sig.bin'), crl.signature);
      const r = spawnSync('openssl', ['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-inkey', join(dir, 'ca.pub.pem'), '-pkeyopt', 'distid:1234567812345678', '-in', join(dir, 'crl-tbs.bin'), '-sigfile', join(dir, 'crl-sig.bin')], { encoding: 'utf8' });
      return `${r.stdout}${r.stderr}`;
    };
    expect(verifyTbs(crl.tbs)).toContain('Signature Verified Successfully');
    const badTbs = Uint8Array.from(crl.tbs);
    badTbs[badTbs.length - 1] = badTbs[badTbs.length - 1]! ^ 1;
    expect(verifyTbs(badTbs)).not.toContain('Signature Verified Successfully');
  });

  it('without an SM2 CA, an SM2 request is refused with ERR_ALG_UNSUPPORTED', async () => {
    const plain = await openDevRegistry(join(tmp.dir, 'plain.db'));
    try {
      const admin = (await plain.bootstrapAdmin('admin')).account;
      const a = plain.createAgency(admin, 'Agency').id;
      const off = (await plain.createAccount(admin, { name: 'o', role: 'officer', agencyId: a })).account;
      const op = (await plain.createAccount(off, { name: 'p', role: 'operator', agencyId: a })).account;
      const req = plain.requestSeal(op, { agencyId: a, kind: 'official', name: 'x', algorithm: 'SM2' });
      plain.approveRequest(off, req.id);
      await expect(plain.issueSeal(off, req.id)).rejects.toMatchObject({ code: 'ERR_ALG_UNSUPPORTED' });
    } finally {
      await plain.close();
    }
  });

  it('refuses a seal maker not issued by the SM2 CA, and a CA certificate that is not a CA', async () => {
    const other = await createSm2TestPki();
    expect(() => new Sm2Issuer({ ca: { signer: pki.root }, sealMaker: { signer: other.maker } })).toThrow(/not issued by the SM2 issuing CA/);
    expect(() => new Sm2Issuer({ ca: { signer: pki.holder }, sealMaker: { signer: pki.maker } })).toThrow(/not a CA/);
  });

  it('refuses at open an SM2 CA or seal maker whose key does not match its certificate (ERR_KEY_MISMATCH)', async () => {
    const stranger = generateSm2KeyPair().privateKey;
    const badCa = new Sm2Issuer({ ca: { signer: createSm2Signer(stranger, [pki.rootCert]) }, sealMaker: { signer: pki.maker } });
    await expect(badCa.checkKeys()).rejects.toMatchObject({ code: 'ERR_KEY_MISMATCH' });
    const badMaker = new Sm2Issuer({ ca: { signer: pki.root }, sealMaker: { signer: createSm2Signer(stranger, [pki.makerCert, pki.rootCert]) } });
    await expect(badMaker.checkKeys()).rejects.toMatchObject({ code: 'ERR_KEY_MISMATCH' });
    await expect(new Sm2Issuer({ ca: { signer: pki.root }, sealMaker: { signer: pki.maker } }).checkKeys()).resolves.toBeUndefined();
    await expect(openDevRegistry(join(tmp.dir, 'bad-ca.db'), { sm2: { ca: { signer: createSm2Signer(stranger, [pki.rootCert]) }, sealMaker: { signer: pki.maker } } })).rejects.toMatchObject({
      code: 'ERR_KEY_MISMATCH',
    });
  });

  it.runIf(HAVE_OPENSSL)('refuses an SM2 CA whose keyUsage lacks cRLSign (made by openssl)', () => {
    const dir = tmp.dir;
    const key = join(dir, 'nocrl.key.pem');
    const cert = join(dir, 'nocrl.pem');
    execFileSync('openssl', ['ecparam', '-genkey', '-name', 'SM2', '-noout', '-out', key]);
    execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', key, '-out', `${key}.p8`]);
    const args = ['req', '-x509', '-new', '-key', `${key}.p8`, '-sm3', '-sigopt', 'distid:1234567812345678', '-subj', '/CN=No CRL SM2 CA/C=CN', '-days', '30', '-out', cert];
    execFileSync('openssl', [...args, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
    const text = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('Certificate Sign');
    expect(text).not.toContain('CRL Sign');
    const ca = { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(`${key}.p8`, 'utf8') };
    expect(() => new Sm2Issuer({ ca, sealMaker: { signer: pki.maker } })).toThrow(/may not sign CRLs/);
    // the same with cRLSign gets past that check (and stops at the seal maker, issued by another CA)
    execFileSync('openssl', [...args, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const withCrl = { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(`${key}.p8`, 'utf8') };
    expect(() => new Sm2Issuer({ ca: withCrl, sealMaker: { signer: pki.maker } })).toThrow(/not issued by the SM2 issuing CA/);
  });
});
