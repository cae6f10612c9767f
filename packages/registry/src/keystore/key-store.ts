/**
 * Key custody. A KeyStore is the only code that touches private keys: it generates them, keeps
 * them (encrypted at rest or inside a token) and hands out Signer handles. Nothing outside it
 * ever receives key bytes.
 */
import type { KeyObject } from 'node:crypto';
import type { Signer } from '@seal/core';
import { AlgorithmUnsupportedError } from '@seal/core';
import type { SealAlgorithm } from '../types.js';

export interface GeneratedKey {
  /** Opaque reference stored with the seal (`sw:<uuid>`, `p11:<hex id>`). */
  keyRef: string;
  publicKey: KeyObject;
}

export interface KeyStore {
  readonly kind: 'software' | 'pkcs11';
  generateKey(algorithm: SealAlgorithm): Promise<GeneratedKey>;
  publicKey(keyRef: string): Promise<KeyObject>;
  /** A Signer over the key; `certificateChain` is DER, the key's certificate first. */
  signer(keyRef: string, certificateChain: readonly Uint8Array[]): Promise<Signer>;
  close(): Promise<void>;
}

export interface KeyParams {
  type: 'rsa' | 'ec';
  modulusLength?: number;
  namedCurve?: 'P-256' | 'P-384';
}

export function keyParams(algorithm: SealAlgorithm): KeyParams {
  switch (algorithm) {
    case 'RSA-2048':
      return { type: 'rsa', modulusLength: 2048 };
    case 'RSA-3072':
      return { type: 'rsa', modulusLength: 3072 };
    case 'EC-P256':
      return { type: 'ec', namedCurve: 'P-256' };
    case 'EC-P384':
      return { type: 'ec', namedCurve: 'P-384' };
    default:
      throw new AlgorithmUnsupportedError(`key algorithm ${algorithm} is not supported by this key store`);
  }
}
