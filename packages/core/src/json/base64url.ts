/**
 * Strict base64url (RFC 4648 §5, no padding) as JWS requires (RFC 7515 §2). Anything else —
 * padding, '+', '/', whitespace, a dangling character, non-zero trailing bits — is refused, so
 * one value has exactly one encoding.
 */
import { SealError } from '../errors/index.js';

const ALPHABET = /^[A-Za-z0-9_-]*$/;

export function encodeBase64url(bytes: Uint8Array | string): string {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf.toString('base64url');
}

/** Decode strict base64url; `what` names the field in the (fixed, input-free) error message. */
export function decodeBase64url(text: string, what = 'value'): Uint8Array {
  if (typeof text !== 'string' || !ALPHABET.test(text) || text.length % 4 === 1) {
    throw new SealError('ERR_JWS_INVALID', `malformed base64url in ${what}`);
  }
  const out = Buffer.from(text, 'base64url');
  // Non-canonical encodings (stray bits in the last character) would let two strings carry
  // the same bytes: re-encode and compare.
  if (out.toString('base64url') !== text) throw new SealError('ERR_JWS_INVALID', `malformed base64url in ${what}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Plain base64 (RFC 4648 §4, padded), as JAdES uses for DER values (x5c, tstTokens). */
export function decodeBase64Std(text: string, what = 'value'): Uint8Array {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new SealError('ERR_JWS_INVALID', `malformed base64 in ${what}`);
  }
  const out = Buffer.from(text, 'base64');
  if (out.toString('base64') !== text) throw new SealError('ERR_JWS_INVALID', `malformed base64 in ${what}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
