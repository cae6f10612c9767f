/**
 * `seal json sign IN.json -o OUT KEY [--chain PEM]... [--format compact|json] [--detached]
 *      [--canonical] [--tsa URL] [--alg ALG] [--co-seal JWS]`
 * `seal json sign IN.json -o OUT --server URL --api-key KEY --seal ID [--format compact|json]
 *      [--detached] [--canonical]`: sealed by a running service (apps/cli/src/remote.ts).
 * `seal json verify IN [--payload FILE] [--trust PEM]... [--crl FILE]... [--at ISO-8601] [--json] [--offline]`
 * Thin layer over signJson / verifyJson. Output files are written to a temporary name and renamed,
 * so a failure never leaves a partial OUT behind.
 */
import { basename } from 'node:path';
import {
  InputInvalidError,
  UsageError,
  SIGNING_ALGORITHMS,
  certificatesFromPemOrDer,
  createHttpRevocationFetcher,
  createHttpTimestamper,
  exitCodeForReport,
  loadSignerFromKeyFiles,
  parseJsonStrict,
  signJson,
  verifyJson,
  type JwsAlgorithm,
  type SignatureReport,
  type VerificationReport,
  type VerifyJsonOptions,
} from '@seal/core';
import { KEY_OPTIONS, OFFLINE_OPTION, SIGN_OPTIONS, TSA_OPTION, VERIFY_OPTIONS, keyFilesFrom, parse, parseAt, subcommand } from '../args.js';
import { readInputFile, writeFileAtomically } from '../files.js';
import { REMOTE_OPTIONS, checkLocalOptions, checkRemoteOptions, sealRemote } from '../remote.js';

const JSON_SIGN_OPTIONS = {
  ...SIGN_OPTIONS,
  ...REMOTE_OPTIONS,
  format: { type: 'string' },
  detached: { type: 'boolean' },
  canonical: { type: 'boolean' },
  alg: { type: 'string' },
  'co-seal': { type: 'string' },
} as const;

/** Options that only make sense with a local key (the service holds the key, chain and TSA). */
const LOCAL_ONLY = [...Object.keys(KEY_OPTIONS), ...Object.keys(TSA_OPTION), 'alg', 'co-seal'];

const JSON_VERIFY_OPTIONS = {
  ...VERIFY_OPTIONS,
  ...OFFLINE_OPTION,
  payload: { type: 'string' },
} as const;

/** Largest file the JSON commands read (sealed JSON documents are records, not archives). */
const MAX_FILE_BYTES = 32 * 1024 * 1024;

function readInput(path: string, what: string): Uint8Array {
  return readInputFile(path, what, MAX_FILE_BYTES);
}

async function signCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, JSON_SIGN_OPTIONS, { min: 1, max: 1, names: 'IN.json' });
  const input = positionals[0]!;
  if (v.output === undefined) throw new UsageError('-o OUT is required');
  if (v.format !== undefined && v.format !== 'compact' && v.format !== 'json') throw new UsageError('--format must be compact or json');
  if (v.tsa !== undefined && v.format === 'compact') throw new UsageError('--tsa (B-T) needs --format json: the time-stamp lives in the unprotected header');
  if (v['co-seal'] !== undefined && v.format === 'compact') throw new UsageError('--co-seal produces the JSON format');
  if (v.alg !== undefined && !(SIGNING_ALGORITHMS as readonly string[]).includes(v.alg)) throw new UsageError(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  if (v.tsa !== undefined && !/^https?:\/\//i.test(v.tsa)) throw new UsageError('--tsa must be an http(s) URL');
  if (v.server !== undefined) {
    checkRemoteOptions(v, LOCAL_ONLY);
    parseJsonStrict(readInput(input, 'input JSON'));
    const format = v.format === 'json' ? 'json' : 'compact';
    const index = await sealRemote({
      kind: 'json',
      input,
      output: v.output,
      server: v.server,
      apiKey: v['api-key'],
      sealId: v.seal,
      json: { format, detached: v.detached === true, canonical: v.canonical === true },
    });
    process.stderr.write(`sealed ${input} -> ${v.output} by ${v.server} (${format}, usage-log entry ${index})\n`);
    return 0;
  }
  checkLocalOptions(v);
  const keyFiles = keyFilesFrom(v);
  const payload = readInput(input, 'input JSON');
  // A JSON seal seals JSON: refuse anything the strict parser refuses (duplicate names, bad UTF-8 ...).
  parseJsonStrict(payload);
  const coSealOf = v['co-seal'] !== undefined ? readInput(v['co-seal'], 'JWS to co-seal') : undefined;
  const signer = loadSignerFromKeyFiles(keyFiles, v.chain ?? []);
  const result = await signJson(payload, {
    signer,
    format: v.format === 'compact' || v.format === 'json' ? v.format : v.tsa !== undefined || coSealOf !== undefined ? 'json' : 'compact',
    detached: v.detached === true,
    canonical: v.canonical === true,
    ...(v.alg !== undefined ? { alg: v.alg as JwsAlgorithm } : {}),
    ...(v.tsa !== undefined ? { timestamper: createHttpTimestamper(v.tsa) } : {}),
    ...(coSealOf !== undefined ? { coSealOf } : {}),
  });
  writeFileAtomically(v.output, result.format === 'compact' ? `${result.jws}\n` : `${result.jws}\n`);
  process.stderr.write(`sealed ${input} -> ${v.output} (${result.alg}, JAdES ${result.level}, ${result.format}${v.detached ? ', detached' : ''}${v.canonical ? ', canonical' : ''})\n`);
  return 0;
}

function describe(s: SignatureReport, i: number): string {
  const lines = [
    `Signature #${i + 1}${typeof s['counterSignatureOf'] === 'number' ? ` (counter-signature of #${(s['counterSignatureOf'] as number) + 1})` : ''}: ${s.indication}${s.subIndication ? ` (${s.subIndication})` : ''}`,
    `  signer:        ${s.signer?.subject ?? '-'}`,
    `  issuer:        ${s.signer?.issuer ?? '-'}`,
    `  algorithm:     ${typeof s['alg'] === 'string' ? s['alg'] : '-'}${s['canonical'] === true ? ' over the RFC 8785 canonical payload' : ''}`,
    `  signing time:  ${s.signingTime ?? '-'}${s.signingTimeSource ? ` (${s.signingTimeSource})` : ''}`,
    `  level:         ${s.level ?? '-'}`,
    `  trusted:       ${s.trusted ? 'yes' : 'no'}`,
    `  revocation:    ${s.revocation.status}${s.revocation.reason ? ` (${s.revocation.reason}, ${s.revocation.revokedAt ?? '?'})` : ''}`,
  ];
  if (s.timestamp) lines.push(`  time-stamp:    ${s.timestamp.time} by ${s.timestamp.tsa ?? '?'} (${s.timestamp.valid ? 'valid' : 'INVALID'}${s.timestamp.trusted ? ', trusted' : ''})`);
  for (const e of s.errors ?? []) lines.push(`  error:   ${e}`);
  for (const w of s.warnings ?? []) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

function printReport(report: VerificationReport): void {
  const out = [`Verification: ${report.indication}`, ...report.signatures.map(describe)];
  process.stdout.write(`${out.join('\n')}\n`);
}

async function verifyCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, JSON_VERIFY_OPTIONS, { min: 1, max: 1, names: 'IN' });
  const at = parseAt(v.at);
  const trustAnchors = (v.trust ?? []).flatMap((p) => {
    const certs = certificatesFromPemOrDer(readInput(p, 'trust file'));
    if (certs.length === 0) throw new InputInvalidError(`no certificate in the trust file ${p}`);
    return certs;
  });
  const crls = (v.crl ?? []).map((p) => readInput(p, 'CRL'));
  const input = readInput(positionals[0]!, 'input');
  const options: VerifyJsonOptions = {
    trustAnchors,
    crls,
    maxBytes: MAX_FILE_BYTES,
    ...(at !== undefined ? { at } : {}),
    ...(v.offline ? {} : { fetcher: createHttpRevocationFetcher() }),
  };
  if (v.payload !== undefined) {
    const payload = readInput(v.payload, 'payload');
    options.payload = payload;
    options.detachedObjects = { [basename(v.payload)]: payload };
  }
  const report = await verifyJson(input, options);
  if (v.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else printReport(report);
  return exitCodeForReport(report);
}

export async function jsonCommand(argv: string[]): Promise<number> {
  const [sub, rest] = subcommand('json', argv, ['sign', 'verify']);
  return sub === 'sign' ? signCommand(rest) : verifyCommand(rest);
}
