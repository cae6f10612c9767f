/** CRLs and OCSP responses of the registry, judged by OpenSSL. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from './registry.js';
import type { SealRecord } from './types.js';
import { certsDev, openDevRegistry, tempDir } from './testing/fixtures.js';

function openssl(args: string[]): { code: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('CRL and OCSP checked by OpenSSL', () => {
  const t = tempDir();
  let reg: Registry;
  const seals: SealRecord[] = [];
  const pem = (i: number): string => {
    const f = join(t.dir, `seal${i}.pem`);
    writeFileSync(f, (seals[i] as SealRecord).certificateChainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0] as string);
    return f;
  };
  const invalidity = new Date('2025-06-01T12:00:00Z');

  beforeAll(async () => {
    reg = await openDevRegistry(join(t.dir, 'r.db'));
    const admin = (await reg.bootstrapAdmin('admin')).account;
    const ag = reg.createAgency(admin, 'Agency').id;
    const officer = (await reg.createAccount(admin, { name: 'officer', role: 'officer', agencyId: ag })).account;
    for (const algorithm of ['EC-P256', 'EC-P256', 'RSA-2048'] as const) {
      const req = reg.requestSeal(officer, { agencyId: ag, kind: 'official', name: `seal ${seals.length}`, algorithm });
      reg.approveRequest(admin, req.id);
      seals.push(await reg.issueSeal(officer, req.id));
    }
    await reg.revokeSeal(officer, (seals[0] as SealRecord).id, { reason: 'keyCompromise', invalidityDate: invalidity });
    await reg.suspendSeal(officer, (seals[1] as SealRecord).id);
  });
  afterAll(async () => {
    await reg.close();
    t.cleanup();
  });

  it('signs CRLs that openssl verifies, with reasons, invalidity date and increasing numbers', async () => {
    const first = await reg.currentCrl();
    const again = await reg.regenerateCrl();
    expect(again.crlNumber).toBe(first.crlNumber + 1);
    const file = join(t.dir, 'crl.der');
    writeFileSync(file, again.der);
    const v = openssl(['crl', '-inform', 'DER', '-in', file, '-CAfile', certsDev('chain.pem'), '-noout', '-verify']);
    expect(v.out).toMatch(/verify OK/);
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain(`X509v3 CRL Number: \n                ${again.crlNumber}`);
    const s0 = (seals[0] as SealRecord).serial.toUpperCase();
    const s1 = (seals[1] as SealRecord).serial.toUpperCase();
    expect(text).toContain(`Serial Number: ${s0}`);
    expect(text).toContain(`Serial Number: ${s1}`);
    expect(text).not.toContain(`Serial Number: ${(seals[2] as SealRecord).serial.toUpperCase()}`);
    expect(text).toContain('Key Compromise');
    expect(text).toContain('Certificate Hold');
    expect(text).toContain('Invalidity Date: \n                Jun  1 12:00:00 2025 GMT');
    expect(text).toMatch(/Next Update: /);
    // a flipped bit in the signed part makes openssl refuse it
    const bad = Buffer.from(again.der);
    const idx = bad.indexOf(Buffer.from((seals[0] as SealRecord).serial, 'hex'));
    bad[idx + 3] = (bad[idx + 3] as number) ^ 1;
    writeFileSync(file, bad);
    expect(openssl(['crl', '-inform', 'DER', '-in', file, '-CAfile', certsDev('chain.pem'), '-noout', '-verify']).out).toMatch(/verify failure/);
  });

  it('reinstating removes the hold from the next CRL', async () => {
    const t2 = tempDir();
    const r2 = await openDevRegistry(join(t2.dir, 'r.db'));
    try {
      const admin = (await r2.bootstrapAdmin('admin')).account;
      const ag = r2.createAgency(admin, 'A').id;
      const off = (await r2.createAccount(admin, { name: 'o', role: 'officer', agencyId: ag })).account;
      const req = r2.requestSeal(off, { agencyId: ag, kind: 'official', name: 's', algorithm: 'EC-P256' });
      r2.approveRequest(admin, req.id);
      const seal = await r2.issueSeal(off, req.id);
      await r2.suspendSeal(off, seal.id);
      const held = await r2.currentCrl();
      await r2.reinstateSeal(off, seal.id);
      const cleared = await r2.currentCrl();
      expect(cleared.crlNumber).toBeGreaterThan(held.crlNumber);
      const f = join(t2.dir, 'c.der');
      writeFileSync(f, held.der);
      expect(execFileSync('openssl', ['crl', '-inform', 'DER', '-in', f, '-noout', '-text'], { encoding: 'utf8' })).toContain(seal.serial.toUpperCase());
      writeFileSync(f, cleared.der);
      const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', f, '-noout', '-text'], { encoding: 'utf8' });
      expect(text).toContain('No Revoked Certificates');
    } finally {
      await r2.close();
      t2.cleanup();
    }
  });

  const ocspCheck = async (certFile: string, extra: string[] = []): Promise<string> => {
    const reqFile = join(t.dir, 'req.der');
    const respFile = join(t.dir, 'resp.der');
    execFileSync('openssl', ['ocsp', ...extra, '-issuer', certsDev('seal-ca.pem'), '-cert', certFile, '-reqout', reqFile]);
    writeFileSync(respFile, await reg.respondOcsp(readFileSync(reqFile)));
    // With -reqin alone openssl checks the signature, the responder's authority and the nonce
    // (given -cert it would build a new request with a fresh nonce instead).
    const v = openssl(['ocsp', '-respin', respFile, '-reqin', reqFile, '-CAfile', certsDev('chain.pem')]);
    expect(v.out).toContain('Response verify OK');
    expect(v.out).not.toMatch(/nonce/i);
    const r = openssl(['ocsp', '-respin', respFile, ...extra, '-issuer', certsDev('seal-ca.pem'), '-cert', certFile, '-CAfile', certsDev('chain.pem'), '-no_nonce']);
    expect(r.out).toContain('Response verify OK');
    return r.out;
  };

  it('answers OCSP good / revoked (with reason) / hold / unknown, signed by the delegated responder, nonce echoed', async () => {
    const good = await ocspCheck(pem(2));
    expect(good).toMatch(/seal2\.pem: good/);
    expect(good).not.toMatch(/WARNING/);
    const revoked = await ocspCheck(pem(0));
    expect(revoked).toMatch(/seal0\.pem: revoked/);
    expect(revoked).toMatch(/Reason: keyCompromise/);
    const held = await ocspCheck(pem(1));
    expect(held).toMatch(/seal1\.pem: revoked/);
    expect(held).toMatch(/Reason: certificateHold/);
    // a certificate of the same CA the registry never issued
    const unknown = await ocspCheck(certsDev('agency-a-ec.pem'));
    expect(unknown).toMatch(/agency-a-ec\.pem: unknown/);
    // SHA-256 CertIDs work too
    expect(await ocspCheck(pem(2), ['-sha256'])).toMatch(/good/);
  });

  it('echoes the nonce: openssl flags a response whose nonce differs', async () => {
    const reqA = join(t.dir, 'a.der');
    const reqB = join(t.dir, 'b.der');
    const resp = join(t.dir, 'r.der');
    execFileSync('openssl', ['ocsp', '-issuer', certsDev('seal-ca.pem'), '-cert', pem(2), '-reqout', reqA]);
    execFileSync('openssl', ['ocsp', '-issuer', certsDev('seal-ca.pem'), '-cert', pem(2), '-reqout', reqB]);
    writeFileSync(resp, await reg.respondOcsp(readFileSync(reqA)));
    const ok = openssl(['ocsp', '-respin', resp, '-reqin', reqA, '-CAfile', certsDev('chain.pem')]);
    expect(ok.out).toContain('Response verify OK');
    expect(ok.out).not.toMatch(/nonce/i);
    const mismatch = openssl(['ocsp', '-respin', resp, '-reqin', reqB, '-CAfile', certsDev('chain.pem')]);
    expect(mismatch.out).toMatch(/Nonce Verify error/i);
    const text = execFileSync('openssl', ['ocsp', '-respin', resp, '-resp_text', '-noverify'], { encoding: 'utf8' });
    expect(text).toMatch(/OCSP Nonce/);
    expect(text).toMatch(/Responder Id: [0-9A-F]{40}/);
  });

  it('answers garbage with malformedRequest instead of throwing', async () => {
    for (const bad of [new Uint8Array(0), new Uint8Array([0x30, 0x80, 0, 0]), new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), new Uint8Array(100_000).fill(0x30)]) {
      const resp = await reg.respondOcsp(bad);
      expect(Buffer.from(resp).toString('hex')).toBe('30030a0101');
    }
    const f = join(t.dir, 'm.der');
    writeFileSync(f, await reg.respondOcsp(new Uint8Array([1, 2, 3])));
    expect(openssl(['ocsp', '-respin', f, '-resp_text', '-noverify']).out).toMatch(/malformedrequest/i);
  });
});
