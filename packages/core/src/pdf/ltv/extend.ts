/**
 * extendPdf: raise an already sealed PDF (ours or another tool's) to PAdES B-LT or B-LTA.
 *
 *   B-LT:  [document time-stamp, when a signature has no signature time-stamp] + DSS
 *   B-LTA: B-LT + document time-stamp (the DSS also carries the TSA's chain and revocation data
 *          for that time-stamp, learnt from a probe token of the same TSA)
 *
 * Every step is an incremental update: the input is a byte-identical prefix of the output and
 * every earlier signature stays valid.
 */
import { InputInvalidError, PdfMalformedError, SealError } from '../../errors/index.js';
import type { PdfDocument } from '../parser/document.js';
import type { CmsHash } from '../../cms/signed-data.js';
import type { RevocationFetcher } from '../../pki/validate-path.js';
import type { Timestamper } from '../../tsa/timestamper.js';
import { addDocumentTimestamp, probeTimestamp, timestamperFrom } from '../doc-timestamp.js';
import { parsePdf } from '../parser/document.js';
import { concatOutput } from '../writer/incremental.js';
import { addDss } from './dss.js';
import { gatherValidationData, type GatheredData } from './gather.js';

export type LtvLevel = 'B-LT' | 'B-LTA';

export interface ExtendPdfOptions {
  level: LtvLevel;
  /** TSA for document time-stamps: a URL or an in-process Timestamper. Required for B-LTA. */
  tsa?: string | Timestamper;
  /** Imprint digest of document time-stamps (default SHA-256). */
  hash?: CmsHash;
  /** CRLs (DER or PEM) to use before fetching online. */
  crls?: readonly Uint8Array[];
  /** OCSP responses (DER) to use before fetching online. */
  ocsps?: readonly Uint8Array[];
  /** Trusted roots (DER): every chain must reach one. */
  trustAnchors?: readonly Uint8Array[];
  /** Extra certificates for chain building. */
  certificates?: readonly Uint8Array[];
  /** Online revocation source (createHttpRevocationFetcher); without it only given data is used. */
  fetcher?: RevocationFetcher;
  /** Freshness reference for revocation data (default now). */
  at?: Date;
}

export interface ExtendPdfResult {
  bytes: Uint8Array;
  /** What was added, in order. */
  steps: ('document-timestamp' | 'dss')[];
  gathered: GatheredData;
}

/** Raise `bytes` to `options.level`; returns the new file. */
export async function extendPdf(bytes: Uint8Array, options: ExtendPdfOptions): Promise<Uint8Array> {
  return (await extendPdfDetailed(bytes, options)).bytes;
}

export async function extendPdfDetailed(bytes: Uint8Array, options: ExtendPdfOptions): Promise<ExtendPdfResult> {
  if (!(bytes instanceof Uint8Array)) throw new InputInvalidError('extendPdf needs the PDF bytes');
  const level = options.level;
  if (level !== 'B-LT' && level !== 'B-LTA') throw new InputInvalidError(`unsupported extension level ${String(level)} (B-LT or B-LTA)`);
  if (level === 'B-LTA' && options.tsa === undefined) throw new InputInvalidError('level B-LTA needs a TSA for the document time-stamp');
  const timestamper = options.tsa === undefined ? undefined : timestamperFrom(typeof options.tsa === 'string' ? { tsaUrl: options.tsa } : { timestamper: options.tsa });
  const hash = options.hash ?? 'SHA-256';
  const gatherOpts = {
    ...(options.trustAnchors ? { trustAnchors: options.trustAnchors } : {}),
    ...(options.certificates ? { certificates: options.certificates } : {}),
    ...(options.crls ? { crls: options.crls } : {}),
    ...(options.ocsps ? { ocsps: options.ocsps } : {}),
    ...(options.fetcher ? { fetcher: options.fetcher } : {}),
    ...(options.at ? { at: options.at } : {}),
  };
  const steps: ExtendPdfResult['steps'] = [];
  let current = bytes;
  let doc = readPdf(current);
  // fail early (before asking a TSA) when the document cannot be extended
  let gathered = await failClosed(gatherValidationData(doc, gatherOpts));
  const probe = timestamper ? await probeTimestamp(timestamper, hash) : undefined;

  // B-LT needs B-T: a signature without its own time-stamp gets a document time-stamp first
  const untimed = gathered.signatures.filter((s) => s.kind === 'signature' && !s.hasSignatureTimestamp);
  const lastIsDocTs = gathered.signatures[gathered.signatures.length - 1]?.kind === 'document-timestamp';
  if (untimed.length > 0 && !lastIsDocTs) {
    if (!timestamper) throw new InputInvalidError(`signature "${untimed[0]!.fieldName}" has no time-stamp (B-B): B-LT needs a TSA to add a document time-stamp`);
    const ts = await addDocumentTimestamp(doc, { timestamper, hash, ...(probe ? { probeToken: probe } : {}) });
    current = concatOutput(ts.input, ts.update);
    doc = readPdf(current);
    steps.push('document-timestamp');
    gathered = await failClosed(gatherValidationData(doc, { ...gatherOpts, ...(level === 'B-LTA' && probe ? { extraTokens: [probe] } : {}) }));
  } else if (level === 'B-LTA' && probe) {
    gathered = await failClosed(gatherValidationData(doc, { ...gatherOpts, extraTokens: [probe] }));
  }

  const dss = addDss(doc, gathered);
  current = concatOutput(dss.input, dss.update);
  steps.push('dss');

  if (level === 'B-LTA') {
    doc = readPdf(current);
    const ts = await addDocumentTimestamp(doc, { timestamper: timestamper!, hash, ...(probe ? { probeToken: probe } : {}) });
    current = concatOutput(ts.input, ts.update);
    steps.push('document-timestamp');
  }
  return { bytes: current, steps, gathered };
}

/** Anything but a SealError while reading the document is a malformed document (never a crash). */
function readPdf(bytes: Uint8Array): PdfDocument {
  try {
    return parsePdf(bytes);
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw new PdfMalformedError('malformed PDF', { cause: err });
  }
}

async function failClosed<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw new PdfMalformedError('malformed PDF: its signatures cannot be read', { cause: err });
  }
}
