import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createVerify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SealError } from '@seal/core';
import type { Registry } from './registry.js';
import type { Account } from './types.js';
import { certsDev, openDevRegistry, tempDir } from './testing/fixtures.js';

const code = async (p: Promise<unknown> | (() => unknown)): Promise<string> => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e instanceof SealError ? e.code : `not a SealError: ${String(e)}`;
  }
  return 'no error';
};

describe('registry lifecycle and authorisation', () => {
  const t = tempDir();
  let reg: Registry;
  let admin: Account;
  let officerA: Account;
  let officerA2: Account;
  let operatorA: Account;
  let auditor: Account;
  let officerB: Account;
  let agencyA: string;
  let agencyB: string;

  beforeAll(async () => {
    reg = await openDevRegistry(join(t.dir, 'r.db'));
    admin = (await reg.bootstrapAdmin('root admin')).account;
    agencyA = reg.createAgency(admin, 'Agency A').id;
    agencyB = reg.createAgency(admin, 'Agency B').id;
    officerA = (await reg.createAccount(admin, { name: 'officer a', role: 'officer', agencyId: agencyA })).account;
    officerA2 = (await reg.createAccount(admin, { name: 'officer a2', role: 'officer', agencyId: agencyA })).account;
    operatorA = (await reg.createAccount(officerA, { name: 'operator a', role: 'operator', agencyId: agencyA })).account;
    auditor = (await reg.createAccount(admin, { name: 'auditor', role: 'auditor', agencyId: null })).account;
    officerB = (await reg.createAccount(admin, { name: 'officer b', role: 'officer', agencyId: agencyB })).account;
  });
  afterAll(async () => {
    await reg.close();
    t.cleanup();
  });

  it('bootstraps exactly one admin and authenticates API keys', async () => {
    expect(await code(reg.bootstrapAdmin('second'))).toBe('ERR_CONFLICT');
    const created = await reg.createAccount(admin, { name: 'op2', role: 'operator', agencyId: agencyA });
    expect(created.apiKey).toMatch(/^seal_[0-9a-f]{16}_/);
    expect((await reg.authenticate(created.apiKey)).id).toBe(created.account.id);
    const tampered = created.apiKey.slice(0, -1) + (created.apiKey.endsWith('A') ? 'B' : 'A');
    expect(await code(reg.authenticate(tampered))).toBe('ERR_UNAUTHENTICATED');
    expect(await code(reg.authenticate('nonsense'))).toBe('ERR_UNAUTHENTICATED');
    // only the scrypt hash is stored
    const row = reg.store.db.prepare('SELECT * FROM accounts WHERE id = ?').get(created.account.id) as Record<string, unknown>;
    expect(JSON.stringify(row)).not.toContain(created.apiKey.split('_')[2]);
    reg.disableAccount(admin, created.account.id);
    expect(await code(reg.authenticate(created.apiKey))).toBe('ERR_UNAUTHENTICATED');
  });

  it('enforces the authorisation matrix on account creation and agencies', async () => {
    expect(await code(() => reg.createAgency(officerA, 'X'))).toBe('ERR_FORBIDDEN');
    expect(await code(reg.createAccount(officerA, { name: 'x', role: 'officer', agencyId: agencyA }))).toBe('ERR_FORBIDDEN');
    expect(await code(reg.createAccount(officerA, { name: 'x', role: 'operator', agencyId: agencyB }))).toBe('ERR_FORBIDDEN');
    expect(await code(reg.createAccount(operatorA, { name: 'x', role: 'operator', agencyId: agencyA }))).toBe('ERR_FORBIDDEN');
    expect(await code(reg.createAccount(auditor, { name: 'x', role: 'operator', agencyId: agencyA }))).toBe('ERR_FORBIDDEN');
    expect(reg.listAgencies(officerA).map((a) => a.id)).toEqual([agencyA]);
    expect(reg.listAgencies(auditor)).toHaveLength(2);
  });

  it('walks request → approve → issue → suspend → reinstate → revoke with dual control', async () => {
    const req = reg.requestSeal(operatorA, { agencyId: agencyA, kind: 'official', name: 'Agency A official seal', algorithm: 'EC-P256', picture: new Uint8Array([1, 2, 3]) });
    expect(req.state).toBe('pending');
    // issue before approval is an illegal transition
    expect(await code(reg.issueSeal(officerA, req.id))).toBe('ERR_SEAL_STATE');
    // other agency's officer and operators/auditors may not approve
    expect(await code(() => reg.approveRequest(officerB, req.id))).toBe('ERR_FORBIDDEN');
    expect(await code(() => reg.approveRequest(operatorA, req.id))).toBe('ERR_FORBIDDEN');
    expect(await code(() => reg.approveRequest(auditor, req.id))).toBe('ERR_FORBIDDEN');
    expect(reg.approveRequest(officerA, req.id).state).toBe('approved');
    expect(await code(() => reg.approveRequest(officerA2, req.id))).toBe('ERR_SEAL_STATE');

    // the requester never approves their own request
    const own = reg.requestSeal(officerA, { agencyId: agencyA, kind: 'contract', name: 'own', algorithm: 'RSA-2048' });
    expect(await code(() => reg.approveRequest(officerA, own.id))).toBe('ERR_FORBIDDEN');
    expect(reg.rejectRequest(officerA2, own.id, 'no').state).toBe('rejected');
    expect(await code(reg.issueSeal(officerA, own.id))).toBe('ERR_SEAL_STATE');

    expect(await code(reg.issueSeal(operatorA, req.id))).toBe('ERR_FORBIDDEN');
    const seal = await reg.issueSeal(officerA2, req.id);
    expect(seal.state).toBe('active');
    expect(await code(reg.issueSeal(officerA2, req.id))).toBe('ERR_SEAL_STATE');

    // the certificate: issued by the seal CA, key usage, URLs, serial
    const cert = new x509.X509Certificate(seal.certificateChainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0] as string);
    const ca = new x509.X509Certificate(reg.caCertificatePem);
    expect(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true })).toBe(true);
    expect(cert.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(seal.serial.replace(/^0+/, ''));
    const ku = cert.getExtension(x509.KeyUsagesExtension);
    expect(ku?.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation);
    expect(cert.notAfter.getTime()).toBeLessThanOrEqual(ca.notAfter.getTime());
    const pemFile = join(t.dir, 'seal.pem');
    writeFileSync(pemFile, seal.certificateChainPem);
    const text = execFileSync('openssl', ['x509', '-in', pemFile, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('URI:http://127.0.0.1:8080/v1/crl/seal-ca');
    expect(text).toContain('OCSP - URI:http://127.0.0.1:8080/v1/ocsp');
    expect(text).toMatch(/Digital Signature, Non Repudiation/);
    // OpenSSL builds the path seal → seal CA → root
    const out = execFileSync('openssl', ['verify', '-CAfile', certsDev('root-ca.pem'), '-untrusted', certsDev('seal-ca.pem'), pemFile], { encoding: 'utf8' });
    expect(out.trim()).toMatch(/: OK$/);

    // using the seal: operators only, and the key signs what the certificate certifies
    expect(await code(reg.getSealSigner(officerA, seal.id))).toBe('ERR_FORBIDDEN');
    const signer = await reg.getSealSigner(operatorA, seal.id);
    const tbs = new TextEncoder().encode('to be signed');
    const sig = await signer.sign(tbs, { scheme: 'ECDSA', hash: 'SHA-256' });
    expect(createVerify('sha256').update(tbs).verify(cert.publicKey.toString('pem'), sig)).toBe(true);

    // suspend / reinstate / revoke
    expect(await code(reg.suspendSeal(operatorA, seal.id))).toBe('ERR_FORBIDDEN');
    expect(await code(reg.suspendSeal(officerB, seal.id))).toBe('ERR_FORBIDDEN');
    expect((await reg.suspendSeal(officerA, seal.id)).state).toBe('suspended');
    expect(reg.lookupSealBySerial(seal.serial)?.revocation?.reason).toBe('certificateHold');
    expect(await code(reg.getSealSigner(operatorA, seal.id))).toBe('ERR_SEAL_STATE');
    expect(await code(reg.suspendSeal(officerA, seal.id))).toBe('ERR_SEAL_STATE');
    expect((await reg.reinstateSeal(officerA, seal.id)).state).toBe('active');
    expect(reg.lookupSealBySerial(seal.serial.toUpperCase())?.revocation).toBeNull();
    expect(await code(reg.revokeSeal(officerA, seal.id, { reason: 'certificateHold' }))).toBe('ERR_INPUT_INVALID');
    const inv = new Date(Date.now() - 3_600_000);
    const revoked = await reg.revokeSeal(officerA2, seal.id, { reason: 'keyCompromise', invalidityDate: inv });
    expect(revoked.state).toBe('revoked');
    expect(revoked.revocation?.reason).toBe('keyCompromise');
    expect(await code(reg.reinstateSeal(officerA, seal.id))).toBe('ERR_SEAL_STATE');
    expect(await code(reg.revokeSeal(officerA, seal.id, { reason: 'superseded' }))).toBe('ERR_SEAL_STATE');
    expect(await code(reg.getSealSigner(operatorA, seal.id))).toBe('ERR_SEAL_STATE');

    // history records who and when
    const history = reg.sealHistory(seal.id, auditor);
    expect(history.map((e) => [e.action, e.actorId])).toEqual([
      ['requested', operatorA.id],
      ['approved', officerA.id],
      ['issued', officerA2.id],
      ['suspended', officerA.id],
      ['reinstated', officerA.id],
      ['revoked', officerA2.id],
    ]);
    expect(history.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
    expect(await code(() => reg.sealHistory(seal.id, officerB))).toBe('ERR_FORBIDDEN');
    expect(reg.lookupSealBySerial('ffff')).toBeNull();
  });

  it('expires seals past their validity', async () => {
    let now = Date.now();
    const t2 = tempDir();
    const r2 = await openDevRegistry(join(t2.dir, 'e.db'), { clock: () => new Date(now) });
    try {
      const ad = (await r2.bootstrapAdmin('a')).account;
      const ag = r2.createAgency(ad, 'A').id;
      const op = (await r2.createAccount(ad, { name: 'op', role: 'operator', agencyId: ag })).account;
      const req = r2.requestSeal(op, { agencyId: ag, kind: 'invoice', name: 'short', algorithm: 'EC-P384', validityDays: 1 });
      r2.approveRequest(ad, req.id);
      const seal = await r2.issueSeal(ad, req.id);
      now += 2 * 86_400_000;
      expect(r2.lookupSealBySerial(seal.serial)?.state).toBe('expired');
      expect(await code(r2.getSealSigner(op, seal.id))).toBe('ERR_SEAL_STATE');
      expect(r2.expireSeals()).toEqual([seal.id]);
      expect(r2.getSeal(seal.id).state).toBe('expired');
      expect(await code(r2.revokeSeal(ad, seal.id, { reason: 'superseded' }))).toBe('ERR_SEAL_STATE');
      expect(r2.sealHistory(seal.id).at(-1)?.action).toBe('expired');
    } finally {
      await r2.close();
      t2.cleanup();
    }
  });

  it('refuses a wrong master secret and keeps keys encrypted at rest', async () => {
    const t3 = tempDir();
    try {
      const file = join(t3.dir, 'k.db');
      const r3 = await openDevRegistry(file);
      const ad = (await r3.bootstrapAdmin('a')).account;
      const ag = r3.createAgency(ad, 'A').id;
      const req = r3.requestSeal(ad, { agencyId: ag, kind: 'finance', name: 'f', algorithm: 'EC-P256' });
      const off = (await r3.createAccount(ad, { name: 'o', role: 'officer', agencyId: ag })).account;
      r3.approveRequest(off, req.id);
      const seal = await r3.issueSeal(off, req.id);
      const op = (await r3.createAccount(ad, { name: 'op', role: 'operator', agencyId: ag })).account;
      const signer = await r3.getSealSigner(op, seal.id);
      expect((await signer.sign(new Uint8Array([1]), { scheme: 'ECDSA', hash: 'SHA-256' }))[0]).toBe(0x30);
      await r3.close();
      // no PKCS#8 private key in clear anywhere in the file
      const { readFileSync } = await import('node:fs');
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
      // version 0 + id-ecPublicKey + P-256: the head of a clear PKCS#8 EC key
      expect(bytes.includes(Buffer.from('020100301306072a8648ce3d020106082a8648ce3d030107', 'hex'))).toBe(false);
      expect(bytes.includes(Buffer.from('301306072a8648ce3d020106082a8648ce3d030107', 'hex'))).toBe(true); // (public keys are there)
      expect(await code(openDevRegistry(file, { masterSecret: 'another-master-secret-123' }))).toBe('ERR_KEY_UNAVAILABLE');
      const again = await openDevRegistry(file);
      const msg = new Uint8Array([7, 7]);
      const sig = await (await again.getSealSigner(op, seal.id)).sign(msg, { scheme: 'ECDSA', hash: 'SHA-256' });
      const cert = new x509.X509Certificate(seal.certificateChainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0] as string);
      expect(createVerify('sha256').update(msg).verify(cert.publicKey.toString('pem'), Buffer.from(sig))).toBe(true);
      await again.close();
    } finally {
      t3.cleanup();
    }
  });
  it('backs up online while appends are in flight; the copy opens and its log verifies', async () => {
    const t4 = tempDir();
    try {
      const r4 = await openDevRegistry(join(t4.dir, 'live.db'));
      const h = (i: number): string => i.toString(16).padStart(64, '0');
      const pending = Array.from({ length: 300 }, (_, i) => r4.appendUsage({ sealId: 's', agencyId: 'a', accountId: 'b', documentKind: 'pdf', documentSha256: h(i), signatureSha256: h(i) }));
      const copy = join(t4.dir, 'copy.db');
      await r4.backup(copy);
      await Promise.all(pending);
      const more = await r4.appendUsage({ sealId: 's', agencyId: 'a', accountId: 'b', documentKind: 'pdf', documentSha256: h(1), signatureSha256: h(2) });
      expect(more.index).toBe(300);
      await r4.close();
      const restored = await openDevRegistry(copy);
      const v = restored.verifyLog();
      expect(v.ok).toBe(true);
      expect(v.entries).toBe(300);
      await restored.close();
    } finally {
      t4.cleanup();
    }
  });

  it('regenerates the CRL on a schedule with increasing numbers', async () => {
    const before = (await reg.currentCrl()).crlNumber;
    const stop = reg.startCrlSchedule(40);
    const deadline = Date.now() + 10_000;
    while (reg.store.latestCrl(reg.caId)!.crlNumber < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop();
    const after = reg.store.latestCrl(reg.caId)!.crlNumber;
    expect(after).toBeGreaterThanOrEqual(before + 2);
    // stopped: no more CRLs
    await new Promise((r) => setTimeout(r, 150));
    expect(reg.store.latestCrl(reg.caId)!.crlNumber).toBeLessThanOrEqual(after + 1);
  });
  it('refuses to open with a wrong CA or OCSP identity (fail closed)', async () => {
    const t5 = tempDir();
    try {
      const f = join(t5.dir, 'x.db');
      const pem = (n: string): string => readFileSync(certsDev(n), 'utf8');
      // a seal (end-entity) certificate as CA
      expect(await code(openDevRegistry(f, { issuingCa: { certPem: pem('agency-a-ec.pem'), keyPem: pem('agency-a-ec.key.pem') } }))).toBe('ERR_CERT_INVALID');
      // the TSA as OCSP responder: no EKU OCSPSigning
      expect(await code(openDevRegistry(f, { ocspResponder: { certPem: pem('tsa.pem'), keyPem: pem('tsa.key.pem') } }))).toBe('ERR_CERT_INVALID');
      // the CA certificate with another key
      expect(await code(openDevRegistry(f, { issuingCa: { certPem: pem('seal-ca.pem'), keyPem: pem('ocsp.key.pem') } }))).toBe('ERR_KEY_MISMATCH');
      // a responder certificate with another key
      expect(await code(openDevRegistry(f, { ocspResponder: { certPem: pem('ocsp.pem'), keyPem: pem('agency-b-ec.key.pem') } }))).toBe('ERR_KEY_MISMATCH');
    } finally {
      t5.cleanup();
    }
  });
});
