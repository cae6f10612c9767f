/**
 * OCSP for the registry's SM2 seals (issue 9): an SM2 seal certificate names the OCSP responder
 * (authorityInfoAccess, `openssl x509 -text`); `respondOcsp` answers for the SM2 CA's certificates
 * with a BasicOCSPResponse signed SM2-with-SM3 by the SM2 CA itself: good, then revoked with its
 * reason and time. Judged by `openssl ocsp -resp_text` (parsing, status, reason), the SM2
 * signature over tbsResponseData by `openssl pkeyutl` with the default distinguishing ID and by
 * core's sm2Verify, and core's OCSP checker / verifyPdf / verifySesSignature (revoked from OCSP
 * alone, no CRL).
 * CertIDs with SHA-1, SHA-256 and SM3 hashes; a request naming both CAs is answered by the
 * delegated responder with the SM2 CertID `unknown`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {
  checkOcsp,
  createSm2TestPki,
  parseCertificate,
  parseOcspResponse,
  parseSm2Certificate,
  signPdf,
  signSes,
  sm2CertificateToPem,
  sm2Verify,
  verifyPdf,
  verifySesSignature,
  type Sm2TestPki,
} from '@seal/core';
import { TAG, childrenOf, contentOf, decodeBitString, decodeOid, encodedOf, expectTag, parseDer } from '@seal/core/asn1';
import type { Registry } from '../registry.js';
import type { Account } from '../types.js';
import { certsDev, openDevRegistry, tempDir } from '../testing/fixtures.js';

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!HAVE_OPENSSL) process.stdout.write('\nNOTICE: openssl not found: the SM2 OCSP tests were NOT run.\n');

const tmp = tempDir('sm2-ocsp-');
afterAll(() => tmp.cleanup());

function minimalPdf(): Uint8Array {
  const body = '%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n';
  const offsets = [1, 2, 3].map((n) => body.indexOf(`${n} 0 obj`));
  const table = `xref\n0 4\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n${body.length}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(body + table, 'latin1'));
}

/** The parts of a successful OCSPResponse: signature algorithm OID, tbsResponseData DER, signature, certs present. */
function basicParts(resp: Uint8Array): { sigOid: string; tbs: Uint8Array; signature: Uint8Array; hasCerts: boolean } {
  const top = childrenOf(parseDer(resp), TAG.SEQUENCE, 'OCSPResponse');
  expect(contentOf(top[0]!)).toEqual(Uint8Array.of(0));
  const bytes = childrenOf(childrenOf(top[1], 0xa0, 'responseBytes')[0], TAG.SEQUENCE, 'ResponseBytes');
  expect(decodeOid(bytes[0])).toBe('1.3.6.1.5.5.7.48.1.1');
  const basic = childrenOf(parseDer(contentOf(expectTag(bytes[1], TAG.OCTET_STRING, 'response'))), TAG.SEQUENCE, 'BasicOCSPResponse');
  return {
    tbs: encodedOf(basic[0]!),
    sigOid: decodeOid(childrenOf(basic[1], TAG.SEQUENCE, 'signatureAlgorithm')[0]),
    signature: decodeBitString(basic[2]),
    hasCerts: basic[3] !== undefined,
  };
}

describe.runIf(HAVE_OPENSSL)('OCSP for SM2 seals', () => {
  let pki: Sm2TestPki;
  let reg: Registry;
  let officer: Account;
  let operator: Account;
  let agencyId: string;
  const dir = tmp.dir;
  const caPem = join(dir, 'sm2-ca.pem');
  const caPub = join(dir, 'sm2-ca.pub.pem');

  const issue = async (name: string): Promise<{ sealId: string; serial: string; certDer: Uint8Array; leafPem: string }> => {
    const req = reg.requestSeal(operator, { agencyId, kind: 'official', name, algorithm: 'SM2' });
    reg.approveRequest(officer, req.id);
    const seal = await reg.issueSeal(officer, req.id);
    const certDer = (await reg.getSealSigner(operator, seal.id)).certificateChain[0]!;
    const leafPem = join(dir, `${seal.id}.pem`);
    writeFileSync(leafPem, sm2CertificateToPem(certDer));
    return { sealId: seal.id, serial: seal.serial, certDer, leafPem };
  };

  /** An openssl-made OCSP request for `leafPem` (CertID hash `digest`), answered by the registry. */
  const ask = async (leafPem: string, digest = '-sha1', extra: string[] = []): Promise<{ resp: Uint8Array; respFile: string }> => {
    const reqFile = join(dir, 'req.der');
    const respFile = join(dir, 'resp.der');
    execFileSync('openssl', ['ocsp', digest, '-issuer', caPem, '-cert', leafPem, ...extra, '-reqout', reqFile]);
    const resp = await reg.respondOcsp(new Uint8Array(readFileSync(reqFile)));
    writeFileSync(respFile, resp);
    return { resp, respFile };
  };

  const respText = (respFile: string): string => execFileSync('openssl', ['ocsp', '-respin', respFile, '-resp_text', '-noverify'], { encoding: 'utf8' });

  /** openssl pkeyutl over tbsResponseData with the SM2 CA key and the default distinguishing ID. */
  const opensslSm2Verify = (tbs: Uint8Array, signature: Uint8Array): string => {
    writeFileSync(join(dir, 'tbs.der'), tbs);
    writeFileSync(join(dir, 'sig.der'), signature);
    const r = spawnSync(
      'openssl',
      ['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-pubin', '-inkey', caPub, '-in', join(dir, 'tbs.der'), '-sigfile', join(dir, 'sig.der')],
      { encoding: 'utf8' },
    );
    return `${r.stdout}${r.stderr}`;
  };

  beforeAll(async () => {
    pki = await createSm2TestPki();
    reg = await openDevRegistry(join(dir, 'reg.db'), { sm2: { ca: { signer: pki.root }, sealMaker: { signer: pki.maker } } });
    const admin = (await reg.bootstrapAdmin('admin')).account;
    agencyId = reg.createAgency(admin, '测试市人民政府').id;
    officer = (await reg.createAccount(admin, { name: 'officer', role: 'officer', agencyId })).account;
    operator = (await reg.createAccount(officer, { name: 'operator', role: 'operator', agencyId })).account;
    writeFileSync(caPem, sm2CertificateToPem(pki.rootCert));
    execFileSync('openssl', ['x509', '-in', caPem, '-pubkey', '-noout', '-out', caPub]);
  });
  afterAll(async () => reg?.close());

  it('a new SM2 seal certificate names the OCSP responder (AIA) next to its CRL', async () => {
    const { certDer, leafPem } = await issue('AIA seal');
    const aia = new x509.X509Certificate(Uint8Array.from(certDer)).getExtension(x509.AuthorityInfoAccessExtension);
    expect(aia?.ocsp.map((g) => g.value)).toEqual(['http://127.0.0.1:8080/v1/ocsp']);
    expect(parseCertificate(certDer).ocspUrls).toEqual(['http://127.0.0.1:8080/v1/ocsp']);
    const text = execFileSync('openssl', ['x509', '-in', leafPem, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('Authority Information Access');
    expect(text).toContain('OCSP - URI:http://127.0.0.1:8080/v1/ocsp');
    expect(text).toContain('URI:http://127.0.0.1:8080/v1/crl/sm2-ca');
  });

  it('answers good, then revoked with reason and time, signed SM2-with-SM3 by the SM2 CA (openssl, core)', async () => {
    const seal = await issue('OCSP seal');
    const sealSigner = await reg.getSealSigner(operator, seal.sealId);
    const pdf = await signPdf(minimalPdf(), sealSigner, { signingTime: new Date() });
    // a GB/T 38540 SES_Signature with the seal (the OFD/SES verifiers take OCSP responses too)
    const data = new TextEncoder().encode('signed document');
    const ses = await signSes({ seal: reg.getSesSeal(seal.sealId, officer)!, signer: sealSigner, data, propertyInfo: 'test', time: new Date() });

    const good = await ask(seal.leafPem);
    const goodText = respText(good.respFile);
    expect(goodText).toContain('OCSP Response Status: successful (0x0)');
    expect(goodText).toContain('Cert Status: good');
    expect(goodText).toContain(`Serial Number: ${seal.serial.toUpperCase()}`);
    expect(goodText).toContain('Signature Algorithm: SM2-with-SM3');
    expect(goodText).toContain('OCSP Nonce');
    const parts = basicParts(good.resp);
    expect(parts.sigOid).toBe('1.2.156.10197.1.501');
    expect(parts.hasCerts).toBe(false); // the CA answers for itself: the client has its certificate
    // the SM2 signature over tbsResponseData: openssl and core; one flipped TBS byte fails both
    expect(opensslSm2Verify(parts.tbs, parts.signature)).toContain('Signature Verified Successfully');
    const caPoint = parseSm2Certificate(pki.rootCert).sm2PublicKey!;
    expect(sm2Verify(parts.tbs, parts.signature, caPoint)).toBe(true);
    const badTbs = Uint8Array.from(parts.tbs);
    badTbs[badTbs.length - 1] = badTbs[badTbs.length - 1]! ^ 1;
    expect(opensslSm2Verify(badTbs, parts.signature)).not.toContain('Signature Verified Successfully');
    expect(sm2Verify(badTbs, parts.signature, caPoint)).toBe(false);
    // another SM2 key does not verify it (the signer really is the SM2 CA)
    expect(sm2Verify(parts.tbs, parts.signature, parseSm2Certificate(pki.makerCert).sm2PublicKey!)).toBe(false);

    // core's OCSP checker (responder = the issuer, SM2 signature) and verifyPdf from OCSP alone
    const cert = parseCertificate(seal.certDer);
    const root = parseCertificate(pki.rootCert);
    expect(checkOcsp(parseOcspResponse(good.resp)!, cert, root, new Date())).toMatchObject({ status: 'good' });
    const ok = (await verifyPdf(pdf, { trustAnchors: [pki.rootCert], ocsps: [good.resp] })).signatures[0]!;
    expect(ok.revocation).toMatchObject({ status: 'good', source: 'ocsp' });
    expect(ok.indication).toBe('TOTAL_PASSED');
    const sesOk = verifySesSignature(ses, { trustAnchors: [pki.rootCert], data, ocsps: [good.resp] }).signatures[0]!;
    expect(sesOk.revocation).toMatchObject({ status: 'good', source: 'ocsp' });
    expect(sesOk.indication).toBe('TOTAL_PASSED');
    expect(verifySesSignature(ses, { trustAnchors: [pki.rootCert], data }).signatures[0]!.revocation.status).toBe('unknown');

    // OCSP times have whole seconds: revoke in a later second than the PDF's signing time
    await new Promise((r) => setTimeout(r, 1100));
    await reg.revokeSeal(officer, seal.sealId, { reason: 'keyCompromise' });
    const revokedAt = reg.lookupSealBySerial(seal.serial, 'sm2-ca')!.revocation!.revokedAt;
    for (const digest of ['-sha1', '-sha256', '-sm3']) {
      const revoked = await ask(seal.leafPem, digest);
      const text = respText(revoked.respFile);
      expect(text).toContain('Cert Status: revoked');
      expect(text).toContain('Revocation Reason: keyCompromise (0x1)');
      expect(text).toContain(`Hash Algorithm: ${digest.slice(1)}`);
      const p = basicParts(revoked.resp);
      expect(opensslSm2Verify(p.tbs, p.signature)).toContain('Signature Verified Successfully');
      expect(checkOcsp(parseOcspResponse(revoked.resp)!, cert, root, new Date())).toMatchObject({
        status: 'revoked',
        reason: 'keyCompromise',
        revokedAt: new Date(Math.floor(Date.parse(revokedAt) / 1000) * 1000), // GeneralizedTime in whole seconds
      });
    }
    const revoked = await ask(seal.leafPem);
    const v = (await verifyPdf(pdf, { trustAnchors: [pki.rootCert], ocsps: [revoked.resp] })).signatures[0]!;
    expect(v.revocation).toMatchObject({ status: 'revoked', reason: 'keyCompromise', source: 'ocsp' });
    expect(v.indication).toBe('INDETERMINATE');
    expect(v.subIndication).toBe('REVOKED_NO_POE');
    const sesRevoked = verifySesSignature(ses, { trustAnchors: [pki.rootCert], data, ocsps: [revoked.resp] }).signatures[0]!;
    expect(sesRevoked.revocation).toMatchObject({ status: 'revoked', reason: 'keyCompromise', source: 'ocsp' });
    expect(sesRevoked.indication).toBe('INDETERMINATE');
    expect(sesRevoked.subIndication).toBe('REVOKED_NO_POE');
    // the earlier good response no longer outweighs the revoked one; revoked from either source wins
    const both = verifySesSignature(ses, { trustAnchors: [pki.rootCert], data, ocsps: [good.resp, revoked.resp] }).signatures[0]!;
    expect(both.revocation.status).toBe('revoked');

    // a response whose signed reason was changed (keyCompromise -> affiliationChanged) is not used by core
    const forged = Uint8Array.from(revoked.resp);
    const at = Buffer.from(forged).indexOf(Buffer.from('a0030a0101', 'hex'));
    expect(at).toBeGreaterThan(0);
    forged[at + 4] = 3;
    expect(checkOcsp(parseOcspResponse(forged)!, cert, root, new Date())).toBeNull();
    const forgedPdf = (await verifyPdf(pdf, { trustAnchors: [pki.rootCert], ocsps: [forged] })).signatures[0]!;
    expect(forgedPdf.revocation?.status ?? 'unknown').toBe('unknown');
    expect(verifySesSignature(ses, { trustAnchors: [pki.rootCert], data, ocsps: [forged] }).signatures[0]!.revocation.status).toBe('unknown');
  });

  it('SM2 certificates the registry never issued are unknown; a request naming both CAs is answered by the delegated responder, SM2 CertID unknown', async () => {
    writeFileSync(join(dir, 'holder.pem'), sm2CertificateToPem(pki.holderCert));
    const u = await ask(join(dir, 'holder.pem'));
    expect(respText(u.respFile)).toContain('Cert Status: unknown');
    expect(basicParts(u.resp).sigOid).toBe('1.2.156.10197.1.501');

    const seal = await issue('Mixed request seal');
    const reqFile = join(dir, 'mixed.der');
    execFileSync('openssl', ['ocsp', '-issuer', certsDev('seal-ca.pem'), '-cert', certsDev('agency-a-ec.pem'), '-issuer', caPem, '-cert', seal.leafPem, '-reqout', reqFile]);
    const respFile = join(dir, 'mixed-resp.der');
    const resp = await reg.respondOcsp(new Uint8Array(readFileSync(reqFile)));
    writeFileSync(respFile, resp);
    const text = respText(respFile);
    expect(text.match(/Cert Status: unknown/g)).toHaveLength(2);
    expect(basicParts(resp).sigOid).not.toBe('1.2.156.10197.1.501');
    expect(basicParts(resp).hasCerts).toBe(true);
    // the same SM2 certificate alone: good
    expect(respText((await ask(seal.leafPem)).respFile)).toContain('Cert Status: good');
  });
});
