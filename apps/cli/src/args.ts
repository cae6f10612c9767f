/** Argument parsing shared by every command: node:util parseArgs, usage errors as exit 64. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '@seal/core';

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

/** Options shared by every verify command. */
export const VERIFY_OPTIONS = {
  trust: { type: 'string', multiple: true },
  crl: { type: 'string', multiple: true },
  at: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Options;

/** Split a sub-command off argv, failing with a usage error listing the known ones. */
export function subcommand(group: string, argv: string[], known: readonly string[]): [string, string[]] {
  const [sub, ...rest] = argv;
  if (sub === undefined || !known.includes(sub)) {
    throw new UsageError(`'seal ${group}' needs one of: ${known.join(', ')}`);
  }
  return [sub, rest];
}
