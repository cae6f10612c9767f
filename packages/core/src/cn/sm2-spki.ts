import { bitStringBytes, oid, seq } from '../asn1/der.js';

/** An SM2 SubjectPublicKeyInfo: id-ecPublicKey with the SM2 curve 1.2.156.10197.1.301. */
export function buildSm2Spki(point: Uint8Array): Uint8Array {
  return seq(seq(oid('1.2.840.10045.2.1'), oid('1.2.156.10197.1.301')), bitStringBytes(point));
}
