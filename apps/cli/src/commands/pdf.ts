import { SealError } from '@seal/core';
import { subcommand } from '../args.js';
import { pdfSignCommand } from './pdf-sign.js';
import { pdfVerifyCommand } from './pdf-verify.js';
import { pdfExtendCommand } from './pdf-extend.js';

/** `seal pdf <sub>`: the subcommands, in the order the usage message lists them. */
const SUBCOMMANDS: Readonly<Record<string, (argv: string[]) => Promise<number>>> = {
  sign: pdfSignCommand,
  extend: pdfExtendCommand,
  verify: pdfVerifyCommand,
};

export async function pdfCommand(argv: string[]): Promise<number> {
  const [sub, rest] = subcommand('pdf', argv, Object.keys(SUBCOMMANDS));
  const run = SUBCOMMANDS[sub];
  // subcommand() accepts only the names above (a usage error otherwise): this cannot happen.
  if (run === undefined) throw new SealError('ERR_INTERNAL', `no handler for 'seal pdf ${sub}'`);
  return run(rest);
}
