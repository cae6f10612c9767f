import { NotImplementedError } from '@seal/core';
import { subcommand } from '../args.js';
import { pdfSignCommand } from './pdf-sign.js';
import { pdfVerifyCommand } from './pdf-verify.js';
import { pdfExtendCommand } from './pdf-extend.js';

export async function pdfCommand(argv: string[]): Promise<number> {
  const [sub, rest] = subcommand('pdf', argv, ['sign', 'extend', 'verify']);
  if (sub === 'sign') return pdfSignCommand(rest);
  if (sub === 'verify') return pdfVerifyCommand(rest);
  if (sub === 'extend') return pdfExtendCommand(rest);
  throw new NotImplementedError(`seal pdf ${sub}`, 'issue 4');
}
