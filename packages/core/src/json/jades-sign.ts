/**
 * signJson: JAdES baseline B-B (and B-T with a time-stamp source) over JWS, compact or general
 * JSON serialization, attached or detached (RFC 7797 b64:false), optionally over the RFC 8785
 * canonical form of the payload, and co-sealing (adding a signature to an existing JWS JSON).
 */
import { createHash } from 'node:crypto';
import { InputInvalidError, SealError } from '../errors/index.js';
import type { Signer } from '../signer/signer.js';
import type { Timestamper } from '../tsa/timestamper.js';
import { decodeBase64url, encodeBase64url } from './base64url.js';
import { canonicalizeToBytes } from './jcs.js';
import { isJsonObject, parseJsonStrict, type JsonObject, type JsonValue } from './json-parse.js';
import { checkSignerAlgorithm, defaultAlgorithm, jwsSignatureValue, requestSignature, type JwsAlgorithm } from './jws-algs.js';
import { allocSigningInput, payloadSegment, readGeneralJson, toCompact, toGeneralJson, type JwsSignatureParts } from './jws-sign.js';
import { CANON_HEADER, CANON_JCS } from './jades-headers.js';


export interface SignJsonOptions {
  signer: Signer;
  /** 'compact' (default) or 'json' (general JSON serialization). */
  format?: 'compact' | 'json';
  /** Leave the payload out (RFC 7797 b64:false, listed in crit): the verifier gets it separately. */
  detached?: boolean;
  /** Sign the RFC 8785 form of the payload and say so with `canon: "RFC8785"` (in crit). */
  canonical?: boolean;
  /** JWS algorithm; default RS256 / ES256 / ES384 from the key (PS256 with rsaPss). */
  alg?: JwsAlgorithm;
  rsaPss?: boolean;
  /** Claimed signing time (header iat); default now. */
  signingTime?: Date;
  /** typ header; default "jose" (compact) or "jose+json" (JSON). */
  typ?: string;
  /** cty header; default "json". */
  cty?: string;
  /** Co-seal: an existing general or flattened JWS JSON; the new signature is appended. */
  coSealOf?: string | Uint8Array;
  /** B-T: signature time-stamp from a TSA, put in the unprotected header etsiU (needs format json). */
  timestamper?: Timestamper;
  /** Largest payload accepted (default 32 MiB). */
  maxPayloadBytes?: number;
}

export interface SignJsonResult {
  /** The sealed JWS: compact string or JSON text. */
  jws: string;
  format: 'compact' | 'json';
  level: 'B-B' | 'B-T';
  alg: JwsAlgorithm;
  /** The exact bytes signed (the canonical form when canonical). */
  signedPayload: Uint8Array;
}

const encoder = new TextEncoder();

/**
 * The encoded protected header. Many seals per second share one (same signer, options and iat
 * second): the last one is remembered per Signer so it is not rebuilt, serialised and encoded
 * each time. x5c and x5t#S256 come from the Signer's chain (checked by identity).
 */
interface CachedHeader {
  alg: JwsAlgorithm;
  typ: string;
  cty: string;
  iat: number;
  b64: boolean;
  canonical: boolean;
  chain: readonly Uint8Array[];
  encoded: string;
  /** ASCII(encoded) followed by '.', the fixed start of every signing input with this header. */
  prefix: Buffer;
}
const protectedCache = new WeakMap<Signer, CachedHeader>();
function protectedHeaderFor(signer: Signer, alg: JwsAlgorithm, typ: string, cty: string, iat: number, b64: boolean, canonical: boolean): CachedHeader {
  const hit = protectedCache.get(signer);
  if (
    hit !== undefined &&
    hit.iat === iat &&
    hit.alg === alg &&
    hit.typ === typ &&
    hit.cty === cty &&
    hit.b64 === b64 &&
    hit.canonical === canonical &&
    hit.chain === signer.certificateChain
  ) {
    return hit;
  }
  checkSignerAlgorithm(alg, signer);
  const chain = signer.certificateChain;
  const header: Record<string, JsonValue> = {
    alg,
    typ,
    cty,
    x5c: chain.map((c) => Buffer.from(c).toString('base64')),
    'x5t#S256': encodeBase64url(createHash('sha256').update(chain[0]!).digest()),
    iat,
  };
  const crit: string[] = [];
  if (!b64) {
    header['b64'] = false;
    crit.push('b64');
  }
  if (canonical) {
    header[CANON_HEADER] = CANON_JCS;
    crit.push(CANON_HEADER);
  }
  if (crit.length > 0) header['crit'] = crit;
  const encoded = encodeBase64url(JSON.stringify(header));
  const entry: CachedHeader = { alg, typ, cty, iat, b64, canonical, chain, encoded, prefix: Buffer.from(`${encoded}.`, 'latin1') };
  protectedCache.set(signer, entry);
  return entry;
}

/** Seal a JSON (or any) payload. Throws SealError on bad input; never writes anything. */
export async function signJson(payload: Uint8Array | string | undefined, options: SignJsonOptions): Promise<SignJsonResult> {
  const { signer } = options;
  const chain = signer.certificateChain;
  if (chain.length === 0) throw new SealError('ERR_CERT_INVALID', 'the signer has no certificate: a seal needs x5c');
  const max = options.maxPayloadBytes ?? 32 * 1024 * 1024;

  // Co-sealing: the payload and its encoding come from the existing JWS.
  let existing: JwsSignatureParts[] = [];
  let existingSegment: string | undefined;
  let b64 = !options.detached;
  let format = options.format ?? 'compact';
  if (options.coSealOf !== undefined) {
    const prior = readGeneralJson(options.coSealOf);
    existing = prior.signatures;
    existingSegment = prior.segment;
    format = 'json';
    const first = existing[0];
    if (first === undefined) throw new SealError('ERR_JWS_INVALID', 'the JWS to co-seal has no signature');
    let header: JsonValue;
    try {
      header = parseJsonStrict(decodeBase64url(first.protected, 'protected header'));
    } catch {
      throw new SealError('ERR_JWS_INVALID', 'the JWS to co-seal has a malformed protected header');
    }
    if (!isJsonObject(header)) throw new SealError('ERR_JWS_INVALID', 'the JWS to co-seal has a malformed protected header');
    b64 = header['b64'] !== false;
  }

  let bytes: Uint8Array;
  if (existingSegment !== undefined) {
    const fromJws = b64 ? decodeBase64url(existingSegment, 'payload') : encoder.encode(existingSegment);
    if (payload !== undefined) {
      const given = typeof payload === 'string' ? encoder.encode(payload) : payload;
      if (Buffer.compare(Buffer.from(given), Buffer.from(fromJws)) !== 0) throw new InputInvalidError('the payload differs from the one in the JWS being co-sealed');
    }
    bytes = fromJws;
  } else {
    if (payload === undefined) throw new InputInvalidError('no payload to seal');
    bytes = typeof payload === 'string' ? encoder.encode(payload) : payload;
  }
  if (bytes.length > max) throw new SealError('ERR_INPUT_TOO_LARGE', `payload is larger than ${max} bytes`);
  if (options.canonical) bytes = canonicalizeToBytes(bytes);
  if (options.timestamper !== undefined && format === 'compact') {
    throw new InputInvalidError('a B-T seal carries its time-stamp in the unprotected header: use the JSON format');
  }

  const alg = options.alg ?? defaultAlgorithm(signer, options.rsaPss);
  const typ = options.typ ?? (format === 'compact' ? 'jose' : 'jose+json');
  const cty = options.cty ?? 'json';
  const iat = Math.floor((options.signingTime !== undefined ? options.signingTime.getTime() : Date.now()) / 1000);
  if (!Number.isFinite(iat) || iat < 0) throw new InputInvalidError('invalid signing time');
  const header = protectedHeaderFor(signer, alg, typ, cty, iat, b64, options.canonical === true);
  const protectedB64 = header.encoded;

  const encodedPayload = b64 && existingSegment === undefined ? encodeBase64url(bytes) : undefined;
  const tail = b64 ? (encodedPayload ?? encodeBase64url(bytes)) : null;
  const input = allocSigningInput(header.prefix.length + (tail === null ? bytes.length : tail.length));
  input.set(header.prefix, 0);
  if (tail === null) input.set(bytes, header.prefix.length);
  else input.write(tail, header.prefix.length, 'latin1');
  // protectedHeaderFor checked that alg fits the signer (when it built this header).
  const sig: JwsSignatureParts = { protected: protectedB64, signature: encodeBase64url(jwsSignatureValue(alg, await requestSignature(alg, signer, input, true))) };
  let level: 'B-B' | 'B-T' = 'B-B';
  if (options.timestamper !== undefined) {
    // TS 119 182-1 §5.3.4: the sigTst message imprint is computed over the base64url-encoded JWS signature value.
    const token = await options.timestamper.timestamp(createHash('sha256').update(sig.signature, 'ascii').digest(), 'SHA-256');
    const sigTst: JsonObject = { sigTst: { tstTokens: [{ val: Buffer.from(token).toString('base64') }] } };
    sig.header = { etsiU: [encodeBase64url(JSON.stringify(sigTst))] };
    level = 'B-T';
  }

  let segment: string | undefined;
  if (existingSegment !== undefined) segment = existingSegment;
  else if (!options.detached) segment = encodedPayload ?? payloadSegment(bytes, b64, format === 'compact');
  const jws = format === 'compact' ? toCompact(sig, segment) : toGeneralJson([...existing, sig], segment);
  return { jws, format, level, alg, signedPayload: bytes };
}
