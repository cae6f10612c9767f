/** Argument parsing shared by every command: node:util parseArgs, usage errors as exit 64. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, type KeyFiles } from '@seal/core';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(argv: string[], options: T, positionals: { min: number; max: number; names: string }) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const n = parsed.positionals.length;
  if (n < positionals.min || n > positionals.max) {
    throw new UsageError(`expected ${positionals.names}`);
  }
  return parsed;
}

/** Options naming the signing key: --p12/--password or --cert/--key[/--key-password]. */
export const KEY_OPTIONS = {
  p12: { type: 'string' },
  password: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'key-password': { type: 'string' },
  chain: { type: 'string', multiple: true },
} as const satisfies Options;

/** `-o OUT`: every command that writes a file. */
export const OUTPUT_OPTION = {
  output: { type: 'string', short: 'o' },
} as const satisfies Options;

/** `--tsa URL`: the RFC 3161 time-stamping authority. */
export const TSA_OPTION = {
  tsa: { type: 'string' },
} as const satisfies Options;

/** Options of every local sealing command (`pdf sign`, `json sign`): KEY, -o OUT, --tsa URL. */
export const SIGN_OPTIONS = {
  ...KEY_OPTIONS,
  ...OUTPUT_OPTION,
  ...TSA_OPTION,
} as const satisfies Options;

/** `--trust PEM`... (anchors; with none nothing is trusted) and `--crl FILE`... (revocation data). */
const TRUST_AND_CRL_OPTIONS = {
  trust: { type: 'string', multiple: true },
  crl: { type: 'string', multiple: true },
} as const satisfies Options;

/** `--offline`: never fetch CRLs or OCSP answers from the certificates' URLs. */
export const OFFLINE_OPTION = {
  offline: { type: 'boolean' },
} as const satisfies Options;

/** Where validation data for B-LT/B-LTA comes from (`pdf sign`, `pdf extend`). */
export const VALIDATION_DATA_OPTIONS = {
  ...TRUST_AND_CRL_OPTIONS,
  ...OFFLINE_OPTION,
} as const satisfies Options;

/** Options shared by every verify command. */
export const VERIFY_OPTIONS = {
  ...TRUST_AND_CRL_OPTIONS,
  at: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Options;

/** The KEY options as the key loader's shape; usage errors for incomplete or mixed combinations. */
export function keyFilesFrom(v: { p12?: string; password?: string; cert?: string; key?: string; 'key-password'?: string }): KeyFiles {
  if (v.p12 !== undefined) {
    if (v.cert !== undefined || v.key !== undefined) throw new UsageError('give either --p12 or --cert/--key, not both');
    if (v.password === undefined) throw new UsageError('--p12 needs --password');
    return { p12: v.p12, password: v.password };
  }
  if (v.cert === undefined || v.key === undefined) throw new UsageError('a key is required: --p12 FILE --password PW, or --cert PEM --key PEM');
  return { cert: v.cert, key: v.key, ...(v['key-password'] !== undefined ? { keyPassword: v['key-password'] } : {}) };
}

/** Split a sub-command off argv, failing with a usage error listing the known ones. */
export function subcommand(group: string, argv: string[], known: readonly string[]): [string, string[]] {
  const [sub, ...rest] = argv;
  if (sub === undefined || !known.includes(sub)) {
    throw new UsageError(`'seal ${group}' needs one of: ${known.join(', ')}`);
  }
  return [sub, rest];
}

/**
 * `--at`, the validation time of every verify command: an ISO-8601 date (midnight UTC) or a
 * date-time with its zone (Z or +hh:mm), never a local time that depends on the machine. A bad
 * value is a usage error (64).
 */
export function parseAt(at: string | undefined): Date | undefined {
  if (at === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(at) || Number.isNaN(Date.parse(at))) {
    throw new UsageError('--at must be an ISO-8601 date, or a date-time with its zone (Z or +hh:mm)');
  }
  return new Date(at);
}
