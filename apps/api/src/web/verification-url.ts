/**
 * The verification link printed as a QR code next to a seal: `${baseUrl}/v/${entryId}#sha256=${hex}`.
 * The digest sits in the fragment, so a browser never sends it to the server; the landing page
 * (GET /v/:entryId) reads it and compares it with the file the visitor drops.
 * Pure functions, no I/O: the PDF sealing code may import them.
 */
import { createHash } from 'node:crypto';
import { InputInvalidError } from '@seal/core';

/** Entry ids are URL-safe tokens (usage-log ids, UUIDs, ULIDs, decimal sequence numbers). */
const ENTRY_ID = /^[A-Za-z0-9_-][A-Za-z0-9._~-]{0,127}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

export interface VerificationLink {
  /** The service's base URL (scheme, host, port and path prefix), without trailing slash. */
  baseUrl: string;
  entryId: string;
  /** Lower-case hex SHA-256 of the document as it was before sealing. */
  sha256Hex: string;
}

function normaliseBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new InputInvalidError('verification base URL is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputInvalidError('verification base URL must use http or https');
  }
  if (url.username !== '' || url.password !== '') {
    throw new InputInvalidError('verification base URL must not carry credentials');
  }
  if (url.search !== '' || url.hash !== '' || baseUrl.includes('?') || baseUrl.includes('#')) {
    throw new InputInvalidError('verification base URL must not have a query or fragment');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Build the verification URL for a usage-log entry and the SHA-256 of the sealed input.
 * Throws InputInvalidError (ERR_INPUT_INVALID) for a base URL that is not plain http(s),
 * an entry id that is not a URL-safe token, or a digest that is not 64 hex digits.
 */
export function verificationUrl(baseUrl: string, entryId: string, sha256Hex: string): string {
  const base = normaliseBaseUrl(baseUrl);
  if (typeof entryId !== 'string' || !ENTRY_ID.test(entryId)) {
    throw new InputInvalidError('usage-log entry id is not a URL-safe token');
  }
  if (typeof sha256Hex !== 'string' || !SHA256_HEX.test(sha256Hex)) {
    throw new InputInvalidError('document digest must be 64 hexadecimal digits (SHA-256)');
  }
  return `${base}/v/${entryId}#sha256=${sha256Hex.toLowerCase()}`;
}

/**
 * The verification URL for a document about to be sealed: its SHA-256 (the value the usage log
 * records as `documentSha256`) goes into the fragment. For the sealing route with option `qr`:
 * `visible.qr = verificationUrlForDocument(baseUrl, String(entryIndex), pdfBytes)`.
 */
export function verificationUrlForDocument(baseUrl: string, entryId: string, document: Uint8Array): string {
  return verificationUrl(baseUrl, entryId, createHash('sha256').update(document).digest('hex'));
}

/**
 * The inverse of verificationUrl: split a decoded QR text back into its parts.
 * Throws InputInvalidError when the text is not such a link.
 */
export function parseVerificationUrl(text: string): VerificationLink {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputInvalidError('not a verification URL');
  }
  const m = /^(.*)\/v\/([^/]+)$/.exec(url.pathname);
  const h = /^#sha256=([0-9a-f]{64})$/.exec(url.hash);
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || m === null || h === null || url.search !== '') {
    throw new InputInvalidError('not a verification URL');
  }
  const entryId = m[2] ?? '';
  if (!ENTRY_ID.test(entryId)) throw new InputInvalidError('not a verification URL');
  return { baseUrl: `${url.origin}${m[1] ?? ''}`, entryId, sha256Hex: h[1] ?? '' };
}
