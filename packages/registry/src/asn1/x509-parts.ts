/** Small helpers over certificate DER: subject bytes, key hashes, and signing a TBS structure. */
import { createHash } from 'node:crypto';
import type { SignRequest, Signer } from '@seal/core';
import { NULL_DER, TAG, bitString, children, expectTag, oid, parseDer, seq } from './der.js';
import { signatureOid } from '../ca/issuing-ca.js';

/** The TBSCertificate's children: version?, serial, signature, issuer, validity, subject, spki, ... */
function tbsChildren(certDer: Uint8Array) {
  const cert = children(expectTag(parseDer(certDer), TAG.SEQUENCE));
  const tbs = children(expectTag(cert[0], TAG.SEQUENCE));
  return tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
}

/** The DER of the certificate's subject Name exactly as encoded in it. */
export function subjectDer(certDer: Uint8Array): Uint8Array {
  return expectTag(tbsChildren(certDer)[4], TAG.SEQUENCE).raw;
}

/** The DER of the certificate's issuer Name exactly as encoded in it. */
export function issuerDer(certDer: Uint8Array): Uint8Array {
  return expectTag(tbsChildren(certDer)[2], TAG.SEQUENCE).raw;
}

/** The subjectPublicKey BIT STRING contents (without the unused-bits byte). */
export function subjectPublicKeyBits(certDer: Uint8Array): Uint8Array {
  const spki = children(expectTag(tbsChildren(certDer)[5], TAG.SEQUENCE));
  return expectTag(spki[1], TAG.BIT_STRING).content.subarray(1);
}

/** RFC 5280 method 1 key identifier: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(certDer: Uint8Array): Uint8Array {
  return createHash('sha1').update(subjectPublicKeyBits(certDer)).digest();
}

export function algorithmIdentifier(req: SignRequest): Uint8Array {
  const o = oid(signatureOid(req));
  return req.scheme === 'ECDSA' ? seq(o) : seq(o, NULL_DER);
}

/** SEQUENCE { tbs, algorithm, BIT STRING signature }, the signature made by the Signer. */
export async function signStructure(tbs: Uint8Array, signer: Signer, req: SignRequest): Promise<Uint8Array> {
  const sig = await signer.sign(tbs, req);
  return seq(tbs, algorithmIdentifier(req), bitString(sig));
}
