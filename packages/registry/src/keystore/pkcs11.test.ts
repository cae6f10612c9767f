/** The PKCS#11 key store against a real SoftHSM2 token; signatures judged by openssl. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SealError } from '@seal/core';
import { tempDir, openDevRegistry } from '../testing/fixtures.js';
import { Pkcs11KeyStore } from './pkcs11.js';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '246810';

describe('PKCS#11 key store on SoftHSM2', () => {
  const t = tempDir('seal-p11-');
  let store: Pkcs11KeyStore;
  const opts = { module: MODULE, tokenLabel: 'seal-test', pin: PIN };

  beforeAll(() => {
    if (!existsSync(MODULE)) throw new Error(`SoftHSM2 is missing (${MODULE}): apt-get install softhsm2`);
    mkdirSync(join(t.dir, 'tokens'));
    writeFileSync(join(t.dir, 'softhsm2.conf'), `directories.tokendir = ${join(t.dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env['SOFTHSM2_CONF'] = join(t.dir, 'softhsm2.conf');
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'seal-test', '--pin', PIN, '--so-pin', '13579111'], { env: process.env, stdio: 'pipe' });
    store = new Pkcs11KeyStore(opts);
  });
  afterAll(async () => {
    await store?.close();
    t.cleanup();
  });

  const verifyWithOpenssl = (pubPem: string, data: Uint8Array, sig: Uint8Array, extra: string[] = []): string => {
    writeFileSync(join(t.dir, 'pub.pem'), pubPem);
    writeFileSync(join(t.dir, 'data.bin'), data);
    writeFileSync(join(t.dir, 'sig.bin'), sig);
    const r = spawnSync('openssl', ['dgst', '-sha256', ...extra, '-verify', join(t.dir, 'pub.pem'), '-signature', join(t.dir, 'sig.bin'), join(t.dir, 'data.bin')], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`.trim();
  };

  it('generates non-extractable EC and RSA keys in the token whose signatures openssl verifies', async () => {
    const data = new TextEncoder().encode('signed attributes stand-in');
    for (const [algorithm, scheme, extra] of [
      ['EC-P256', 'ECDSA', []],
      ['RSA-2048', 'RSA-PKCS1', []],
      ['RSA-2048', 'RSA-PSS', ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']],
    ] as const) {
      const key = await store.generateKey(algorithm);
      expect(key.keyRef).toMatch(/^p11:[0-9a-f]{32}$/);
      expect(store.isKeyProtected(key.keyRef)).toBe(true);
      const signer = await store.signer(key.keyRef, []);
      const sig = await signer.sign(data, { scheme, hash: 'SHA-256' });
      if (scheme === 'ECDSA') expect(sig[0]).toBe(0x30); // DER, not raw r||s
      const pem = key.publicKey.export({ format: 'pem', type: 'spki' }) as string;
      expect(verifyWithOpenssl(pem, data, sig, [...extra])).toBe('Verified OK');
      const tampered = Uint8Array.from(data);
      tampered[0] = (tampered[0] as number) ^ 1;
      expect(verifyWithOpenssl(pem, tampered, sig, [...extra])).toMatch(/Verification failure/);
      await expect(signer.sign(data, { scheme: scheme === 'ECDSA' ? 'RSA-PKCS1' : 'ECDSA', hash: 'SHA-256' })).rejects.toMatchObject({ code: 'ERR_ALG_UNSUPPORTED' });
    }
  });

  it('issues a registry seal whose key lives in the token and signs as its certificate says', async () => {
    const db = join(t.dir, 'r.db');
    const reg = await openDevRegistry(db, { keyStore: new Pkcs11KeyStore(opts) });
    try {
      const admin = (await reg.bootstrapAdmin('admin')).account;
      const ag = reg.createAgency(admin, 'Agency').id;
      const off = (await reg.createAccount(admin, { name: 'o', role: 'officer', agencyId: ag })).account;
      const op = (await reg.createAccount(admin, { name: 'p', role: 'operator', agencyId: ag })).account;
      const req = reg.requestSeal(op, { agencyId: ag, kind: 'official', name: 'HSM seal', algorithm: 'EC-P384' });
      reg.approveRequest(off, req.id);
      const seal = await reg.issueSeal(off, req.id);
      expect(seal.keyRef).toMatch(/^p11:/);
      // nothing of the key in the registry's own key table
      expect(reg.store.getKey(seal.keyRef)).toBeNull();
      const signer = await reg.getSealSigner(op, seal.id);
      expect(signer.curve).toBe('P-384');
      const data = new TextEncoder().encode('document digest stand-in');
      const sig = await signer.sign(data, { scheme: 'ECDSA', hash: 'SHA-384' });
      const certFile = join(t.dir, 'seal.pem');
      writeFileSync(certFile, seal.certificateChainPem);
      const pub = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-pubkey'], { encoding: 'utf8' });
      writeFileSync(join(t.dir, 'pub.pem'), pub);
      writeFileSync(join(t.dir, 'data.bin'), data);
      writeFileSync(join(t.dir, 'sig.bin'), sig);
      const r = spawnSync('openssl', ['dgst', '-sha384', '-verify', join(t.dir, 'pub.pem'), '-signature', join(t.dir, 'sig.bin'), join(t.dir, 'data.bin')], { encoding: 'utf8' });
      expect(r.stdout.trim()).toBe('Verified OK');
    } finally {
      await reg.close();
    }
  });

  it('fails closed: wrong PIN, unknown token, unknown key reference', async () => {
    try {
      new Pkcs11KeyStore({ ...opts, pin: '000000' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SealError);
      expect((e as SealError).code).toBe('ERR_KEY_PASSWORD');
    }
    try {
      new Pkcs11KeyStore({ ...opts, tokenLabel: 'no-such-token' });
      expect.unreachable();
    } catch (e) {
      expect((e as SealError).code).toBe('ERR_KEY_UNAVAILABLE');
    }
    await expect(store.signer('p11:00000000000000000000000000000000', [])).rejects.toMatchObject({ code: 'ERR_KEY_UNAVAILABLE' });
    await expect(store.signer('sw:whatever', [])).rejects.toMatchObject({ code: 'ERR_KEY_UNAVAILABLE' });
  });
});
