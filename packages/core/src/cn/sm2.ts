/**
 * SM2 signatures (GB/T 32918 / GM/T 0003) with SM3 (GB/T 32905), default user ID
 * 1234567812345678, signatures DER SEQUENCE { r, s }.
 *
 * node:crypto hashes SM3 but, given an SM2 key, silently signs plain ECDSA on the SM2 curve;
 * the SM2 arithmetic therefore comes from sm-crypto-v2, always called with explicit
 * `hash: true` (Z || M is hashed inside with the user ID) and `der: false` (we do the
 * DER framing ourselves, strictly, so malformed signatures fail closed).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { sm2 } from 'sm-crypto-v2';
import { SealError } from '../errors/index.js';
import {
  STRICT_TREE,
  bytesEqual,
  decodeBitString,
  decodeInteger,
  decodeOctetString,
  decodeOid,
  fieldsOf,
  fromHex,
  integer,
  parseDer,
  seq,
  toHex,
} from '../asn1/der.js';

export const SM2_DEFAULT_USER_ID = '1234567812345678';
export const OID_SM2_CURVE = '1.2.156.10197.1.301';
export const OID_SM2_WITH_SM3 = '1.2.156.10197.1.501';
export const OID_SM3 = '1.2.156.10197.1.401';
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';

/** SM2 curve order n (GB/T 32918.5). */
const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

export function sm3(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sm3').update(data).digest());
}

/** An SM2 private key as the hex scalar plus the matching uncompressed public point. */
export interface Sm2KeyPair {
  /** 64 hex digits. Never log or serialise this. */
  readonly privateKeyHex: string;
  /** Uncompressed point 04 || X || Y as 130 hex digits. */
  readonly publicKeyHex: string;
}

function keyError(message: string): SealError {
  return new SealError('ERR_KEY_INVALID', message);
}

/** Generate a fresh SM2 key pair (node's OpenSSL does the key generation; that part is curve-only). */
export function generateSm2KeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'SM2' });
}

/** Extract the scalar and public point of an SM2 private KeyObject (or PKCS#8 PEM/DER). */
export function sm2KeyPairFromPrivateKey(key: KeyObject | string | Uint8Array): Sm2KeyPair {
  let ko: KeyObject;
  try {
    ko = typeof key === 'string' || key instanceof Uint8Array
      ? createPrivateKey(typeof key === 'string' ? key : { key: Buffer.from(key), format: 'der', type: 'pkcs8' })
      : key;
  } catch {
    throw keyError('unreadable SM2 private key');
  }
  // node reports keys made by generateKeyPairSync('ec', SM2) as 'ec'/'SM2', but an SM2 key read
  // from a file (OpenSSL 3 decodes it as EVP_PKEY_SM2) with no type at all: the SPKI decides then.
  const nodeSm2 = ko.asymmetricKeyType === 'ec' && ko.asymmetricKeyDetails?.namedCurve === 'SM2';
  if (ko.type !== 'private' || (!nodeSm2 && ko.asymmetricKeyType !== undefined)) {
    throw keyError('not an SM2 private key');
  }
  const der = new Uint8Array(ko.export({ format: 'der', type: 'pkcs8' }));
  try {
    const pki = fieldsOf(parseDer(der, STRICT_TREE), 'PrivateKeyInfo', 3);
    const ecpk = fieldsOf(parseDer(decodeOctetString(pki[2], 'privateKey'), STRICT_TREE), 'ECPrivateKey', 2);
    const d = decodeOctetString(ecpk[1], 'privateKey');
    const privateKeyHex = toHex(d).padStart(64, '0');
    const spki = new Uint8Array(createPublicKey(ko).export({ format: 'der', type: 'spki' }));
    return { privateKeyHex, publicKeyHex: toHex(sm2PublicPointFromSpki(spki)) };
  } catch (err) {
    if (err instanceof SealError && err.code === 'ERR_KEY_INVALID') throw err;
    throw keyError('unreadable SM2 private key');
  }
}

/** The uncompressed public point (04||X||Y) of an SM2 SubjectPublicKeyInfo (DER). */
export function sm2PublicPointFromSpki(spki: Uint8Array): Uint8Array {
  const spkiFields = fieldsOf(parseDer(spki, STRICT_TREE), 'SubjectPublicKeyInfo', 2, 2);
  const alg = fieldsOf(spkiFields[0], 'AlgorithmIdentifier', 1, 2);
  const algOid = decodeOid(alg[0], 'algorithm');
  const curve = alg[1] !== undefined && alg[1].tag === 0x06 ? decodeOid(alg[1], 'curve') : undefined;
  if (!(algOid === OID_EC_PUBLIC_KEY && curve === OID_SM2_CURVE) && algOid !== OID_SM2_CURVE) {
    throw new SealError('ERR_ALG_UNSUPPORTED', 'public key is not an SM2 key');
  }
  const point = decodeBitString(spkiFields[1], 'subjectPublicKey');
  if (point.length !== 65 || point[0] !== 0x04) throw keyError('SM2 public key must be an uncompressed point');
  if (!sm2.verifyPublicKey(toHex(point))) throw keyError('SM2 public key is not on the curve');
  return point;
}

/** Build an SM2 SubjectPublicKeyInfo (id-ecPublicKey, curve 1.2.156.10197.1.301). */
export { buildSm2Spki } from './sm2-spki.js';

/** Encode r||s (32+32 bytes) as DER SEQUENCE { r, s }. */
export function sm2SignatureToDer(raw: Uint8Array): Uint8Array {
  if (raw.length !== 64) throw new SealError('ERR_INPUT_INVALID', 'raw SM2 signature must be 64 bytes');
  const r = BigInt(`0x${toHex(raw.subarray(0, 32))}`);
  const s = BigInt(`0x${toHex(raw.subarray(32))}`);
  return seq(integer(r), integer(s));
}

/**
 * Decode an SM2 signature to r||s. Strict DER SEQUENCE { r, s } (re-encoding must give the
 * same bytes), or, with `allowRaw`, a bare 64-byte r||s. Returns null when malformed.
 */
export function sm2SignatureToRaw(sig: Uint8Array, allowRaw = false): Uint8Array | null {
  if (allowRaw && sig.length === 64 && sig[0] !== 0x30) return sig;
  try {
    const parts = fieldsOf(parseDer(sig, STRICT_TREE), 'SM2 signature', 2, 2);
    const r = decodeInteger(parts[0], 'r');
    const s = decodeInteger(parts[1], 's');
    if (r <= 0n || s <= 0n || r >= SM2_N || s >= SM2_N) return null;
    if (!bytesEqual(seq(integer(r), integer(s)), sig)) return null;
    return fromHex(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'));
  } catch {
    return null;
  }
}

/** Sign `data` with SM2/SM3 (Z computed with `userId`); returns DER SEQUENCE { r, s }. */
export function sm2Sign(data: Uint8Array, key: Sm2KeyPair, userId = SM2_DEFAULT_USER_ID): Uint8Array {
  const rsHex = sm2.doSignature(data, key.privateKeyHex, { hash: true, der: false, publicKey: key.publicKeyHex, userId });
  return sm2SignatureToDer(fromHex(rsHex.padStart(128, '0')));
}

/**
 * Verify an SM2/SM3 signature. `publicKey` is the uncompressed point (bytes or hex).
 * Never throws for a bad signature: returns false.
 */
export function sm2Verify(
  data: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array | string,
  opts: { userId?: string; allowRaw?: boolean } = {},
): boolean {
  const raw = sm2SignatureToRaw(signature, opts.allowRaw ?? false);
  if (raw === null) return false;
  const pub = typeof publicKey === 'string' ? publicKey : toHex(publicKey);
  try {
    return sm2.doVerifySignature(data, toHex(raw), pub, { hash: true, der: false, userId: opts.userId ?? SM2_DEFAULT_USER_ID });
  } catch {
    return false;
  }
}
