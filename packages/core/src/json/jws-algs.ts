/**
 * The JWS algorithms a seal may use (RFC 7518 §3, RFC 8037), how each maps onto the Signer
 * interface, and the checks tying an algorithm to a public key. `none` and the HMAC family are
 * not in the table: a seal is an asymmetric signature, full stop.
 */
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { AlgorithmUnsupportedError, SealError } from '../errors/index.js';
import type { HashAlgorithm, SignRequest, SignatureScheme, Signer } from '../signer/signer.js';

export type JwsAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

interface AlgInfo {
  scheme: SignatureScheme;
  hash: HashAlgorithm;
  /** EC curve (node's JWK name) and the size of r and s in bytes. */
  curve?: 'P-256' | 'P-384' | 'P-521';
  coordBytes?: number;
}

const ALGS: Readonly<Record<JwsAlgorithm, AlgInfo>> = {
  RS256: { scheme: 'RSA-PKCS1', hash: 'SHA-256' },
  RS384: { scheme: 'RSA-PKCS1', hash: 'SHA-384' },
  RS512: { scheme: 'RSA-PKCS1', hash: 'SHA-512' },
  PS256: { scheme: 'RSA-PSS', hash: 'SHA-256' },
  PS384: { scheme: 'RSA-PSS', hash: 'SHA-384' },
  PS512: { scheme: 'RSA-PSS', hash: 'SHA-512' },
  ES256: { scheme: 'ECDSA', hash: 'SHA-256', curve: 'P-256', coordBytes: 32 },
  ES384: { scheme: 'ECDSA', hash: 'SHA-384', curve: 'P-384', coordBytes: 48 },
  ES512: { scheme: 'ECDSA', hash: 'SHA-512', curve: 'P-521', coordBytes: 66 },
  EdDSA: { scheme: 'Ed25519', hash: 'SHA-512' },
};

/** Algorithms this service produces; EdDSA and ES512 are accepted for verification only. */
export const SIGNING_ALGORITHMS: readonly JwsAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'];
export const VERIFYING_ALGORITHMS: readonly JwsAlgorithm[] = Object.keys(ALGS) as JwsAlgorithm[];

const MIN_RSA_BITS = 2048;

export function isJwsAlgorithm(alg: unknown): alg is JwsAlgorithm {
  return typeof alg === 'string' && Object.prototype.hasOwnProperty.call(ALGS, alg);
}

export function algInfo(alg: JwsAlgorithm): AlgInfo {
  return ALGS[alg];
}

/** The natural JWS algorithm for a Signer's key (PS256 with `rsaPss`). */
export function defaultAlgorithm(signer: Signer, rsaPss = false): JwsAlgorithm {
  switch (signer.keyType) {
    case 'RSA':
      return rsaPss ? 'PS256' : 'RS256';
    case 'EC':
      if (signer.curve === 'P-256') return 'ES256';
      if (signer.curve === 'P-384') return 'ES384';
      throw new AlgorithmUnsupportedError(`no JWS seal algorithm for curve ${signer.curve ?? '?'}`);
    default:
      throw new AlgorithmUnsupportedError(`no JWS seal algorithm for a ${signer.keyType} key`);
  }
}

/** Fail unless `alg` is one we sign with and fits the Signer's key. */
export function checkSignerAlgorithm(alg: JwsAlgorithm, signer: Signer): void {
  const info = ALGS[alg];
  if (!SIGNING_ALGORITHMS.includes(alg)) throw new AlgorithmUnsupportedError(`${alg} is not used for sealing`);
  const fits =
    (info.scheme.startsWith('RSA') && signer.keyType === 'RSA') || (info.scheme === 'ECDSA' && signer.keyType === 'EC' && signer.curve === info.curve);
  if (!fits) throw new AlgorithmUnsupportedError(`${alg} does not fit a ${signer.keyType}${signer.curve ? ' ' + signer.curve : ''} key`);
}

/** Why `key` cannot verify `alg`, or null when it fits. */
export function keyMismatch(alg: JwsAlgorithm, key: KeyObject): string | null {
  if (key.type !== 'public') return 'not a public key';
  const info = ALGS[alg];
  const t = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails ?? {};
  if (info.scheme === 'RSA-PKCS1' || info.scheme === 'RSA-PSS') {
    if (t !== 'rsa' && !(t === 'rsa-pss' && info.scheme === 'RSA-PSS')) return `${alg} needs an RSA key`;
    if ((d.modulusLength ?? 0) < MIN_RSA_BITS) return `RSA keys below ${MIN_RSA_BITS} bits are refused`;
    return null;
  }
  if (info.scheme === 'ECDSA') {
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[d.namedCurve ?? ''];
    if (t !== 'ec' || curve !== info.curve) return `${alg} needs an EC ${info.curve ?? ''} key`;
    return null;
  }
  if (t !== 'ed25519') return 'EdDSA is accepted with Ed25519 keys only';
  return null;
}

const NODE_HASH: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** Check a JWS signature value over `signingInput`. Never throws on a bad signature: returns false. */
export function verifySignatureValue(alg: JwsAlgorithm, key: KeyObject, signingInput: Uint8Array, signature: Uint8Array): boolean {
  const info = ALGS[alg];
  try {
    switch (info.scheme) {
      case 'RSA-PKCS1':
        return cryptoVerify(NODE_HASH[info.hash] ?? '', signingInput, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'RSA-PSS':
        return cryptoVerify(NODE_HASH[info.hash] ?? '', signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
      case 'ECDSA':
        // JWS carries raw r||s of fixed length (RFC 7518 §3.4); a DER value is not a JWS signature.
        if (signature.length !== 2 * (info.coordBytes ?? 0)) return false;
        return cryptoVerify(NODE_HASH[info.hash] ?? '', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'Ed25519':
        if (signature.length !== 64) return false;
        return cryptoVerify(null, signingInput, key, signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

function badEcdsa(): never {
  throw new SealError('ERR_INTERNAL', 'signer returned a malformed ECDSA signature');
}

/** Read one DER INTEGER at `p` into out[at .. at+size) (big-endian, left-padded); returns the next offset. */
function readDerInteger(der: Uint8Array, p: number, out: Uint8Array, at: number, size: number): number {
  if (der[p] !== 0x02) badEcdsa();
  let len = der[p + 1] ?? badEcdsa();
  p += 2;
  if (len >= 0x80) {
    // ECDSA values up to P-521 never need more than one length byte.
    if (len !== 0x81) badEcdsa();
    len = der[p] ?? badEcdsa();
    if (len < 0x80) badEcdsa();
    p += 1;
  }
  if (len === 0 || p + len > der.length) badEcdsa();
  const first = der[p]!;
  if (first & 0x80) badEcdsa(); // negative
  if (len > 1 && first === 0 && !(der[p + 1]! & 0x80)) badEcdsa(); // non-minimal
  let start = p;
  const end = p + len;
  while (start < end && der[start] === 0) start++;
  if (end - start > size) badEcdsa();
  for (let i = start, o = at + size - (end - start); i < end; i++, o++) out[o] = der[i]!;
  return end;
}

/** Convert a DER ECDSA-Sig-Value (what Signers return) to JWS's fixed-length r||s. Strict DER. */
export function ecdsaDerToRaw(der: Uint8Array, coordBytes: number): Uint8Array {
  if (der[0] !== 0x30 || der.length < 8) badEcdsa();
  let p = 2;
  let seqLen = der[1]!;
  if (seqLen >= 0x80) {
    if (seqLen !== 0x81) badEcdsa();
    seqLen = der[2] ?? badEcdsa();
    if (seqLen < 0x80) badEcdsa();
    p = 3;
  }
  if (p + seqLen !== der.length) badEcdsa();
  const out = new Uint8Array(2 * coordBytes);
  p = readDerInteger(der, p, out, 0, coordBytes);
  p = readDerInteger(der, p, out, coordBytes, coordBytes);
  if (p !== der.length) badEcdsa();
  return out;
}

const SIGN_REQUESTS = Object.fromEntries(Object.entries(ALGS).map(([k, v]) => [k, { scheme: v.scheme, hash: v.hash }])) as Record<JwsAlgorithm, SignRequest>;

/** The JWS signature value from what the Signer returned (DER ECDSA becomes r||s). */
export function jwsSignatureValue(alg: JwsAlgorithm, signerOutput: Uint8Array): Uint8Array {
  const info = ALGS[alg];
  return info.scheme === 'ECDSA' ? ecdsaDerToRaw(signerOutput, info.coordBytes ?? 0) : signerOutput;
}

/**
 * Ask the Signer for a signature over a JWS signing input. Returns the Signer's promise (the
 * caller converts it with jwsSignatureValue); `checked` skips the algorithm/key check when the
 * caller has done it already.
 */
export function requestSignature(alg: JwsAlgorithm, signer: Signer, signingInput: Uint8Array, checked = false): Promise<Uint8Array> {
  if (!checked) checkSignerAlgorithm(alg, signer);
  return signer.sign(signingInput, SIGN_REQUESTS[alg]);
}

/** Sign a JWS signing input through the Signer and return the JWS signature value. */
export async function signWithSigner(alg: JwsAlgorithm, signer: Signer, signingInput: Uint8Array): Promise<Uint8Array> {
  return jwsSignatureValue(alg, await requestSignature(alg, signer, signingInput));
}
