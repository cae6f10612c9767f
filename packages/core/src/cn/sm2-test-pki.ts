/**
 * A throw-away SM2 PKI for tests and demos: a root CA, a seal-maker certificate and a seal
 * holder certificate, all made in memory. DEV ONLY: never use for real seals.
 */
import type { KeyObject } from 'node:crypto';
import { createSesSeal, type CreateSesSealOptions } from './ses-create.js';
import { createSm2Signer, type Sm2Signer } from './sm2-signer.js';
import { issueSm2Certificate } from './sm2-cert.js';
import { generateSm2KeyPair } from './sm2.js';

export interface Sm2TestPki {
  rootCert: Uint8Array;
  root: Sm2Signer;
  makerCert: Uint8Array;
  maker: Sm2Signer;
  holderCert: Uint8Array;
  holder: Sm2Signer;
  holderKey: KeyObject;
}

export async function createSm2TestPki(opts: { notBefore?: Date; notAfter?: Date } = {}): Promise<Sm2TestPki> {
  const notBefore = opts.notBefore ?? new Date('2024-01-01T00:00:00Z');
  const notAfter = opts.notAfter ?? new Date('2099-01-01T00:00:00Z');
  const rk = generateSm2KeyPair();
  const selfSigner = createSm2Signer(rk.privateKey, []);
  const rootCert = await issueSm2Certificate({ subject: 'CN=Test SM2 Root CA, O=Seal Service Tests, C=CN', publicKey: rk.publicKey, issuer: selfSigner, notBefore, notAfter, ca: true });
  const root = createSm2Signer(rk.privateKey, [rootCert]);
  const mk = generateSm2KeyPair();
  const makerCert = await issueSm2Certificate({ subject: 'CN=Test Seal Maker, O=Seal Service Tests, C=CN', publicKey: mk.publicKey, issuer: root, notBefore, notAfter });
  const hk = generateSm2KeyPair();
  const holderCert = await issueSm2Certificate({ subject: 'CN=\u6d4b\u8bd5\u673a\u5173, O=Seal Service Tests, C=CN', publicKey: hk.publicKey, issuer: root, notBefore, notAfter });
  return {
    rootCert,
    root,
    makerCert,
    maker: createSm2Signer(mk.privateKey, [makerCert, rootCert]),
    holderCert,
    holder: createSm2Signer(hk.privateKey, [holderCert, rootCert]),
    holderKey: hk.privateKey,
  };
}

/**
 * A v4 SES_Seal from the test PKI: made by its seal maker for its holder certificate, with a
 * 40x40 placeholder picture, valid from 2025-01-01 to 2026-01-01 unless `over` says otherwise.
 */
export function createTestSesSeal(pki: Sm2TestPki, over: Partial<CreateSesSealOptions> & { esId: string; name: string }): Promise<Uint8Array> {
  return createSesSeal({
    maker: pki.maker,
    sealCertificates: [pki.holderCert],
    picture: { type: 'PNG', data: Uint8Array.of(1), width: 40, height: 40 },
    validStart: new Date('2025-01-01T00:00:00Z'),
    validEnd: new Date('2026-01-01T00:00:00Z'),
    ...over,
  });
}
