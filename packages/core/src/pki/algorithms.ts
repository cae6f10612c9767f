/**
 * Signature and digest algorithms: OID tables, the weak-algorithm policy and one verify call over
 * node:crypto for RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA (DER or plain r||s), Ed25519 and Ed448.
 * Shared by certificate, CRL, OCSP, CMS and time-stamp verification.
 */
import { createHash, createPublicKey, verify as nodeVerify, constants, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { OID_SM2_WITH_SM3, sm2PublicPointFromSpki, sm2Verify } from '../cn/sm2.js';

export type DigestName =
  | 'md5'
  | 'sha1'
  | 'sha224'
  | 'sha256'
  | 'sha384'
  | 'sha512'
  | 'sha3-224'
  | 'sha3-256'
  | 'sha3-384'
  | 'sha3-512'
  | 'shake128'
  | 'shake256'
  | 'sm3';

export const DIGEST_OIDS: Readonly<Record<string, DigestName>> = {
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.7': 'sha3-224',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
  '2.16.840.1.101.3.4.2.11': 'shake128',
  '2.16.840.1.101.3.4.2.12': 'shake256',
  '1.2.156.10197.1.401': 'sm3',
};

/** Digests this verifier refuses by policy (collision attacks): a signature using them is INDETERMINATE. */
export const WEAK_DIGESTS: ReadonlySet<DigestName> = new Set<DigestName>(['md5', 'sha1']);

export type SignatureScheme = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'ecdsa-plain' | 'ed25519' | 'ed448';

export interface SignatureAlgorithmInfo {
  scheme: SignatureScheme;
  /** Digest fixed by the algorithm OID, or null when it comes from elsewhere (rsaEncryption, ecPublicKey, PSS params). */
  digest: DigestName | null;
}

export const SIGNATURE_OIDS: Readonly<Record<string, SignatureAlgorithmInfo>> = {
  '1.2.840.113549.1.1.1': { scheme: 'rsa-pkcs1', digest: null },
  '1.2.840.113549.1.1.4': { scheme: 'rsa-pkcs1', digest: 'md5' },
  '1.2.840.113549.1.1.5': { scheme: 'rsa-pkcs1', digest: 'sha1' },
  '1.3.14.3.2.29': { scheme: 'rsa-pkcs1', digest: 'sha1' },
  '1.2.840.113549.1.1.14': { scheme: 'rsa-pkcs1', digest: 'sha224' },
  '1.2.840.113549.1.1.11': { scheme: 'rsa-pkcs1', digest: 'sha256' },
  '1.2.840.113549.1.1.12': { scheme: 'rsa-pkcs1', digest: 'sha384' },
  '1.2.840.113549.1.1.13': { scheme: 'rsa-pkcs1', digest: 'sha512' },
  '2.16.840.1.101.3.4.3.13': { scheme: 'rsa-pkcs1', digest: 'sha3-224' },
  '2.16.840.1.101.3.4.3.14': { scheme: 'rsa-pkcs1', digest: 'sha3-256' },
  '2.16.840.1.101.3.4.3.15': { scheme: 'rsa-pkcs1', digest: 'sha3-384' },
  '2.16.840.1.101.3.4.3.16': { scheme: 'rsa-pkcs1', digest: 'sha3-512' },
  '1.2.840.113549.1.1.10': { scheme: 'rsa-pss', digest: null },
  '1.2.840.10045.2.1': { scheme: 'ecdsa', digest: null },
  '1.2.840.10045.4.1': { scheme: 'ecdsa', digest: 'sha1' },
  '1.2.840.10045.4.3.1': { scheme: 'ecdsa', digest: 'sha224' },
  '1.2.840.10045.4.3.2': { scheme: 'ecdsa', digest: 'sha256' },
  '1.2.840.10045.4.3.3': { scheme: 'ecdsa', digest: 'sha384' },
  '1.2.840.10045.4.3.4': { scheme: 'ecdsa', digest: 'sha512' },
  '2.16.840.1.101.3.4.3.9': { scheme: 'ecdsa', digest: 'sha3-224' },
  '2.16.840.1.101.3.4.3.10': { scheme: 'ecdsa', digest: 'sha3-256' },
  '2.16.840.1.101.3.4.3.11': { scheme: 'ecdsa', digest: 'sha3-384' },
  '2.16.840.1.101.3.4.3.12': { scheme: 'ecdsa', digest: 'sha3-512' },
  // BSI TR-03111 plain (r||s) ECDSA
  '0.4.0.127.0.7.1.1.4.1.1': { scheme: 'ecdsa-plain', digest: 'sha1' },
  '0.4.0.127.0.7.1.1.4.1.2': { scheme: 'ecdsa-plain', digest: 'sha224' },
  '0.4.0.127.0.7.1.1.4.1.3': { scheme: 'ecdsa-plain', digest: 'sha256' },
  '0.4.0.127.0.7.1.1.4.1.4': { scheme: 'ecdsa-plain', digest: 'sha384' },
  '0.4.0.127.0.7.1.1.4.1.5': { scheme: 'ecdsa-plain', digest: 'sha512' },
  '0.4.0.127.0.7.1.1.4.1.8': { scheme: 'ecdsa-plain', digest: 'sha3-224' },
  '0.4.0.127.0.7.1.1.4.1.9': { scheme: 'ecdsa-plain', digest: 'sha3-256' },
  '0.4.0.127.0.7.1.1.4.1.10': { scheme: 'ecdsa-plain', digest: 'sha3-384' },
  '0.4.0.127.0.7.1.1.4.1.11': { scheme: 'ecdsa-plain', digest: 'sha3-512' },
  '1.3.101.112': { scheme: 'ed25519', digest: null },
  '1.3.101.113': { scheme: 'ed448', digest: null },
};

/** Raised inside verification code; callers map it to a report, never let it escape as a crash. */
export class AlgorithmPolicyError extends Error {
  constructor(
    message: string,
    readonly kind: 'weak' | 'unsupported' | 'inconsistent',
  ) {
    super(message);
    this.name = 'AlgorithmPolicyError';
  }
}

export function digestNameForOid(oid: string): DigestName {
  const d = DIGEST_OIDS[oid];
  if (!d) throw new AlgorithmPolicyError(`unsupported digest algorithm ${oid}`, 'unsupported');
  return d;
}

/** Hash data. SHAKE256 gives 64 bytes and SHAKE128 32 bytes (RFC 8419 / RFC 8702). */
export function hashBytes(alg: DigestName, data: Uint8Array | readonly Uint8Array[]): Buffer {
  const h = alg === 'shake256' ? createHash('shake256', { outputLength: 64 }) : alg === 'shake128' ? createHash('shake128', { outputLength: 32 }) : createHash(alg);
  if (data instanceof Uint8Array) h.update(data);
  else for (const part of data) h.update(part);
  return h.digest();
}

export interface AlgorithmIdentifierLike {
  algorithmId: string;
  /** DER-decoded parameters (asn1js), if any. */
  algorithmParams?: unknown;
}

export interface PssParams {
  hash: DigestName;
  mgfHash: DigestName;
  saltLength: number;
}

/** Decode RSASSA-PSS-params (RFC 4055); defaults SHA-1 / MGF1-SHA-1 / 20. */
export function decodePssParams(params: unknown): PssParams {
  let hash: DigestName = 'sha1';
  let mgfHash: DigestName = 'sha1';
  let saltLength = 20;
  if (params instanceof asn1js.Sequence) {
    for (const item of params.valueBlock.value) {
      if (!(item instanceof asn1js.Constructed) || item.idBlock.tagClass !== 3) continue;
      const inner = item.valueBlock.value[0];
      switch (item.idBlock.tagNumber) {
        case 0:
          hash = digestNameForOid(oidOfAlgId(inner));
          break;
        case 1: {
          if (oidOfAlgId(inner) !== '1.2.840.113549.1.1.8') throw new AlgorithmPolicyError('unsupported PSS mask generation function', 'unsupported');
          const mgfParam = inner instanceof asn1js.Sequence ? inner.valueBlock.value[1] : undefined;
          mgfHash = digestNameForOid(oidOfAlgId(mgfParam));
          break;
        }
        case 2:
          if (!(inner instanceof asn1js.Integer)) throw new AlgorithmPolicyError('bad PSS salt length', 'inconsistent');
          saltLength = inner.valueBlock.valueDec;
          break;
        case 3:
          if (!(inner instanceof asn1js.Integer) || inner.valueBlock.valueDec !== 1) throw new AlgorithmPolicyError('unsupported PSS trailer field', 'unsupported');
          break;
        default:
          throw new AlgorithmPolicyError('unknown PSS parameter', 'unsupported');
      }
    }
  } else if (params !== undefined && !(params instanceof asn1js.Null)) {
    throw new AlgorithmPolicyError('bad PSS parameters', 'inconsistent');
  }
  if (saltLength < 0 || saltLength > 1024) throw new AlgorithmPolicyError('bad PSS salt length', 'inconsistent');
  return { hash, mgfHash, saltLength };
}

function oidOfAlgId(node: unknown): string {
  if (node instanceof asn1js.Sequence) {
    const first = node.valueBlock.value[0];
    if (first instanceof asn1js.ObjectIdentifier) return first.valueBlock.toString();
  }
  throw new AlgorithmPolicyError('malformed AlgorithmIdentifier', 'inconsistent');
}

export interface VerifyParams {
  /** The signature algorithm identifier (CMS signatureAlgorithm, certificate/CRL/OCSP signatureAlgorithm). */
  signatureAlgorithm: AlgorithmIdentifierLike;
  /** Digest to use when the signature OID does not fix one (CMS digestAlgorithm). Also checked for consistency. */
  digest?: DigestName;
  /** SubjectPublicKeyInfo DER or a node KeyObject of the signer. */
  publicKey: Uint8Array | KeyObject;
  data: Uint8Array;
  signature: Uint8Array;
  /** Allow md5/sha1 (for example on a self-signed trust anchor's own signature, never checked). Default false. */
  allowWeak?: boolean;
}

export interface ResolvedAlgorithm {
  scheme: SignatureScheme;
  digest: DigestName | null;
  pss?: PssParams;
  /** A name for reports, e.g. 'RSA-PSS/SHA-256', 'ECDSA/SHA-384'. */
  name: string;
}

/** Resolve a signature algorithm and enforce consistency and the weak-algorithm policy (throws AlgorithmPolicyError). */
export function resolveSignatureAlgorithm(alg: AlgorithmIdentifierLike, digest: DigestName | undefined, allowWeak = false): ResolvedAlgorithm {
  const info = SIGNATURE_OIDS[alg.algorithmId];
  if (!info) throw new AlgorithmPolicyError(`unsupported signature algorithm ${alg.algorithmId}`, 'unsupported');
  let resolved: ResolvedAlgorithm;
  if (info.scheme === 'rsa-pss') {
    const pss = decodePssParams(alg.algorithmParams);
    if (pss.mgfHash !== pss.hash) throw new AlgorithmPolicyError('RSASSA-PSS mask generation hash differs from the message hash', 'inconsistent');
    if (digest && digest !== pss.hash) throw new AlgorithmPolicyError('RSASSA-PSS hash differs from the digest algorithm', 'inconsistent');
    resolved = { scheme: 'rsa-pss', digest: pss.hash, pss, name: `RSA-PSS/${pss.hash.toUpperCase()}` };
  } else if (info.scheme === 'ed25519') {
    // RFC 8419: Ed25519 in CMS uses SHA-512 for the digest algorithm.
    if (digest && digest !== 'sha512') throw new AlgorithmPolicyError(`Ed25519 with digest ${digest} is not allowed (RFC 8419 requires SHA-512)`, 'inconsistent');
    resolved = { scheme: 'ed25519', digest: null, name: 'Ed25519' };
  } else if (info.scheme === 'ed448') {
    if (digest && digest !== 'shake256') throw new AlgorithmPolicyError(`Ed448 with digest ${digest} is not allowed (RFC 8419 requires SHAKE256)`, 'inconsistent');
    resolved = { scheme: 'ed448', digest: null, name: 'Ed448' };
  } else {
    const d = info.digest ?? digest;
    if (!d) throw new AlgorithmPolicyError('signature algorithm without digest', 'inconsistent');
    if (info.digest && digest && info.digest !== digest) {
      throw new AlgorithmPolicyError(`signature algorithm hash ${info.digest} differs from the digest algorithm ${digest}`, 'inconsistent');
    }
    if (d === 'shake128' || d === 'shake256' || d === 'sm3') throw new AlgorithmPolicyError(`${d} with ${info.scheme} is not supported`, 'unsupported');
    const label = info.scheme === 'rsa-pkcs1' ? 'RSA' : info.scheme === 'ecdsa' ? 'ECDSA' : 'ECDSA-plain';
    resolved = { scheme: info.scheme, digest: d, name: `${label}/${d.toUpperCase()}` };
  }
  if (!allowWeak && resolved.digest && WEAK_DIGESTS.has(resolved.digest)) {
    throw new AlgorithmPolicyError(`weak digest ${resolved.digest} in ${resolved.name}`, 'weak');
  }
  if (!allowWeak && digest && WEAK_DIGESTS.has(digest)) throw new AlgorithmPolicyError(`weak digest ${digest}`, 'weak');
  return resolved;
}

const MIN_RSA_BITS = 2048 - 64; // tolerate a few short moduli (e.g. 2047 bits) from old generators
const ALLOWED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1', 'P-256', 'P-384', 'P-521']);

const keyCache = new Map<string, KeyObject>();

/** SPKI DER -> KeyObject (memoised: the same CA and signer keys come back for every document). */
export function toKeyObject(publicKey: Uint8Array | KeyObject): KeyObject {
  if (publicKey instanceof Uint8Array) {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64');
    const hit = keyCache.get(id);
    if (hit) return hit;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
    } catch {
      throw new AlgorithmPolicyError('unsupported or malformed public key', 'unsupported');
    }
    if (keyCache.size >= 1000) keyCache.clear();
    keyCache.set(id, key);
    return key;
  }
  return publicKey;
}

/** Check key strength and that the key type fits the scheme (throws AlgorithmPolicyError). */
export function checkKey(key: KeyObject, scheme: SignatureScheme, allowWeak = false): void {
  const t = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails ?? {};
  if (scheme === 'rsa-pkcs1' || scheme === 'rsa-pss') {
    if (t !== 'rsa' && t !== 'rsa-pss') throw new AlgorithmPolicyError(`key type ${t} does not match ${scheme}`, 'inconsistent');
    if (!allowWeak && (d.modulusLength ?? 0) < MIN_RSA_BITS) throw new AlgorithmPolicyError(`RSA key of ${d.modulusLength} bits is too short`, 'weak');
  } else if (scheme === 'ecdsa' || scheme === 'ecdsa-plain') {
    if (t !== 'ec') throw new AlgorithmPolicyError(`key type ${t} does not match ECDSA`, 'inconsistent');
    if (!ALLOWED_CURVES.has(d.namedCurve ?? '')) throw new AlgorithmPolicyError(`curve ${d.namedCurve ?? '?'} not allowed`, 'unsupported');
  } else if (t !== scheme) {
    throw new AlgorithmPolicyError(`key type ${t} does not match ${scheme}`, 'inconsistent');
  }
}

/**
 * Verify one signature. Returns true/false for good/bad maths; throws AlgorithmPolicyError for
 * unsupported, inconsistent or weak algorithms and keys (callers report INDETERMINATE).
 */
/** SM2-with-SM3 (GB/T 35276, Chinese seal certificates): node's crypto cannot verify SM2; cn/sm2.ts can. */
function verifySm2Signature(p: VerifyParams): boolean {
  if (p.digest !== undefined && p.digest !== 'sm3') throw new AlgorithmPolicyError(`SM2-with-SM3 with digest ${p.digest}`, 'inconsistent');
  let point: Uint8Array;
  try {
    const spki = p.publicKey instanceof Uint8Array ? p.publicKey : new Uint8Array(p.publicKey.export({ format: 'der', type: 'spki' }));
    point = sm2PublicPointFromSpki(spki);
  } catch {
    throw new AlgorithmPolicyError('an SM2-with-SM3 signature needs an SM2 key', 'inconsistent');
  }
  return sm2Verify(p.data, p.signature, point);
}

export function verifySignature(p: VerifyParams): boolean {
  if (p.signatureAlgorithm.algorithmId === OID_SM2_WITH_SM3) return verifySm2Signature(p);
  const alg = resolveSignatureAlgorithm(p.signatureAlgorithm, p.digest, p.allowWeak);
  const key = toKeyObject(p.publicKey);
  checkKey(key, alg.scheme, p.allowWeak);
  const data = Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  const sig = Buffer.from(p.signature.buffer, p.signature.byteOffset, p.signature.byteLength);
  try {
    switch (alg.scheme) {
      case 'ed25519':
      case 'ed448':
        return nodeVerify(null, data, key, sig);
      case 'rsa-pkcs1':
        return nodeVerify(alg.digest!, data, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
      case 'rsa-pss':
        return nodeVerify(alg.digest!, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.pss!.saltLength }, sig);
      case 'ecdsa':
        return nodeVerify(alg.digest!, data, { key, dsaEncoding: 'der' }, sig);
      case 'ecdsa-plain':
        return nodeVerify(alg.digest!, data, { key, dsaEncoding: 'ieee-p1363' }, sig);
    }
  } catch {
    // malformed signature encodings make OpenSSL throw: that is a bad signature, not a crash
    return false;
  }
}
