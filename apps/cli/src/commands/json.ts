/**
 * `seal json sign IN.json -o OUT KEY [--chain PEM]... [--format compact|json] [--detached]
 *      [--canonical] [--tsa URL] [--alg ALG] [--co-seal JWS]`
 * `seal json sign IN.json -o OUT --server URL --api-key KEY --seal ID [--format compact|json]
 *      [--detached] [--canonical]`: sealed by a running service (apps/cli/src/remote.ts).
 * `seal json verify IN [--payload FILE] [--trust PEM]... [--crl FILE]... [--at ISO-8601] [--json] [--offline]`
 * Thin layer over signJson / verifyJson. Output files are written to a temporary name and renamed,
 * so a failure never leaves a partial OUT behind.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
  type KeyFiles,
  type SignatureReport,
  type VerificationReport,
  type VerifyJsonOptions,
} from '@seal/core';
import { KEY_OPTIONS, VERIFY_OPTIONS, parse, subcommand } from '../args.js';
import { REMOTE_OPTIONS, sealRemote } from '../remote.js';

const SIGN_OPTIONS = {
  ...KEY_OPTIONS,
  ...REMOTE_OPTIONS,
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  detached: { type: 'boolean' },
  canonical: { type: 'boolean' },
  tsa: { type: 'string' },
  alg: { type: 'string' },
  'co-seal': { type: 'string' },
} as const;

const JSON_VERIFY_OPTIONS = {
  ...VERIFY_OPTIONS,
  payload: { type: 'string' },
  offline: { type: 'boolean' },
} as const;

/** Largest file the JSON commands read (sealed JSON documents are records, not archives). */
const MAX_FILE_BYTES = 32 * 1024 * 1024;

function readInput(path: string, what: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    throw new InputInvalidError(`cannot read the ${what} ${path}`);
  }
  if (data.length > MAX_FILE_BYTES) throw new InputInvalidError(`the ${what} ${path} is larger than ${MAX_FILE_BYTES} bytes`);
  return data;
}

function keyFilesFrom(v: { p12?: string; password?: string; cert?: string; key?: string; 'key-password'?: string }): KeyFiles {
  if (v.p12 !== undefined) {
    if (v.cert !== undefined || v.key !== undefined) throw new UsageError('give either --p12 or --cert/--key, not both');
    if (v.password === undefined) throw new UsageError('--p12 needs --password');
    return { p12: v.p12, password: v.password };
  }
  if (v.cert === undefined || v.key === undefined) throw new UsageError('a key is required: --p12 FILE --password PW, or --cert PEM --key PEM');
  return { cert: v.cert, key: v.key, ...(v['key-password'] !== undefined ? { keyPassword: v['key-password'] } : {}) };
}

function writeAtomically(output: string, data: string): void {
  const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data, { flag: 'wx' });
    renameSync(tmp, output);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new InputInvalidError(`cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

async function signCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, SIGN_OPTIONS, { min: 1, max: 1, names: 'IN.json' });
  const input = positionals[0]!;
  if (v.output === undefined) throw new UsageError('-o OUT is required');
  if (v.format !== undefined && v.format !== 'compact' && v.format !== 'json') throw new UsageError('--format must be compact or json');
  if (v.tsa !== undefined && v.format === 'compact') throw new UsageError('--tsa (B-T) needs --format json: the time-stamp lives in the unprotected header');
  if (v['co-seal'] !== undefined && v.format === 'compact') throw new UsageError('--co-seal produces the JSON format');
  if (v.alg !== undefined && !(SIGNING_ALGORITHMS as readonly string[]).includes(v.alg)) throw new UsageError(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  if (v.tsa !== undefined && !/^https?:\/\//i.test(v.tsa)) throw new UsageError('--tsa must be an http(s) URL');
  if (v.server !== undefined) {
    for (const name of ['p12', 'password', 'cert', 'key', 'key-password', 'chain', 'tsa', 'alg', 'co-seal'] as const) {
      if (v[name] !== undefined) throw new UsageError(`--${name} is for local sealing; with --server the service holds the key`);
    }
    if (v['api-key'] === undefined && process.env['SEAL_API_KEY'] === undefined) throw new UsageError('--server needs --api-key KEY (or SEAL_API_KEY)');
    if (v.seal === undefined) throw new UsageError('--server needs --seal ID');
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
  if (v['api-key'] !== undefined || v.seal !== undefined) throw new UsageError('--api-key and --seal go with --server URL');
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
  writeAtomically(v.output, result.format === 'compact' ? `${result.jws}\n` : `${result.jws}\n`);
  process.stderr.write(`sealed ${input} -> ${v.output} (${result.alg}, JAdES ${result.level}, ${result.format}${v.detached ? ', detached' : ''}${v.canonical ? ', canonical' : ''})\n`);
  return 0;
}

function parseAt(at: string | undefined): Date | undefined {
  if (at === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(at) || Number.isNaN(Date.parse(at))) {
    throw new UsageError('--at must be an ISO-8601 date or date-time');
  }
  return new Date(at);
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
  const crls = (v.crl ?? []).map((p) => new Uint8Array(readInput(p, 'CRL')));
  const input = readInput(positionals[0]!, 'input');
  const options: VerifyJsonOptions = {
    trustAnchors,
    crls,
    maxBytes: MAX_FILE_BYTES,
    ...(at !== undefined ? { at } : {}),
    ...(v.offline ? {} : { fetcher: createHttpRevocationFetcher() }),
  };
  if (v.payload !== undefined) {
    const payload = new Uint8Array(readInput(v.payload, 'payload'));
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
