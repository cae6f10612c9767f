/** Small helpers over certificate DER: subject bytes, key hashes, and signing a TBS structure. */
import { createHash } from 'node:crypto';
import type { SignRequest, Signer } from '@seal/core';
import { DER_NULL, TAG, bitStringBytes, childrenOf, decodeBitString, encodedOf, expectTag, oid, parseDer, seq } from '@seal/core/asn1';
import { signatureOid } from '../ca/issuing-ca.js';

/** The TBSCertificate's children: version?, serial, signature, issuer, validity, subject, spki, ... */
function tbsChildren(certDer: Uint8Array) {
  const cert = childrenOf(parseDer(certDer), TAG.SEQUENCE, 'Certificate');
  const tbs = childrenOf(cert[0], TAG.SEQUENCE, 'TBSCertificate');
  return tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
}

/** The DER of the certificate's subject Name exactly as encoded in it. */
export function subjectDer(certDer: Uint8Array): Uint8Array {
  return encodedOf(expectTag(tbsChildren(certDer)[4], TAG.SEQUENCE, 'subject'));
}

/** The DER of the certificate's issuer Name exactly as encoded in it. */
export function issuerDer(certDer: Uint8Array): Uint8Array {
  return encodedOf(expectTag(tbsChildren(certDer)[2], TAG.SEQUENCE, 'issuer'));
}

/** The subjectPublicKey BIT STRING contents (without the unused-bits byte). */
export function subjectPublicKeyBits(certDer: Uint8Array): Uint8Array {
  const spki = childrenOf(tbsChildren(certDer)[5], TAG.SEQUENCE, 'subjectPublicKeyInfo');
  return decodeBitString(spki[1], 'subjectPublicKey');
}

/** RFC 5280 method 1 key identifier: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(certDer: Uint8Array): Uint8Array {
  return createHash('sha1').update(subjectPublicKeyBits(certDer)).digest();
}

export function algorithmIdentifier(req: SignRequest): Uint8Array {
  const o = oid(signatureOid(req));
  return req.scheme === 'ECDSA' || req.scheme === 'SM2' ? seq(o) : seq(o, DER_NULL);
}

/** SEQUENCE { tbs, algorithm, BIT STRING signature }, the signature made by the Signer. */
export async function signStructure(tbs: Uint8Array, signer: Signer, req: SignRequest): Promise<Uint8Array> {
  const sig = await signer.sign(tbs, req);
  return seq(tbs, algorithmIdentifier(req), bitStringBytes(sig));
}
