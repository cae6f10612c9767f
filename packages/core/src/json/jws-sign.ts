/**
 * Produce JWS signatures through the Signer interface (RFC 7515, RFC 7797 for b64:false) and
 * write them in compact or general JSON serialization. Knows nothing of JAdES headers:
 * jades.ts decides what goes into the protected header.
 */
import { SealError } from '../errors/index.js';
import type { Signer } from '../signer/signer.js';
import { encodeBase64url } from './base64url.js';
import { isJsonObject, parseJsonStrict, type JsonObject, type JsonValue } from './json-parse.js';
import { signWithSigner, type JwsAlgorithm } from './jws-algs.js';

export interface JwsSignatureParts {
  protected: string;
  header?: JsonObject;
  signature: string;
}

export interface CreateJwsSignatureOptions {
  signer: Signer;
  alg: JwsAlgorithm;
  /** Header members besides alg; b64/crit are taken as given (jades.ts sets them). */
  protectedHeader: Record<string, JsonValue>;
  unprotectedHeader?: JsonObject;
  /** BASE64URL(UTF8(JSON({ alg, ...protectedHeader }))) when the caller has it already. */
  protectedB64?: string;
}

/**
 * Signing inputs are a few KB each (the x5c chain is in the header). One ArrayBuffer per seal
 * costs more than the JWS work itself (external memory drives extra garbage collections), so
 * inputs are carved from 32 KiB slabs, as Node's own Buffer pool does for small buffers. A slab
 * is never reused: when it is used up a new one is taken and earlier views keep the old one
 * alive, so an asynchronous Signer still holding its input never sees it change. Slabs are kept
 * small because structured clone (a Signer posting its input to a worker, as apps/api's engine
 * does) copies a view's whole ArrayBuffer. Signers must not transfer `tbs.buffer`.
 */
const SLAB_BYTES = 32 * 1024;
let slab = new ArrayBuffer(0);
let slabUsed = 0;
export function allocSigningInput(size: number): Buffer {
  if (size > SLAB_BYTES / 4) return Buffer.allocUnsafe(size);
  if (slabUsed + size > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = Buffer.from(slab, slabUsed, size);
  slabUsed += (size + 7) & ~7;
  return out;
}

/** The JWS Signing Input: ASCII(protected) '.' (BASE64URL(payload) or, with b64:false, the payload bytes). */
export function signingInput(protectedB64: string, payload: Uint8Array, b64: boolean, payloadB64?: string): Uint8Array {
  const tail = b64 ? (payloadB64 ?? encodeBase64url(payload)) : null;
  const size = protectedB64.length + 1 + (tail === null ? payload.length : tail.length);
  const out = allocSigningInput(size);
  let at = out.write(protectedB64, 0, 'latin1');
  out[at++] = 0x2e;
  if (tail === null) out.set(payload, at);
  else out.write(tail, at, 'latin1');
  return out;
}

/**
 * Sign `payload` (the exact bytes covered) and return the signature's parts. `payloadB64`, when
 * the caller already has BASE64URL(payload), saves encoding it twice.
 */
export async function createJwsSignature(payload: Uint8Array, opts: CreateJwsSignatureOptions, payloadB64?: string): Promise<JwsSignatureParts> {
  const protectedB64 = opts.protectedB64 ?? encodeBase64url(JSON.stringify({ alg: opts.alg, ...opts.protectedHeader }));
  const b64 = opts.protectedHeader['b64'] !== false;
  const sig = await signWithSigner(opts.alg, opts.signer, signingInput(protectedB64, payload, b64, payloadB64));
  const parts: JwsSignatureParts = { protected: protectedB64, signature: encodeBase64url(sig) };
  if (opts.unprotectedHeader !== undefined) parts.header = opts.unprotectedHeader;
  return parts;
}

/** The payload as written into an envelope (base64url, or the raw text with b64:false). */
export function payloadSegment(payload: Uint8Array, b64: boolean, compact: boolean): string {
  if (b64) return encodeBase64url(payload);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    throw new SealError('ERR_INPUT_INVALID', 'an attached b64:false payload must be UTF-8 text (use a detached payload)');
  }
  if (compact && text.includes('.')) throw new SealError('ERR_INPUT_INVALID', "an attached b64:false payload in compact form cannot contain '.' (use a detached payload)");
  return text;
}

export function toCompact(sig: JwsSignatureParts, segment: string | undefined): string {
  if (sig.header !== undefined) throw new SealError('ERR_INPUT_INVALID', 'compact serialization cannot carry an unprotected header (use --format json)');
  return `${sig.protected}.${segment ?? ''}.${sig.signature}`;
}

export function toGeneralJson(signatures: readonly JwsSignatureParts[], segment: string | undefined): string {
  const doc: Record<string, unknown> = {};
  if (segment !== undefined) doc['payload'] = segment;
  doc['signatures'] = signatures.map((s) => (s.header === undefined ? { protected: s.protected, signature: s.signature } : { protected: s.protected, header: s.header, signature: s.signature }));
  return JSON.stringify(doc);
}

/** Read an existing general/flattened JWS JSON to co-seal it: its payload segment and signatures. */
export function readGeneralJson(text: string | Uint8Array): { segment: string | undefined; signatures: JwsSignatureParts[] } {
  let doc: JsonValue;
  try {
    doc = parseJsonStrict(text);
  } catch (err) {
    throw new SealError('ERR_JWS_INVALID', `not a JWS JSON serialization: ${(err as Error).message}`);
  }
  if (!isJsonObject(doc)) throw new SealError('ERR_JWS_INVALID', 'not a JWS JSON serialization');
  const payload = doc['payload'];
  if (payload !== undefined && typeof payload !== 'string') throw new SealError('ERR_JWS_INVALID', 'JWS payload must be a string');
  const list = Array.isArray(doc['signatures']) ? doc['signatures'] : [doc];
  const signatures = list.map((s): JwsSignatureParts => {
    if (!isJsonObject(s) || typeof s['protected'] !== 'string' || typeof s['signature'] !== 'string') throw new SealError('ERR_JWS_INVALID', 'malformed JWS signature entry');
    const h = s['header'];
    if (h !== undefined && !isJsonObject(h)) throw new SealError('ERR_JWS_INVALID', 'malformed JWS unprotected header');
    return h === undefined ? { protected: s['protected'], signature: s['signature'] } : { protected: s['protected'], header: h, signature: s['signature'] };
  });
  return { segment: payload === '' ? undefined : payload, signatures };
}
