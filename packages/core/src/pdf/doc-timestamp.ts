/**
 * Document time-stamp (PAdES, ETSI EN 319 142-1 §5.4.3): an incremental update with a signature
 * dictionary /Type /DocTimeStamp, /SubFilter /ETSI.RFC3161 whose /Contents is an RFC 3161
 * TimeStampToken over the /ByteRange bytes. The placeholder is sized from a probe token (the
 * probe also tells which TSA certificates the real token will carry).
 */
import { createHash } from 'node:crypto';
import { InputInvalidError, SealError } from '../errors/index.js';
import { HASHES, type CmsHash } from '../cms/signed-data.js';
import { createHttpTimestamper } from '../tsa/client.js';
import type { Timestamper } from '../tsa/timestamper.js';
import { parsePdf, type PdfDocument } from './parser/document.js';
import { prepareSignature } from './writer/signature.js';

export interface DocumentTimestampOptions {
  /** RFC 3161 TSA URL (or give `timestamper`). */
  tsaUrl?: string;
  timestamper?: Timestamper;
  /** Imprint digest (default SHA-256). */
  hash?: CmsHash;
  /** Name of the new (invisible) field; default SignatureN. */
  field?: string;
  /** A token from an earlier probe of the same TSA (saves one request); its size sizes the placeholder. */
  probeToken?: Uint8Array;
}

export interface DocumentTimestampResult {
  input: Uint8Array;
  update: Uint8Array;
  /** The embedded token (DER). */
  token: Uint8Array;
  byteRange: [number, number, number, number];
  fieldName: string;
}

/** Slack on top of the probe token's size: serial numbers, times and nonces vary a little. */
const SLACK = 256;

export function timestamperFrom(options: { tsaUrl?: string; timestamper?: Timestamper }): Timestamper {
  if (options.timestamper) return options.timestamper;
  if (options.tsaUrl) return createHttpTimestamper(options.tsaUrl);
  throw new InputInvalidError('a document time-stamp needs a TSA (tsaUrl)');
}

/** A probe token over a zero digest: its size sizes placeholders, its certificates name the TSA. */
export async function probeTimestamp(timestamper: Timestamper, hash: CmsHash = 'SHA-256'): Promise<Uint8Array> {
  return timestamper.timestamp(new Uint8Array(HASHES[hash].length), hash);
}

/** Append a document time-stamp to `input` (a PDF, or an already parsed document). */
export async function addDocumentTimestamp(input: Uint8Array | PdfDocument, options: DocumentTimestampOptions): Promise<DocumentTimestampResult> {
  const doc = input instanceof Uint8Array ? parsePdf(input) : input;
  const hash = options.hash ?? 'SHA-256';
  if (!(hash in HASHES)) throw new SealError('ERR_ALG_UNSUPPORTED', `unsupported digest ${String(hash)}`);
  const timestamper = timestamperFrom(options);
  const probe = options.probeToken ?? (await probeTimestamp(timestamper, hash));
  let size = probe.length + SLACK;
  for (let attempt = 0; ; attempt++) {
    const prepared = prepareSignature(doc, { contentsSize: size, documentTimestamp: true, ...(options.field !== undefined ? { fieldName: options.field } : {}) });
    const h = createHash(HASHES[hash].node);
    for (const part of prepared.signedParts()) h.update(part);
    const token = await timestamper.timestamp(h.digest(), hash);
    if (!(token instanceof Uint8Array) || token.length < 16 || token[0] !== 0x30) throw new SealError('ERR_UPSTREAM', 'the TSA returned no time-stamp token');
    if (token.length <= prepared.contentsSize) {
      prepared.embed(token);
      return { input: prepared.input, update: prepared.update, token, byteRange: prepared.byteRange, fieldName: prepared.fieldName };
    }
    if (attempt > 0) throw new SealError('ERR_UPSTREAM', 'the TSA token does not fit its placeholder');
    size = token.length + SLACK;
  }
}
