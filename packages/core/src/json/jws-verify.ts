/**
 * Plain JWS verification with a key the caller supplies (no certificates, no trust): the layer
 * the seal verifier (jades.ts) builds on, and what the RFC 7520 cookbook vectors exercise.
 * Shape is checked first, crypto last; every refusal names a reason and echoes no input.
 */
import type { KeyObject } from 'node:crypto';
import { SealError } from '../errors/index.js';
import { decodeBase64url } from './base64url.js';
import type { JsonObject } from './json-parse.js';
import { isJwsAlgorithm, keyMismatch, verifySignatureValue, VERIFYING_ALGORITHMS, type JwsAlgorithm } from './jws-algs.js';
import { decodeHeaders, DEFAULT_MAX_JWS_BYTES, parseJws, type ParsedJws, type RawJwsSignature } from './jws-parse.js';
import { signingInput } from './jws-sign.js';

const encoder = new TextEncoder();

/** Header parameters that would let the token choose its own key: never honoured, always refused. */
export const KEY_CARRYING_HEADERS = ['jwk', 'jku', 'x5u'] as const;

export interface CheckedHeaders {
  alg: JwsAlgorithm;
  protectedHeader: JsonObject;
  unprotectedHeader: JsonObject | undefined;
  b64: boolean;
}

export interface HeaderPolicy {
  /** Allowed algorithms (default: every asymmetric one we verify). */
  algorithms?: readonly JwsAlgorithm[];
  /** crit extensions the caller processes, besides b64. */
  crit?: readonly string[];
  /** RFC 7515 permits alg in the unprotected header; seals do not. Default false. */
  allowUnprotectedAlg?: boolean;
}

/** Decode one signature's headers and apply the algorithm and key-header policy. Throws ERR_JWS_INVALID / ERR_ALG_UNSUPPORTED. */
export function checkHeaders(sig: RawJwsSignature, policy: HeaderPolicy = {}): CheckedHeaders {
  const understood = new Set(['b64', ...(policy.crit ?? [])]);
  const { protectedHeader, unprotectedHeader } = decodeHeaders(sig, understood);
  for (const h of KEY_CARRYING_HEADERS) {
    if (h in protectedHeader || (unprotectedHeader !== undefined && h in unprotectedHeader)) {
      throw new SealError('ERR_JWS_INVALID', `header parameter ${h} is refused: keys never come from the token`);
    }
  }
  let alg = protectedHeader['alg'];
  if (alg === undefined && policy.allowUnprotectedAlg && unprotectedHeader !== undefined) alg = unprotectedHeader['alg'];
  if (alg === undefined) throw new SealError('ERR_JWS_INVALID', 'alg must be in the protected header');
  if (typeof alg !== 'string') throw new SealError('ERR_JWS_INVALID', 'alg must be a string');
  if (alg === 'none') throw new SealError('ERR_ALG_UNSUPPORTED', 'alg none is refused');
  if (/^HS(256|384|512)$/.test(alg)) throw new SealError('ERR_ALG_UNSUPPORTED', `${alg} is refused: a seal needs an asymmetric signature`);
  if (!isJwsAlgorithm(alg)) throw new SealError('ERR_ALG_UNSUPPORTED', 'unsupported alg');
  if (!(policy.algorithms ?? VERIFYING_ALGORITHMS).includes(alg)) throw new SealError('ERR_ALG_UNSUPPORTED', `${alg} is not allowed here`);
  return { alg, protectedHeader, unprotectedHeader, b64: protectedHeader['b64'] !== false };
}

/**
 * The payload bytes a signature covers, before any extension (canonicalisation) applies:
 * the attached payload decoded, or the detached bytes. undefined when detached and not supplied.
 */
export function payloadBytes(parsed: ParsedJws, b64: boolean, detached: Uint8Array | undefined): Uint8Array | undefined {
  if (parsed.payload !== undefined && detached !== undefined) {
    throw new SealError('ERR_INPUT_INVALID', 'the JWS has an attached payload; a detached payload was also given');
  }
  if (parsed.payload === undefined) return detached;
  return b64 ? decodeBase64url(parsed.payload, 'payload') : encoder.encode(parsed.payload);
}

export interface JwsSignatureResult {
  index: number;
  valid: boolean;
  /** Why not valid: 'format' (malformed or refused header), 'crypto' (signature maths), 'no-payload'. */
  failure: 'format' | 'crypto' | 'no-payload' | null;
  reason: string | null;
  alg: JwsAlgorithm | null;
  protectedHeader: JsonObject | null;
  unprotectedHeader: JsonObject | null;
}

export interface VerifyJwsResult {
  serialization: ParsedJws['serialization'];
  /** The payload of the JWS (attached, decoded) or the detached payload given. */
  payload: Uint8Array | undefined;
  signatures: JwsSignatureResult[];
}

export interface VerifyJwsOptions extends HeaderPolicy {
  /** Detached payload (RFC 7515 Appendix F / RFC 7797). */
  payload?: Uint8Array;
  maxBytes?: number;
}

/** Resolve the key for one signature; return null to mark it unverifiable. */
export type KeyResolver = (headers: CheckedHeaders, index: number) => KeyObject | null;

/**
 * Verify every signature of a JWS with a key the caller supplies. An unparseable envelope
 * throws ERR_JWS_INVALID; a bad or refused signature is a result with valid=false.
 */
export function verifyJwsWithKey(input: string | Uint8Array, key: KeyObject | KeyResolver, options: VerifyJwsOptions = {}): VerifyJwsResult {
  const parsed = parseJws(input, options.maxBytes ?? DEFAULT_MAX_JWS_BYTES);
  let shownPayload: Uint8Array | undefined;
  const signatures = parsed.signatures.map((raw, index): JwsSignatureResult => {
    const res: JwsSignatureResult = { index, valid: false, failure: 'format', reason: null, alg: null, protectedHeader: null, unprotectedHeader: null };
    try {
      const h = checkHeaders(raw, options);
      res.alg = h.alg;
      res.protectedHeader = h.protectedHeader;
      res.unprotectedHeader = h.unprotectedHeader ?? null;
      const sigBytes = decodeBase64url(raw.signature, 'signature');
      const payload = payloadBytes(parsed, h.b64, options.payload);
      if (payload === undefined) {
        res.failure = 'no-payload';
        res.reason = 'detached payload not supplied';
        return res;
      }
      shownPayload ??= payload;
      const k = typeof key === 'function' ? key(h, index) : key;
      if (k === null) {
        res.reason = 'no key for this signature';
        return res;
      }
      const mismatch = keyMismatch(h.alg, k);
      if (mismatch !== null) {
        res.reason = mismatch;
        return res;
      }
      if (!verifySignatureValue(h.alg, k, signingInput(raw.protected, payload, h.b64), sigBytes)) {
        res.failure = 'crypto';
        res.reason = 'signature does not verify';
        return res;
      }
      res.valid = true;
      res.failure = null;
      return res;
    } catch (err) {
      if (err instanceof SealError && err.code === 'ERR_INPUT_INVALID') throw err;
      res.reason = err instanceof SealError ? err.message : 'malformed signature';
      return res;
    }
  });
  return { serialization: parsed.serialization, payload: shownPayload ?? options.payload, signatures };
}
