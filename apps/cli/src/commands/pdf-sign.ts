/**
 * `seal pdf sign IN.pdf -o OUT.pdf KEY [--chain PEM]... [--level B-B|B-T|B-LT|B-LTA] [--tsa URL]
 *   [--crl FILE]... [--trust PEM]... [--offline] (B-LT/B-LTA: validation data for the DSS, see pdf extend)
 *   [--visible --page N --rect x,y,w,h --image FILE [--qr URL]] [--certify 1|2|3] [--field NAME]
 *   [--reason T] [--location T] [--subfilter ETSI.CAdES.detached|adbe.pkcs7.detached]
 *   [--hash SHA-256|SHA-384|SHA-512] [--rsa-pss]`
 * `seal pdf sign IN.pdf -o OUT.pdf --server URL --api-key KEY --seal ID [--level B-B|B-T|B-LT|B-LTA]
 *   [--visible --page N --rect x,y,w,h [--qr auto]] [--certify 1|2|3] [--reason T] [--location T]`
 *   seals through a running service (apps/cli/src/remote.ts) instead of a local key.
 * A thin layer over signPdf. The output is written to a temporary file and renamed, so a
 * failure never leaves a partial or empty OUT.pdf behind.
 */
import { UsageError, certificatesFromPemOrDer, createHttpRevocationFetcher, loadSignerFromKeyFiles, signPdfParts, type SignPdfOptions } from '@seal/core';
import type { PdfSealOptions } from '@seal/client';
import { KEY_OPTIONS, SIGN_OPTIONS, TSA_OPTION, VALIDATION_DATA_OPTIONS, keyFilesFrom, parse } from '../args.js';
import { readInputFile, writeFileAtomically } from '../files.js';
import { REMOTE_OPTIONS, checkLocalOptions, checkRemoteOptions, sealRemote } from '../remote.js';

const PDF_SIGN_OPTIONS = {
  ...SIGN_OPTIONS,
  ...REMOTE_OPTIONS,
  ...VALIDATION_DATA_OPTIONS,
  level: { type: 'string' },
  visible: { type: 'boolean' },
  page: { type: 'string' },
  rect: { type: 'string' },
  image: { type: 'string' },
  qr: { type: 'string' },
  certify: { type: 'string' },
  field: { type: 'string' },
  reason: { type: 'string' },
  location: { type: 'string' },
  subfilter: { type: 'string' },
  hash: { type: 'string' },
  'rsa-pss': { type: 'boolean' },
} as const;

export function parseRect(s: string): [number, number, number, number] {
  const parts = s.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 4 || parts.some((x) => !Number.isFinite(x)) || parts[2]! <= 0 || parts[3]! <= 0) {
    throw new UsageError('--rect must be x,y,w,h with a positive width and height');
  }
  return parts as [number, number, number, number];
}

type SignValues = ReturnType<typeof parse<typeof PDF_SIGN_OPTIONS>>['values'];

/** Options that only make sense with a local key (the service holds the key, chain, TSA and hash). */
const LOCAL_ONLY = [
  ...Object.keys(KEY_OPTIONS),
  ...Object.keys(TSA_OPTION),
  'image',
  'field',
  'subfilter',
  'hash',
  'rsa-pss',
  ...Object.keys(VALIDATION_DATA_OPTIONS),
];

/** `--server`: the service seals with the agency's seal `--seal ID`; the answer names the usage-log entry. */
async function remoteSign(v: SignValues, input: string, output: string, server: string): Promise<number> {
  checkRemoteOptions(v, LOCAL_ONLY);
  const o: PdfSealOptions = {};
  if (v.level !== undefined) {
    // The service time-stamps with its own TSA and takes the validation data from its registry.
    if (v.level !== 'B-B' && v.level !== 'B-T' && v.level !== 'B-LT' && v.level !== 'B-LTA') throw new UsageError('--level with --server must be B-B, B-T, B-LT or B-LTA');
    o.level = v.level;
  }
  if ((v.page !== undefined || v.rect !== undefined || v.qr !== undefined) && !v.visible) throw new UsageError('--page/--rect/--qr need --visible');
  if (v.visible) {
    if (v.rect === undefined) throw new UsageError('--visible needs --rect x,y,w,h');
    const page = v.page === undefined ? 1 : Number(v.page);
    if (!Number.isInteger(page) || page < 1) throw new UsageError('--page must be a positive integer');
    o.visible = true;
    o.page = page;
    o.rect = parseRect(v.rect);
    if (v.qr !== undefined) {
      // The service draws its own link (its address, the usage-log entry id, the document digest).
      if (v.qr !== 'auto') throw new UsageError('with --server, --qr takes the value auto: the service draws its verification link');
      o.qr = true;
    }
  }
  if (v.certify !== undefined) {
    if (!['1', '2', '3'].includes(v.certify)) throw new UsageError('--certify must be 1, 2 or 3');
    o.certify = Number(v.certify) as 1 | 2 | 3;
  }
  if (v.reason !== undefined) o.reason = v.reason;
  if (v.location !== undefined) o.location = v.location;
  const index = await sealRemote({ kind: 'pdf', input, output, server, apiKey: v['api-key'], sealId: v.seal, pdfOptions: o });
  process.stderr.write(`sealed ${input} -> ${output} by ${server} (usage-log entry ${index})\n`);
  return 0;
}

export async function pdfSignCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, PDF_SIGN_OPTIONS, { min: 1, max: 1, names: 'IN.pdf' });
  const input = positionals[0]!;
  const output = v.output;
  if (output === undefined) throw new UsageError('-o OUT.pdf is required');
  if (v.server !== undefined) return remoteSign(v, input, output, v.server);
  checkLocalOptions(v);
  const level = v.level ?? (v.tsa !== undefined ? 'B-T' : 'B-B');
  if (level !== 'B-B' && level !== 'B-T' && level !== 'B-LT' && level !== 'B-LTA') throw new UsageError(`--level ${level} is not supported (B-B, B-T, B-LT or B-LTA)`);
  if (level !== 'B-B' && v.tsa === undefined) throw new UsageError(`--level ${level} needs --tsa URL`);
  const ltv = level === 'B-LT' || level === 'B-LTA';
  if (!ltv && (v.crl !== undefined || v.trust !== undefined || v.offline)) throw new UsageError('--crl/--trust/--offline are for --level B-LT or B-LTA');
  if ((v.page !== undefined || v.rect !== undefined || v.image !== undefined || v.qr !== undefined) && !v.visible) {
    throw new UsageError('--page/--rect/--image/--qr need --visible');
  }
  let certify: 1 | 2 | 3 | undefined;
  if (v.certify !== undefined) {
    if (!['1', '2', '3'].includes(v.certify)) throw new UsageError('--certify must be 1, 2 or 3');
    certify = Number(v.certify) as 1 | 2 | 3;
  }
  const subFilter = v.subfilter ?? 'ETSI.CAdES.detached';
  if (subFilter !== 'ETSI.CAdES.detached' && subFilter !== 'adbe.pkcs7.detached') {
    throw new UsageError('--subfilter must be ETSI.CAdES.detached or adbe.pkcs7.detached');
  }
  const hash = v.hash ?? 'SHA-256';
  if (hash !== 'SHA-256' && hash !== 'SHA-384' && hash !== 'SHA-512') throw new UsageError('--hash must be SHA-256, SHA-384 or SHA-512');
  const options: SignPdfOptions = {
    level,
    subFilter,
    // only when given: an SM2 key signs with SM3 and refuses an explicit SHA-2 choice
    ...(v.hash !== undefined ? { hash } : {}),
    ...(v['rsa-pss'] ? { rsaScheme: 'RSA-PSS' as const } : {}),
    ...(v.tsa !== undefined ? { tsaUrl: v.tsa } : {}),
    ...(v.reason !== undefined ? { reason: v.reason } : {}),
    ...(v.location !== undefined ? { location: v.location } : {}),
    ...(v.field !== undefined ? { field: v.field } : {}),
    ...(certify !== undefined ? { certify } : {}),
  };
  if (ltv) {
    const trustAnchors = (v.trust ?? []).flatMap((p) => certificatesFromPemOrDer(readInputFile(p, 'trust file')));
    options.ltv = {
      crls: (v.crl ?? []).map((p) => readInputFile(p, 'CRL')),
      ...(trustAnchors.length ? { trustAnchors } : {}),
      ...(v.offline ? {} : { fetcher: createHttpRevocationFetcher({ timeoutMs: 3000 }) }),
    };
  }
  if (v.visible) {
    if (v.rect === undefined) throw new UsageError('--visible needs --rect x,y,w,h');
    const page = v.page === undefined ? 1 : Number(v.page);
    if (!Number.isInteger(page) || page < 1) throw new UsageError('--page must be a positive integer');
    options.visible = {
      page,
      rect: parseRect(v.rect),
      ...(v.image !== undefined ? { image: readInputFile(v.image, 'image') } : {}),
      ...(v.qr !== undefined ? { qr: v.qr } : {}),
    };
  }
  const keyFiles = keyFilesFrom(v);
  const pdf = readInputFile(input, 'input PDF');
  const signer = loadSignerFromKeyFiles(keyFiles, v.chain ?? []);
  const { input: head, update } = await signPdfParts(pdf, signer, options);
  // Input and update written as they are: the sealed file is never assembled in memory.
  writeFileAtomically(output, [head, update]);
  process.stderr.write(`sealed ${input} -> ${output}\n`);
  return 0;
}
