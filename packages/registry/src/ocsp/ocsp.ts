/**
 * OCSP (RFC 6960): a strict request parser and a BasicOCSPResponse builder, signed by a
 * delegated responder's Signer (its certificate, EKU OCSPSigning, is included), or by a CA
 * itself (the registry's SM2 CA: SM2-with-SM3 with the default distinguishing ID, no
 * certificate included). CertIDs may hash with SHA-1, SHA-2 or SM3. The nonce extension
 * (RFC 8954) is echoed byte for byte. Malformed requests give a `malformedRequest` response,
 * never an exception to the transport.
 */
import { createHash } from 'node:crypto';
import type { Signer } from '@seal/core';
import {
  TAG,
  asn1Error,
  bitStringBytes,
  children,
  childrenOf,
  contentOf,
  ctx,
  decodeOctetString,
  decodeOid,
  encodedOf,
  enumerated,
  expectTag,
  generalizedTime,
  integerHex,
  octetString,
  oid,
  parseDer,
  seq,
  tlv,
  type DerNode,
} from '@seal/core/asn1';
import { algorithmIdentifier, keyIdentifier, subjectDer, subjectPublicKeyBits } from '../asn1/x509-parts.js';
import { revocationSignature } from '../crl/build-crl.js';

export const OCSP_STATUS = { successful: 0, malformedRequest: 1, internalError: 2, tryLater: 3, sigRequired: 5, unauthorized: 6 } as const;
export type OcspResponseStatus = keyof typeof OCSP_STATUS;

const OID_NONCE = '1.3.6.1.5.5.7.48.1.2';
const OID_BASIC = '1.3.6.1.5.5.7.48.1.1';
const HASH_BY_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.156.10197.1.401': 'sm3',
};

/** At most this many certificates per request, and a bounded request size. */
export const OCSP_MAX_REQUESTS = 32;
export const OCSP_MAX_REQUEST_BYTES = 16 * 1024;

export interface OcspCertId {
  /** The CertID exactly as received (echoed in the response). */
  raw: Uint8Array;
  /** node:crypto hash name of the CertID hashes. */
  hash: string;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** Lower-case hex. */
  serial: string;
}

export interface OcspRequest {
  certIds: OcspCertId[];
  /** The whole nonce Extension (SEQUENCE) as received, or null. */
  nonceExtension: Uint8Array | null;
}

function parseCertId(node: DerNode): OcspCertId {
  const [alg, nameHash, keyHash, serial] = childrenOf(node, TAG.SEQUENCE, 'CertID');
  const algOid = decodeOid(childrenOf(alg, TAG.SEQUENCE, 'hashAlgorithm')[0], 'hashAlgorithm');
  const hash = HASH_BY_OID[algOid];
  if (hash === undefined) throw asn1Error('unsupported CertID hash');
  return {
    raw: encodedOf(node),
    hash,
    issuerNameHash: decodeOctetString(nameHash, 'issuerNameHash'),
    issuerKeyHash: decodeOctetString(keyHash, 'issuerKeyHash'),
    serial: integerHex(serial, 'serialNumber'),
  };
}

/** Parse a DER OCSPRequest; throws ERR_ASN1_INVALID on anything malformed. */
export function parseOcspRequest(der: Uint8Array): OcspRequest {
  if (der.length > OCSP_MAX_REQUEST_BYTES) throw asn1Error('OCSP request too large');
  const top = childrenOf(parseDer(der), TAG.SEQUENCE, 'OCSPRequest');
  if (top.length < 1 || top.length > 2) throw asn1Error('OCSPRequest: wrong number of fields');
  const tbs = childrenOf(top[0], TAG.SEQUENCE, 'TBSRequest');
  let i = 0;
  if (tbs[i]?.tag === 0xa0) {
    const version = children(tbs[i] as DerNode)[0];
    if (integerHex(version, 'version') !== '00') throw asn1Error('unsupported OCSP version');
    i++;
  }
  if (tbs[i]?.tag === 0xa1) i++;
  const list = childrenOf(tbs[i], TAG.SEQUENCE, 'requestList');
  i++;
  if (list.length === 0 || list.length > OCSP_MAX_REQUESTS) throw asn1Error('bad OCSP request list');
  const certIds = list.map((r) => {
    const parts = childrenOf(r, TAG.SEQUENCE, 'Request');
    if (parts.length < 1 || parts.length > 2 || (parts[1] !== undefined && parts[1].tag !== 0xa0)) throw asn1Error('Request: bad fields');
    return parseCertId(parts[0] as DerNode);
  });
  let nonceExtension: Uint8Array | null = null;
  if (tbs[i]?.tag === 0xa2) {
    for (const ext of childrenOf(children(tbs[i] as DerNode)[0], TAG.SEQUENCE, 'requestExtensions')) {
      const parts = childrenOf(ext, TAG.SEQUENCE, 'Extension');
      if (decodeOid(parts[0], 'extnID') === OID_NONCE) {
        const value = contentOf(expectTag(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue'));
        if (value.length === 0 || value.length > 128) throw asn1Error('bad OCSP nonce');
        nonceExtension = encodedOf(ext);
      }
    }
    i++;
  }
  if (i !== tbs.length) throw asn1Error('TBSRequest: unexpected fields');
  return { certIds, nonceExtension };
}

/** Does this CertID name the given issuer (hashes over its subject and key)? */
export function certIdMatchesIssuer(id: OcspCertId, issuerCertDer: Uint8Array): boolean {
  const nameHash = createHash(id.hash).update(subjectDer(issuerCertDer)).digest();
  const keyHash = createHash(id.hash).update(subjectPublicKeyBits(issuerCertDer)).digest();
  return nameHash.equals(id.issuerNameHash) && keyHash.equals(id.issuerKeyHash);
}

export type OcspCertStatus = { status: 'good' } | { status: 'unknown' } | { status: 'revoked'; revokedAt: Date; reason: number | null };

export interface OcspSingleResponse {
  certId: OcspCertId;
  certStatus: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate: Date;
}

export interface BuildOcspResponseOptions {
  /** The responder's Signer; an SM2 Signer signs SM2-with-SM3. */
  signer: Signer;
  /** DER of the responder certificate (ResponderID byKey; included in the response unless includeCertificate is false). */
  responderCertificate: Uint8Array;
  /** Put the responder certificate in `certs` (default true; false for a CA answering for itself). */
  includeCertificate?: boolean;
  producedAt: Date;
  responses: readonly OcspSingleResponse[];
  nonceExtension: Uint8Array | null;
}

function certStatusDer(s: OcspCertStatus): Uint8Array {
  switch (s.status) {
    case 'good':
      return Uint8Array.of(0x80, 0x00);
    case 'unknown':
      return Uint8Array.of(0x82, 0x00);
    case 'revoked':
      return s.reason === null ? tlv(0xa1, generalizedTime(s.revokedAt)) : tlv(0xa1, generalizedTime(s.revokedAt), ctx(0, enumerated(s.reason)));
  }
}

/** A signed, successful OCSPResponse with one SingleResponse per CertID. */
export async function buildOcspResponse(o: BuildOcspResponseOptions): Promise<Uint8Array> {
  const req = revocationSignature(o.signer);
  const single = o.responses.map((r) =>
    seq(r.certId.raw, certStatusDer(r.certStatus), generalizedTime(r.thisUpdate), ctx(0, generalizedTime(r.nextUpdate))),
  );
  const parts = [ctx(2, octetString(keyIdentifier(o.responderCertificate))), generalizedTime(o.producedAt), seq(...single)];
  if (o.nonceExtension !== null) parts.push(ctx(1, seq(o.nonceExtension)));
  const tbs = seq(...parts);
  const signature = await o.signer.sign(tbs, req);
  const basicParts = [tbs, algorithmIdentifier(req), bitStringBytes(signature)];
  if (o.includeCertificate !== false) basicParts.push(ctx(0, seq(o.responderCertificate)));
  const basic = seq(...basicParts);
  return seq(enumerated(OCSP_STATUS.successful), ctx(0, seq(oid(OID_BASIC), octetString(basic))));
}

/** An unsigned error response (malformedRequest, internalError, tryLater, unauthorized ...). */
export function ocspErrorResponse(status: Exclude<OcspResponseStatus, 'successful'>): Uint8Array {
  return seq(enumerated(OCSP_STATUS[status]));
}
