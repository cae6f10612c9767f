import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSm2KeyPair, sm2KeyPairFromPrivateKey, sm2Sign, sm2SignatureToRaw, sm2Verify, sm3 } from './sm2.js';
import { createSm2Signer } from './sm2-signer.js';
import { fromHex, toHex } from '../asn1/der.js';

const dir = mkdtempSync(join(tmpdir(), 'sm2-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (err) {
    return { ok: false, out: String((err as { stdout?: string }).stdout ?? '') };
  }
}

describe('SM3', () => {
  it('matches the GB/T 32905 example "abc"', () => {
    expect(toHex(sm3(new TextEncoder().encode('abc')))).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });
});

describe('SM2 against the OpenSSL command line', () => {
  const { privateKey } = generateSm2KeyPair();
  const keyPem = join(dir, 'k.pem');
  const pubPem = join(dir, 'pub.pem');
  writeFileSync(keyPem, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(pubPem, createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }));
  const pair = sm2KeyPairFromPrivateKey(privateKey);
  const data = new TextEncoder().encode('GB/T 38540 to-be-signed bytes \u5370\u7ae0');
  const dataFile = join(dir, 'data.bin');
  writeFileSync(dataFile, data);

  it('our signature verifies with openssl pkeyutl (distid 1234567812345678), a changed byte does not', async () => {
    const signer = createSm2Signer(privateKey, []);
    const sig = await signer.sign(data, { scheme: 'SM2', hash: 'SM3' });
    expect(sig[0]).toBe(0x30);
    writeFileSync(join(dir, 'sig.der'), sig);
    const ok = openssl(['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-inkey', pubPem, '-pkeyopt', 'distid:1234567812345678', '-in', dataFile, '-sigfile', join(dir, 'sig.der')]);
    expect(ok.ok).toBe(true);
    expect(ok.out).toContain('Signature Verified Successfully');
    const bad = Uint8Array.from(data);
    bad[3]! ^= 1;
    writeFileSync(join(dir, 'bad.bin'), bad);
    const nok = openssl(['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pubin', '-inkey', pubPem, '-pkeyopt', 'distid:1234567812345678', '-in', join(dir, 'bad.bin'), '-sigfile', join(dir, 'sig.der')]);
    expect(nok.ok).toBe(false);
  });

  it('an openssl signature verifies with sm2Verify; wrong data, wrong ID and a flipped bit do not', () => {
    openssl(['pkeyutl', '-sign', '-rawin', '-digest', 'sm3', '-inkey', keyPem, '-pkeyopt', 'distid:1234567812345678', '-in', dataFile, '-out', join(dir, 'os.der')]);
    const sig = new Uint8Array(readFileSync(join(dir, 'os.der')));
    expect(sm2Verify(data, sig, pair.publicKeyHex)).toBe(true);
    expect(sm2Verify(data.subarray(1), sig, pair.publicKeyHex)).toBe(false);
    expect(sm2Verify(data, sig, pair.publicKeyHex, { userId: 'other' })).toBe(false);
    const flipped = Uint8Array.from(sig);
    flipped[flipped.length - 1]! ^= 1;
    expect(sm2Verify(data, flipped, pair.publicKeyHex)).toBe(false);
  });

  it('the signer refuses other schemes and the verifier rejects malformed DER', async () => {
    const signer = createSm2Signer(privateKey, []);
    await expect(signer.sign(data, { scheme: 'ECDSA', hash: 'SHA-256' })).rejects.toMatchObject({ code: 'ERR_ALG_UNSUPPORTED' });
    const sig = sm2Sign(data, pair);
    expect(sm2SignatureToRaw(sig)).not.toBeNull();
    // BER long-form length: not DER, must be refused
    const ber = fromHex(`3081${toHex(sig.subarray(1))}`);
    expect(sm2Verify(data, ber, pair.publicKeyHex)).toBe(false);
    expect(sm2Verify(data, new Uint8Array(0), pair.publicKeyHex)).toBe(false);
  });

  it('refuses non-SM2 keys', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey: p256 } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => createSm2Signer(p256, [])).toThrow(expect.objectContaining({ code: 'ERR_KEY_INVALID' }));
  });
});
