/**
 * `seal pdf extend IN.pdf -o OUT.pdf --level B-LT|B-LTA [--tsa URL] [--crl FILE]... [--trust PEM]...
 *   [--chain PEM]... [--offline]`
 * Raises an already sealed PDF (ours or another tool's) to PAdES B-LT (DSS with the chains and
 * revocation data) or B-LTA (B-LT + document time-stamp). Revocation data comes from --crl files,
 * else from the certificates' OCSP/CRL URLs (3 s timeout; --offline: never online). Missing data
 * is an error, never a B-LT without it. The output is written to a temporary file and renamed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputInvalidError, UsageError, certificatesFromPemOrDer, createHttpRevocationFetcher, extendPdfDetailed, type ExtendPdfOptions } from '@seal/core';
import { parse } from '../args.js';

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  level: { type: 'string' },
  tsa: { type: 'string' },
  crl: { type: 'string', multiple: true },
  trust: { type: 'string', multiple: true },
  chain: { type: 'string', multiple: true },
  offline: { type: 'boolean' },
} as const;

const MAX_FILE_BYTES = 512 * 1024 * 1024;

function readInput(path: string, what: string): Uint8Array {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    throw new InputInvalidError(`cannot read the ${what} ${path}`);
  }
  if (data.length > MAX_FILE_BYTES) throw new InputInvalidError(`the ${what} ${path} is too large`);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export async function pdfExtendCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, OPTIONS, { min: 1, max: 1, names: 'IN.pdf' });
  const input = positionals[0]!;
  const output = v.output;
  if (output === undefined) throw new UsageError('-o OUT.pdf is required');
  const level = v.level;
  if (level !== 'B-LT' && level !== 'B-LTA') throw new UsageError('--level must be B-LT or B-LTA');
  if (level === 'B-LTA' && v.tsa === undefined) throw new UsageError('--level B-LTA needs --tsa URL');
  const pdf = readInput(input, 'input PDF');
  const trustAnchors = (v.trust ?? []).flatMap((p) => certificatesFromPemOrDer(readInput(p, 'trust file')));
  const certificates = (v.chain ?? []).flatMap((p) => certificatesFromPemOrDer(readInput(p, 'chain file')));
  const crls = (v.crl ?? []).map((p) => readInput(p, 'CRL'));
  const options: ExtendPdfOptions = {
    level,
    crls,
    ...(v.tsa !== undefined ? { tsa: v.tsa } : {}),
    ...(trustAnchors.length ? { trustAnchors } : {}),
    ...(certificates.length ? { certificates } : {}),
    ...(v.offline ? {} : { fetcher: createHttpRevocationFetcher({ timeoutMs: 3000 }) }),
  };
  const result = await extendPdfDetailed(pdf, options);
  const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, result.bytes, { flag: 'wx' });
    renameSync(tmp, output);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new InputInvalidError(`cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  process.stderr.write(`extended ${input} -> ${output} (${level}: ${result.steps.join(', ')})\n`);
  return 0;
}
