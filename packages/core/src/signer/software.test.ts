import { generateKeyPairSync, verify, constants } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSoftwareSigner } from './software.js';

const TBS = new TextEncoder().encode('signed attributes stand-in');

describe('software signer', () => {
  it('signs RSA PKCS#1 v1.5 and PSS, verifiable by node crypto', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signer = createSoftwareSigner(privateKey, []);
    expect(signer.keyType).toBe('RSA');
    expect(signer.keySizeBits).toBe(2048);
    const v15 = await signer.sign(TBS, { scheme: 'RSA-PKCS1', hash: 'SHA-256' });
    expect(verify('sha256', TBS, publicKey, v15)).toBe(true);
    const pss = await signer.sign(TBS, { scheme: 'RSA-PSS', hash: 'SHA-384' });
    expect(verify('sha384', TBS, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, pss)).toBe(true);
    expect(verify('sha256', Buffer.from('other'), publicKey, v15)).toBe(false);
  });

  it('signs ECDSA as DER and refuses schemes that do not fit the key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const signer = createSoftwareSigner(privateKey, []);
    expect(signer.curve).toBe('P-384');
    const sig = await signer.sign(TBS, { scheme: 'ECDSA', hash: 'SHA-384' });
    expect(sig[0]).toBe(0x30);
    expect(verify('sha384', TBS, { key: publicKey, dsaEncoding: 'der' }, sig)).toBe(true);
    await expect(signer.sign(TBS, { scheme: 'RSA-PKCS1', hash: 'SHA-256' })).rejects.toMatchObject({ code: 'ERR_ALG_UNSUPPORTED' });
  });

  it('refuses public keys and SM2 keys', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => createSoftwareSigner(publicKey, [])).toThrow(expect.objectContaining({ code: 'ERR_KEY_INVALID' }));
    const sm2 = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    expect(() => createSoftwareSigner(sm2.privateKey, [])).toThrow(expect.objectContaining({ code: 'ERR_ALG_UNSUPPORTED' }));
  });
});
