/**
 * JWS envelopes: compact (RFC 7515 §7.1), flattened and general JSON (§7.2). Splitting the
 * envelope and decoding each signature's headers are separate steps, so a verifier can report
 * a broken signature without giving up on its neighbours.
 */
import { SealError } from '../errors/index.js';
import { decodeBase64url } from './base64url.js';
import { decodeUtf8Strict, isJsonObject, parseJsonStrict, type JsonObject, type JsonValue } from './json-parse.js';

export type JwsSerialization = 'compact' | 'flattened' | 'general';

export interface RawJwsSignature {
  /** BASE64URL(UTF8(protected header)) exactly as it appears (part of the signing input); '' if absent. */
  protected: string;
  /** The unprotected header, if any (JSON serializations only). */
  header: JsonObject | undefined;
  signature: string;
}

export interface ParsedJws {
  serialization: JwsSerialization;
  /** The payload as it appears in the envelope; undefined when detached (absent or empty). */
  payload: string | undefined;
  signatures: RawJwsSignature[];
}

/** Default ceiling for a JWS envelope; callers may lower or raise it. */
export const DEFAULT_MAX_JWS_BYTES = 32 * 1024 * 1024;

function invalid(message: string): never {
  throw new SealError('ERR_JWS_INVALID', message);
}

export function checkSize(length: number, max: number, what: string): void {
  if (length > max) throw new SealError('ERR_INPUT_TOO_LARGE', `${what} is larger than ${max} bytes`);
}

/** Split a JWS (compact string, or JSON serialization text/bytes) into its signatures. */
export function parseJws(input: string | Uint8Array, maxBytes = DEFAULT_MAX_JWS_BYTES): ParsedJws {
  checkSize(typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length, maxBytes, 'JWS');
  let text: string;
  try {
    text = typeof input === 'string' ? input : decodeUtf8Strict(input);
  } catch {
    invalid('JWS is not valid UTF-8');
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return parseJsonSerialization(trimmed);
  return parseCompact(trimmed);
}

function parseCompact(text: string): ParsedJws {
  const parts = text.split('.');
  // RFC 7797 unencoded payloads may hold any character but '.', so a compact JWS has exactly 3 parts.
  if (parts.length !== 3) invalid('not a JWS: compact serialization needs exactly three parts');
  const [protectedB64, payload, signature] = parts as [string, string, string];
  if (protectedB64 === '') invalid('compact JWS without a protected header');
  return { serialization: 'compact', payload: payload === '' ? undefined : payload, signatures: [{ protected: protectedB64, header: undefined, signature }] };
}

function parseJsonSerialization(text: string): ParsedJws {
  let doc: JsonValue;
  try {
    doc = parseJsonStrict(text, { maxDepth: 64 });
  } catch (err) {
    throw new SealError('ERR_JWS_INVALID', `not a JWS: ${(err as Error).message}`);
  }
  if (!isJsonObject(doc)) invalid('not a JWS JSON serialization');
  const payload = doc['payload'];
  if (payload !== undefined && typeof payload !== 'string') invalid('JWS payload must be a string');
  const hasSignatures = 'signatures' in doc;
  const hasFlat = 'signature' in doc || 'protected' in doc || 'header' in doc;
  if (hasSignatures && hasFlat) invalid('JWS mixes general and flattened serialization');
  const rawSig = (v: JsonValue | undefined): RawJwsSignature => {
    if (!isJsonObject(v)) invalid('JWS signature entry must be an object');
    const p = v['protected'];
    const h = v['header'];
    const s = v['signature'];
    if (typeof s !== 'string') invalid('JWS signature must be a string');
    // RFC 7515 allows a signature without a protected header; the seal verifier then refuses
    // it (alg, x5c and crit must be protected), but the envelope itself is well-formed.
    if (p !== undefined && typeof p !== 'string') invalid('JWS protected header must be a string');
    if (h !== undefined && !isJsonObject(h)) invalid('JWS unprotected header must be an object');
    return { protected: p ?? '', header: h, signature: s };
  };
  if (hasSignatures) {
    const sigs = doc['signatures'];
    if (!Array.isArray(sigs) || sigs.length === 0) invalid('JWS signatures must be a non-empty array');
    if (sigs.length > 256) invalid('too many signatures');
    return { serialization: 'general', payload: payload === '' ? undefined : payload, signatures: sigs.map(rawSig) };
  }
  return { serialization: 'flattened', payload: payload === '' ? undefined : payload, signatures: [rawSig(doc)] };
}

/** Headers registered for JWS (RFC 7515 §4.1, RFC 7797) that are never crit entries. */
const REGISTERED = new Set(['alg', 'jku', 'jwk', 'kid', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'typ', 'cty', 'crit']);

export interface DecodedHeaders {
  protectedHeader: JsonObject;
  unprotectedHeader: JsonObject | undefined;
}

/**
 * Decode and check one signature's headers: strict base64url, strict UTF-8 JSON with no
 * duplicate members, disjoint protected/unprotected names, well-formed crit, b64 protected and
 * critical. `understood` lists the crit extensions the caller processes; anything else fails.
 */
export function decodeHeaders(sig: RawJwsSignature, understood: ReadonlySet<string>): DecodedHeaders {
  let protectedHeader: JsonValue = Object.create(null) as JsonObject;
  if (sig.protected !== '') {
    const bytes = decodeBase64url(sig.protected, 'protected header');
    try {
      protectedHeader = parseJsonStrict(bytes, { maxDepth: 32 });
    } catch (err) {
      throw new SealError('ERR_JWS_INVALID', `protected header: ${(err as Error).message}`);
    }
  }
  if (!isJsonObject(protectedHeader)) invalid('protected header is not a JSON object');
  const unprotectedHeader = sig.header;
  if (unprotectedHeader !== undefined) {
    for (const name of Object.keys(unprotectedHeader)) {
      if (Object.prototype.hasOwnProperty.call(protectedHeader, name)) invalid(`header parameter ${name} is both protected and unprotected`);
    }
    for (const name of ['crit', 'b64']) {
      if (name in unprotectedHeader) invalid(`header parameter ${name} must be protected`);
    }
  }
  const crit = protectedHeader['crit'];
  if (crit !== undefined) {
    if (!Array.isArray(crit) || crit.length === 0) invalid('crit must be a non-empty array');
    const seen = new Set<string>();
    for (const c of crit) {
      if (typeof c !== 'string' || c === '') invalid('crit entries must be strings');
      if (seen.has(c)) invalid('duplicate crit entry');
      seen.add(c);
      if (REGISTERED.has(c)) invalid(`crit must not list the registered parameter ${c}`);
      if (!understood.has(c)) invalid(`unknown critical header parameter ${c}`);
      if (!Object.prototype.hasOwnProperty.call(protectedHeader, c)) invalid(`critical parameter ${c} is missing from the protected header`);
    }
  }
  if ('b64' in protectedHeader) {
    if (typeof protectedHeader['b64'] !== 'boolean') invalid('b64 must be a boolean');
    if (!Array.isArray(crit) || !crit.includes('b64')) invalid('b64 must be listed in crit');
  }
  return { protectedHeader, unprotectedHeader };
}
