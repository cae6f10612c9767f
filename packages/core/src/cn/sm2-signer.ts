/**
 * The SM2 Signer: implements the shared Signer interface for SM2 keys held in memory.
 * It receives the to-be-signed bytes and computes SM3(Z || M) itself (Z from the default
 * user ID 1234567812345678 unless another is given), returning DER SEQUENCE { r, s }.
 */
import type { KeyObject } from 'node:crypto';
import { AlgorithmUnsupportedError } from '../errors/index.js';
import type { SignRequest, Signer } from '../signer/signer.js';
import { SM2_DEFAULT_USER_ID, sm2KeyPairFromPrivateKey, sm2Sign } from './sm2.js';

export interface Sm2SignerOptions {
  /** SM2 user ID (distinguishing identifier); defaults to 1234567812345678. */
  userId?: string;
}

export interface Sm2Signer extends Signer {
  readonly keyType: 'SM2';
  /** Uncompressed public point (04 || X || Y), hex. */
  readonly publicKeyHex: string;
}

export function createSm2Signer(privateKey: KeyObject | string | Uint8Array, certificateChain: readonly Uint8Array[], opts: Sm2SignerOptions = {}): Sm2Signer {
  const pair = sm2KeyPairFromPrivateKey(privateKey);
  const userId = opts.userId ?? SM2_DEFAULT_USER_ID;
  return {
    keyType: 'SM2',
    curve: 'SM2',
    keySizeBits: 256,
    certificateChain,
    publicKeyHex: pair.publicKeyHex,
    async sign(tbs: Uint8Array, request: SignRequest): Promise<Uint8Array> {
      if (request.scheme !== 'SM2' || request.hash !== 'SM3') {
        throw new AlgorithmUnsupportedError(`an SM2 key signs only SM2 with SM3, not ${request.scheme}/${request.hash}`);
      }
      return sm2Sign(tbs, pair, userId);
    },
  };
}
