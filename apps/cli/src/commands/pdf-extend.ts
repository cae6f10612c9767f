/**
 * `seal pdf extend IN.pdf -o OUT.pdf --level B-LT|B-LTA [--tsa URL] [--crl FILE]... [--trust PEM]...
 *   [--chain PEM]... [--offline]`
 * Raises an already sealed PDF (ours or another tool's) to PAdES B-LT (DSS with the chains and
 * revocation data) or B-LTA (B-LT + document time-stamp). Revocation data comes from --crl files,
 * else from the certificates' OCSP/CRL URLs (3 s timeout; --offline: never online). Missing data
 * is an error, never a B-LT without it. The output is written to a temporary file and renamed.
 */
import { UsageError, certificatesFromPemOrDer, createHttpRevocationFetcher, extendPdfDetailed, type ExtendPdfOptions } from '@seal/core';
import { KEY_OPTIONS, OUTPUT_OPTION, TSA_OPTION, VALIDATION_DATA_OPTIONS, parse } from '../args.js';
import { readInputFile, writeFileAtomically } from '../files.js';

const OPTIONS = {
  ...OUTPUT_OPTION,
  ...TSA_OPTION,
  ...VALIDATION_DATA_OPTIONS,
  chain: KEY_OPTIONS.chain,
  level: { type: 'string' },
} as const;

export async function pdfExtendCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, OPTIONS, { min: 1, max: 1, names: 'IN.pdf' });
  const input = positionals[0]!;
  const output = v.output;
  if (output === undefined) throw new UsageError('-o OUT.pdf is required');
  const level = v.level;
  if (level !== 'B-LT' && level !== 'B-LTA') throw new UsageError('--level must be B-LT or B-LTA');
  if (level === 'B-LTA' && v.tsa === undefined) throw new UsageError('--level B-LTA needs --tsa URL');
  const pdf = readInputFile(input, 'input PDF');
  const trustAnchors = (v.trust ?? []).flatMap((p) => certificatesFromPemOrDer(readInputFile(p, 'trust file')));
  const certificates = (v.chain ?? []).flatMap((p) => certificatesFromPemOrDer(readInputFile(p, 'chain file')));
  const crls = (v.crl ?? []).map((p) => readInputFile(p, 'CRL'));
  const options: ExtendPdfOptions = {
    level,
    crls,
    ...(v.tsa !== undefined ? { tsa: v.tsa } : {}),
    ...(trustAnchors.length ? { trustAnchors } : {}),
    ...(certificates.length ? { certificates } : {}),
    ...(v.offline ? {} : { fetcher: createHttpRevocationFetcher({ timeoutMs: 3000 }) }),
  };
  const result = await extendPdfDetailed(pdf, options);
  writeFileAtomically(output, result.bytes);
  process.stderr.write(`extended ${input} -> ${output} (${level}: ${result.steps.join(', ')})\n`);
  // e.g. a caIssuers URL that was not http, or an OCSP responder whose own status was not found
  for (const w of result.gathered.warnings) process.stderr.write(`warning: ${w}\n`);
  return 0;
}
