/**
 * A fast CMS SignedData encoder (RFC 5652) over a Signer, written as DER by hand.
 *
 * Everything that depends only on the signer's certificates (the certificates field, the
 * IssuerAndSerialNumber, the ESS signing-certificate-v2 attribute, algorithm identifiers) is
 * encoded once per (Signer, hash) and cached, so one signature costs one Signer call plus a few
 * small buffer copies. Used by the PAdES/CAdES signer (sign.ts) and the RFC 3161 TSA (tsa/).
 */
import { createHash } from 'node:crypto';
import { parseCertificateInfo } from '../asn1/certificate.js';
import { DER_NULL, ctx, integer, octetString, oid, seq, setOf, tlv } from '../asn1/der.js';
import { AlgorithmUnsupportedError, SealError, toSealError } from '../errors/index.js';
import type { HashAlgorithm, SignatureScheme, Signer } from '../signer/signer.js';

export type CmsHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

export const OIDS = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
} as const;

export const HASHES: Readonly<Record<CmsHash, { node: string; oid: string; length: number }>> = {
  'SHA-256': { node: 'sha256', oid: '2.16.840.1.101.3.4.2.1', length: 32 },
  'SHA-384': { node: 'sha384', oid: '2.16.840.1.101.3.4.2.2', length: 48 },
  'SHA-512': { node: 'sha512', oid: '2.16.840.1.101.3.4.2.3', length: 64 },
};

const RSA_PKCS1_OIDS: Record<CmsHash, string> = {
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};

const ECDSA_OIDS: Record<CmsHash, string> = {
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};

export function isCmsHash(h: string): h is CmsHash {
  return h === 'SHA-256' || h === 'SHA-384' || h === 'SHA-512';
}

export function digest(hash: CmsHash, data: Uint8Array): Uint8Array {
  return createHash(HASHES[hash].node).update(data).digest();
}

/** AlgorithmIdentifier of a SHA-2 digest, parameters absent (RFC 5754). */
export function digestAlgorithmId(hash: CmsHash): Uint8Array {
  return seq(oid(HASHES[hash].oid));
}

/** The scheme used with this signer: ECDSA for EC keys, PKCS#1 v1.5 or PSS for RSA. */
export function schemeFor(signer: Signer, rsaScheme: 'RSA-PKCS1' | 'RSA-PSS' = 'RSA-PKCS1'): SignatureScheme {
  if (signer.keyType === 'RSA') return rsaScheme;
  if (signer.keyType === 'EC') return 'ECDSA';
  throw new AlgorithmUnsupportedError(`CMS signing with a ${signer.keyType} key is not supported here`);
}

const sigAlgCache = new Map<string, Uint8Array>();

/** signatureAlgorithm AlgorithmIdentifier for a scheme and hash (memoized: they are constants). */
export function signatureAlgorithmId(scheme: SignatureScheme, hash: CmsHash): Uint8Array {
  const key = `${scheme} ${hash}`;
  let v = sigAlgCache.get(key);
  if (v === undefined) {
    v = encodeSignatureAlgorithmId(scheme, hash);
    sigAlgCache.set(key, v);
  }
  return v;
}

function encodeSignatureAlgorithmId(scheme: SignatureScheme, hash: CmsHash): Uint8Array {
  switch (scheme) {
    case 'RSA-PKCS1':
      return seq(oid(RSA_PKCS1_OIDS[hash]), DER_NULL);
    case 'RSA-PSS': {
      const h = digestAlgorithmId(hash);
      return seq(
        oid(OIDS.rsaPss),
        seq(ctx(0, h), ctx(1, seq(oid(OIDS.mgf1), h)), ctx(2, integer(HASHES[hash].length))),
      );
    }
    case 'ECDSA':
      return seq(oid(ECDSA_OIDS[hash]));
    default:
      throw new AlgorithmUnsupportedError(`no CMS algorithm for ${scheme}`);
  }
}

/** Largest signature value the signer can return, for sizing. */
export function maxSignatureLength(signer: Signer): number {
  if (signer.keyType === 'RSA') return Math.ceil(signer.keySizeBits / 8);
  if (signer.keyType === 'EC') {
    const n = Math.ceil(signer.keySizeBits / 8);
    const intMax = n + 1 + 2; // leading zero + tag/length
    const body = 2 * intMax;
    return body + (body < 128 ? 2 : 3);
  }
  throw new AlgorithmUnsupportedError(`no size for a ${signer.keyType} key`);
}

export interface SignerParts {
  /** SignerIdentifier: IssuerAndSerialNumber. */
  readonly sid: Uint8Array;
  /** certificates [0] IMPLICIT CertificateSet, the whole chain in signer order. */
  readonly certificatesField: Uint8Array;
  /** The signing-certificate-v2 Attribute (ESSCertIDv2 with issuerSerial). */
  readonly essAttribute: Uint8Array;
  readonly digestAlgorithm: Uint8Array;
  readonly digestAlgorithms: Uint8Array;
}

const partsCache = new WeakMap<Signer, Map<CmsHash, SignerParts>>();

/** Certificate-dependent DER, computed once per (Signer, hash). */
export function signerParts(signer: Signer, hash: CmsHash): SignerParts {
  let byHash = partsCache.get(signer);
  if (byHash === undefined) {
    byHash = new Map();
    partsCache.set(signer, byHash);
  }
  const cached = byHash.get(hash);
  if (cached !== undefined) return cached;
  const leafDer = signer.certificateChain[0];
  if (leafDer === undefined) throw new SealError('ERR_CERT_INVALID', 'the signer has no certificate');
  const leaf = parseCertificateInfo(leafDer);
  const sid = seq(leaf.issuerDer, leaf.serialNumberDer);
  const certificatesField = tlv(0xa0, ...signer.certificateChain);
  // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash, issuerSerial }
  const issuerSerial = seq(seq(ctx(4, leaf.issuerDer)), leaf.serialNumberDer);
  const certHash = octetString(digest(hash, leafDer));
  const essCertId = hash === 'SHA-256' ? seq(certHash, issuerSerial) : seq(digestAlgorithmId(hash), certHash, issuerSerial);
  const essAttribute = attribute(OIDS.signingCertificateV2, seq(seq(essCertId)));
  const digestAlgorithm = digestAlgorithmId(hash);
  const parts: SignerParts = { sid, certificatesField, essAttribute, digestAlgorithm, digestAlgorithms: setOf([digestAlgorithm]) };
  byHash.set(hash, parts);
  return parts;
}

const contentTypeCache = new Map<string, Uint8Array>();

function contentTypeAttribute(eContentType: string): Uint8Array {
  let v = contentTypeCache.get(eContentType);
  if (v === undefined) {
    v = attribute(OIDS.contentType, oid(eContentType));
    contentTypeCache.set(eContentType, v);
  }
  return v;
}

/** Attribute ::= SEQUENCE { attrType, attrValues SET OF }. */
export function attribute(type: string, ...values: Uint8Array[]): Uint8Array {
  return seq(oid(type), setOf(values));
}

export interface SignedDataOptions {
  signer: Signer;
  hash: CmsHash;
  scheme: SignatureScheme;
  /** eContentType (id-data for detached PAdES content, id-ct-TSTInfo for tokens). */
  eContentType: string;
  /** Encapsulated content; absent for a detached signature. */
  eContent?: Uint8Array;
  /** Digest of the content (what message-digest carries). */
  contentDigest: Uint8Array;
  /** Extra signed attributes (encoded Attribute SEQUENCEs) besides content-type and message-digest. */
  extraSignedAttributes: readonly Uint8Array[];
  includeCertificates: boolean;
  /**
   * Called with the signature value once it exists; returns encoded unsigned Attributes (for a
   * signature time-stamp) or an empty list.
   */
  unsignedAttributes?: (signatureValue: Uint8Array) => Promise<readonly Uint8Array[]>;
  /** Use this byte string instead of calling the Signer (sizing dry run). */
  dryRunSignature?: Uint8Array;
}

/** Build a ContentInfo holding a SignedData with one SignerInfo. */
export async function buildSignedData(options: SignedDataOptions): Promise<Uint8Array> {
  const { signer, hash, scheme } = options;
  if (options.contentDigest.length !== HASHES[hash].length) {
    throw new SealError('ERR_INPUT_INVALID', `content digest must be ${HASHES[hash].length} bytes for ${hash}`);
  }
  const parts = signerParts(signer, hash);
  const signedAttrs = setOf([
    contentTypeAttribute(options.eContentType),
    attribute(OIDS.messageDigest, octetString(options.contentDigest)),
    ...options.extraSignedAttributes,
  ]);
  let signature: Uint8Array;
  try {
    signature = options.dryRunSignature ?? (await signer.sign(signedAttrs, { scheme, hash: hash as HashAlgorithm }));
  } catch (err) {
    // A Signer's own SealError (ERR_KEY_UNAVAILABLE from a token ...) passes; anything else is internal.
    throw toSealError(err);
  }
  if (options.dryRunSignature === undefined && (signature.length === 0 || signature.length > maxSignatureLength(signer))) {
    // A Signer (token, remote service) answering outside the key's size would also break the
    // placeholder sizing: refuse rather than emit something unverifiable.
    throw new SealError('ERR_INTERNAL', 'the signer returned a signature of impossible length');
  }
  const unsigned = options.unsignedAttributes ? await options.unsignedAttributes(signature) : [];
  // [0] IMPLICIT: same content as the SET that was signed, tag 0xA0.
  const signedAttrsImplicit = Uint8Array.from(signedAttrs);
  signedAttrsImplicit[0] = 0xa0;
  const signerInfo = seq(
    integer(1),
    parts.sid,
    parts.digestAlgorithm,
    signedAttrsImplicit,
    signatureAlgorithmId(scheme, hash),
    octetString(signature),
    ...(unsigned.length > 0 ? [setOf(unsigned, 0xa1)] : []),
  );
  const encap =
    options.eContent === undefined ? seq(oid(options.eContentType)) : seq(oid(options.eContentType), ctx(0, octetString(options.eContent)));
  const version = options.eContentType === OIDS.data ? 1 : 3;
  const signedData = seq(
    integer(version),
    parts.digestAlgorithms,
    encap,
    ...(options.includeCertificates ? [parts.certificatesField] : []),
    tlv(0x31, signerInfo),
  );
  return seq(oid(OIDS.signedData), ctx(0, signedData));
}

