import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSes } from './ses-create.js';
import { verifySesSignature } from './ses-verify.js';
import { certificateToPem, parseCertificate } from './sm2-cert.js';
import { checkCrlRevocation, issueSm2Crl, parseCrl } from './sm2-crl.js';
import { createSm2TestPki, createTestSesSeal, type Sm2TestPki } from './sm2-test-pki.js';

const dir = mkdtempSync(join(tmpdir(), 'sm2-crl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SM2 CRLs', () => {
  let pki: Sm2TestPki;
  let other: Sm2TestPki;
  let crl: Uint8Array;
  const signedAt = new Date('2025-06-01T00:00:00Z');
  const at = new Date('2025-12-01T00:00:00Z');
  beforeAll(async () => {
    pki = await createSm2TestPki();
    other = await createSm2TestPki();
    crl = await issueSm2Crl({
      issuer: pki.root,
      thisUpdate: new Date('2025-11-01T00:00:00Z'),
      nextUpdate: new Date('2026-11-01T00:00:00Z'),
      revoked: [{ serialNumber: parseCertificate(pki.holderCert).serialNumber, revocationDate: new Date('2025-03-01T00:00:00Z'), reason: 'keyCompromise' }],
      crlNumber: 7,
    });
  });

  it('openssl reads our CRL (issuer, serial, reason) and its SM2 signature verifies over the TBS', () => {
    writeFileSync(join(dir, 'crl.der'), crl);
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('Test SM2 Root CA');
    expect(text.replace(/:/g, '').toLowerCase()).toContain(parseCertificate(pki.holderCert).serialNumber.replace(/^0+/, ''));
    expect(text).toContain('Key Compromise');
    expect(text).toContain('SM2-with-SM3');
    const p = parseCrl(crl);
    writeFileSync(join(dir, 'tbs.der'), p.tbs);
    writeFileSync(join(dir, 'sig.der'), p.signature);
    writeFileSync(join(dir, 'root.pem'), certificateToPem(pki.rootCert));
    execFileSync('openssl', ['x509', '-in', join(dir, 'root.pem'), '-pubkey', '-noout', '-out', join(dir, 'root.pub')]);
    const v = spawnSync('openssl', ['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-inkey', join(dir, 'root.pub'), '-pkeyopt', 'distid:1234567812345678', '-in', join(dir, 'tbs.der'), '-sigfile', join(dir, 'sig.der')], { encoding: 'utf8' });
    expect(v.stdout).toContain('Signature Verified Successfully');
  });

  it('looks certificates up: revoked, good, and unknown for a foreign, stale or missing CRL', () => {
    const root = parseCertificate(pki.rootCert);
    const holder = parseCertificate(pki.holderCert);
    const maker = parseCertificate(pki.makerCert);
    const r = checkCrlRevocation(holder, root, [crl], at);
    expect(r).toMatchObject({ status: 'revoked', reason: 'keyCompromise', revokedAt: '2025-03-01T00:00:00.000Z' });
    expect(checkCrlRevocation(maker, root, [crl], at).status).toBe('good');
    expect(checkCrlRevocation(maker, parseCertificate(other.rootCert), [crl], at).status).toBe('unknown');
    expect(checkCrlRevocation(maker, root, [crl], new Date('2027-01-01')).status).toBe('unknown');
    expect(checkCrlRevocation(maker, root, [], at).status).toBe('unknown');
    const bad = Uint8Array.from(crl);
    bad[bad.length - 5]! ^= 1;
    expect(checkCrlRevocation(maker, root, [bad], at).status).toBe('unknown');
  });

  it('SES signatures: revoked before signing fails, after signing is INDETERMINATE, not revoked passes with status good', async () => {
    const seal = await createTestSesSeal(pki, { esId: 'CRL', name: 'crl seal', validEnd: new Date('2026-06-01T00:00:00Z') });
    const data = Uint8Array.of(5);
    const sig = await signSes({ seal, signer: pki.holder, data, propertyInfo: 'p', time: signedAt });
    const before = verifySesSignature(sig, { trustAnchors: [pki.rootCert], at, data, crls: [crl] });
    expect(before.indication).toBe('TOTAL_FAILED');
    expect(before.signatures[0]!.subIndication).toBe('REVOKED');
    expect(before.signatures[0]!.revocation.status).toBe('revoked');
    const later = await issueSm2Crl({
      issuer: pki.root,
      thisUpdate: new Date('2025-11-01T00:00:00Z'),
      nextUpdate: new Date('2026-11-01T00:00:00Z'),
      revoked: [{ serialNumber: parseCertificate(pki.holderCert).serialNumber, revocationDate: new Date('2025-09-01T00:00:00Z') }],
    });
    const after = verifySesSignature(sig, { trustAnchors: [pki.rootCert], at, data, crls: [later] });
    expect(after.indication).toBe('INDETERMINATE');
    expect(after.signatures[0]!.subIndication).toBe('REVOKED_NO_POE');
    const empty = await issueSm2Crl({ issuer: pki.root, thisUpdate: new Date('2025-11-01T00:00:00Z'), nextUpdate: new Date('2026-11-01T00:00:00Z'), revoked: [] });
    const good = verifySesSignature(sig, { trustAnchors: [pki.rootCert], at, data, crls: [empty] });
    expect(good.indication).toBe('TOTAL_PASSED');
    expect(good.signatures[0]!.revocation).toMatchObject({ status: 'good', source: 'crl' });
  });

  it('malformed CRLs are typed errors', () => {
    expect(() => parseCrl(Uint8Array.of(0x30, 0x00))).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });
});
