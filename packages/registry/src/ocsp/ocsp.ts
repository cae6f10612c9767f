/**
 * OCSP (RFC 6960): a strict request parser and a BasicOCSPResponse builder, signed by a
 * delegated responder's Signer (its certificate, EKU OCSPSigning, is included). The nonce
 * extension (RFC 8954) is echoed byte for byte. Malformed requests give a
 * `malformedRequest` response, never an exception to the transport.
 */
import { createHash } from 'node:crypto';
import type { Signer } from '@seal/core';
import {
  Asn1InvalidError,
  TAG,
  bitString,
  children,
  decodeOid,
  enumerated,
  expectTag,
  explicit,
  generalizedTime,
  integerHex,
  octets,
  oid,
  parseDer,
  seq,
  tlv,
  type DerNode,
} from '../asn1/der.js';
import { algorithmIdentifier, keyIdentifier, subjectDer, subjectPublicKeyBits } from '../asn1/x509-parts.js';
import { signatureParams } from '../ca/issuing-ca.js';

export const OCSP_STATUS = { successful: 0, malformedRequest: 1, internalError: 2, tryLater: 3, sigRequired: 5, unauthorized: 6 } as const;
export type OcspResponseStatus = keyof typeof OCSP_STATUS;

const OID_NONCE = '1.3.6.1.5.5.7.48.1.2';
const OID_BASIC = '1.3.6.1.5.5.7.48.1.1';
const HASH_BY_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
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
  const [alg, nameHash, keyHash, serial] = children(expectTag(node, TAG.SEQUENCE));
  const algOid = decodeOid(expectTag(children(expectTag(alg, TAG.SEQUENCE))[0], TAG.OID));
  const hash = HASH_BY_OID[algOid];
  if (hash === undefined) throw new Asn1InvalidError('unsupported CertID hash');
  return {
    raw: node.raw,
    hash,
    issuerNameHash: expectTag(nameHash, TAG.OCTET_STRING).content,
    issuerKeyHash: expectTag(keyHash, TAG.OCTET_STRING).content,
    serial: integerHex(expectTag(serial, TAG.INTEGER)),
  };
}

/** Parse a DER OCSPRequest; throws ERR_ASN1_INVALID on anything malformed. */
export function parseOcspRequest(der: Uint8Array): OcspRequest {
  if (der.length > OCSP_MAX_REQUEST_BYTES) throw new Asn1InvalidError('OCSP request too large');
  const top = children(expectTag(parseDer(der), TAG.SEQUENCE));
  if (top.length < 1 || top.length > 2) throw new Asn1InvalidError();
  const tbs = children(expectTag(top[0], TAG.SEQUENCE));
  let i = 0;
  if (tbs[i]?.tag === 0xa0) {
    const version = children(tbs[i] as DerNode)[0];
    if (integerHex(expectTag(version, TAG.INTEGER)) !== '00') throw new Asn1InvalidError('unsupported OCSP version');
    i++;
  }
  if (tbs[i]?.tag === 0xa1) i++;
  const list = children(expectTag(tbs[i], TAG.SEQUENCE));
  i++;
  if (list.length === 0 || list.length > OCSP_MAX_REQUESTS) throw new Asn1InvalidError('bad OCSP request list');
  const certIds = list.map((r) => {
    const parts = children(expectTag(r, TAG.SEQUENCE));
    if (parts.length < 1 || parts.length > 2 || (parts[1] !== undefined && parts[1].tag !== 0xa0)) throw new Asn1InvalidError();
    return parseCertId(parts[0] as DerNode);
  });
  let nonceExtension: Uint8Array | null = null;
  if (tbs[i]?.tag === 0xa2) {
    for (const ext of children(expectTag(children(tbs[i] as DerNode)[0], TAG.SEQUENCE))) {
      const parts = children(expectTag(ext, TAG.SEQUENCE));
      if (decodeOid(expectTag(parts[0], TAG.OID)) === OID_NONCE) {
        const value = expectTag(parts[parts.length - 1], TAG.OCTET_STRING);
        if (value.content.length === 0 || value.content.length > 128) throw new Asn1InvalidError('bad OCSP nonce');
        nonceExtension = ext.raw;
      }
    }
    i++;
  }
  if (i !== tbs.length) throw new Asn1InvalidError();
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
  signer: Signer;
  /** DER of the responder certificate (included in the response). */
  responderCertificate: Uint8Array;
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
      return s.reason === null ? tlv(0xa1, generalizedTime(s.revokedAt)) : tlv(0xa1, generalizedTime(s.revokedAt), explicit(0, enumerated(s.reason)));
  }
}

/** A signed, successful OCSPResponse with one SingleResponse per CertID. */
export async function buildOcspResponse(o: BuildOcspResponseOptions): Promise<Uint8Array> {
  const req = signatureParams(o.signer);
  const single = o.responses.map((r) =>
    seq(r.certId.raw, certStatusDer(r.certStatus), generalizedTime(r.thisUpdate), explicit(0, generalizedTime(r.nextUpdate))),
  );
  const parts = [explicit(2, octets(keyIdentifier(o.responderCertificate))), generalizedTime(o.producedAt), seq(...single)];
  if (o.nonceExtension !== null) parts.push(explicit(1, seq(o.nonceExtension)));
  const tbs = seq(...parts);
  const signature = await o.signer.sign(tbs, req);
  const basic = seq(tbs, algorithmIdentifier(req), bitString(signature), explicit(0, seq(o.responderCertificate)));
  return seq(enumerated(OCSP_STATUS.successful), explicit(0, seq(oid(OID_BASIC), octets(basic))));
}

/** An unsigned error response (malformedRequest, internalError, tryLater, unauthorized ...). */
export function ocspErrorResponse(status: Exclude<OcspResponseStatus, 'successful'>): Uint8Array {
  return seq(enumerated(OCSP_STATUS[status]));
}
