/**
 * The software Signer: a private key held in this process as a node:crypto KeyObject.
 * Parse the key once (see load-key.ts) and reuse the Signer: signing is then one crypto call.
 */
import { constants, createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { AlgorithmUnsupportedError, SealError } from '../errors/index.js';
import type { HashAlgorithm, KeyType, SignRequest, Signer } from './signer.js';

const NODE_HASH: Record<Exclude<HashAlgorithm, 'SM3'>, string> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

const CURVE_BY_OID_NAME: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  SM2: 'SM2',
};

export function describeKey(key: KeyObject): { keyType: KeyType; curve?: string; keySizeBits: number } {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return { keyType: 'RSA', keySizeBits: details.modulusLength ?? 0 };
    case 'ec': {
      const curve = CURVE_BY_OID_NAME[details.namedCurve ?? ''];
      if (curve === undefined) throw new AlgorithmUnsupportedError(`unsupported EC curve ${details.namedCurve ?? '?'}`);
      if (curve === 'SM2') return { keyType: 'SM2', curve, keySizeBits: 256 };
      return { keyType: 'EC', curve, keySizeBits: curve === 'P-256' ? 256 : curve === 'P-384' ? 384 : 521 };
    }
    case 'ed25519':
      return { keyType: 'Ed25519', keySizeBits: 256 };
    default:
      throw new AlgorithmUnsupportedError(`unsupported key type ${key.asymmetricKeyType ?? '?'}`);
  }
}

/**
 * A Signer over an in-memory private key. SM2 keys are refused here: node's crypto silently
 * makes ECDSA on the SM2 curve, which no SM2 verifier accepts (the SM2 Signer lives in cn/).
 */
export function createSoftwareSigner(privateKey: KeyObject, certificateChain: readonly Uint8Array[]): Signer {
  if (privateKey.type !== 'private') throw new SealError('ERR_KEY_INVALID', 'not a private key');
  const info = describeKey(privateKey);
  if (info.keyType === 'SM2') throw new AlgorithmUnsupportedError('SM2 keys need the SM2 signer');
  return {
    ...info,
    certificateChain,
    async sign(tbs: Uint8Array, request: SignRequest): Promise<Uint8Array> {
      return signWithKey(privateKey, info.keyType, tbs, request);
    },
  };
}

function signWithKey(key: KeyObject, keyType: KeyType, tbs: Uint8Array, request: SignRequest): Uint8Array {
  if (request.hash === 'SM3') throw new AlgorithmUnsupportedError('SM3 needs the SM2 signer');
  const hash = NODE_HASH[request.hash];
  switch (request.scheme) {
    case 'RSA-PKCS1':
      if (keyType !== 'RSA') break;
      return cryptoSign(hash, tbs, { key, padding: constants.RSA_PKCS1_PADDING });
    case 'RSA-PSS':
      if (keyType !== 'RSA') break;
      return cryptoSign(hash, tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    case 'ECDSA':
      if (keyType !== 'EC') break;
      return cryptoSign(hash, tbs, { key, dsaEncoding: 'der' });
    case 'Ed25519':
      if (keyType !== 'Ed25519') break;
      return cryptoSign(null, tbs, key);
    case 'SM2':
      break;
  }
  throw new AlgorithmUnsupportedError(`scheme ${request.scheme} does not fit a ${keyType} key`);
}

/** The public key of a private KeyObject, e.g. to check it against a certificate. */
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}
