import { derBitString, derOid, derSequence } from './der.js';

/** An SM2 SubjectPublicKeyInfo: id-ecPublicKey with the SM2 curve 1.2.156.10197.1.301. */
export function buildSm2Spki(point: Uint8Array): Uint8Array {
  return derSequence([derSequence([derOid('1.2.840.10045.2.1'), derOid('1.2.156.10197.1.301')]), derBitString(point)]);
}
