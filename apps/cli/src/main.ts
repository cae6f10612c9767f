#!/usr/bin/env node
/**
 * `seal` entry point: dispatches to one module per command group and maps every SealError to
 * its exit code with a one-line message (no stack trace unless SEAL_DEBUG is set).
 */
import { SealError, toSealError } from '@seal/core/errors';
import { USAGE } from './usage.js';
import { COMMANDS } from './commands/index.js';

export async function main(argv: readonly string[]): Promise<number> {
  const [group, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    process.stdout.write(USAGE);
    return group === undefined ? 64 : 0;
  }
  const load = COMMANDS[group];
  if (load === undefined) {
    process.stderr.write(`seal: unknown command '${group}' (see 'seal --help')\n`);
    return 64;
  }
  try {
    const command = await load();
    return await command(rest);
  } catch (err) {
    const e = toSealError(err);
    if (process.env['SEAL_DEBUG']) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    const message = e.code === 'ERR_INTERNAL' && !(err instanceof SealError) ? `internal error: ${(err as Error)?.message ?? String(err)}` : e.message;
    process.stderr.write(`seal: ${message.split('\n')[0]}\n`);
    return e.exitCode;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`seal: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 70;
  },
);
