import { NotImplementedError } from '@seal/core';
import { subcommand } from '../args.js';

export async function pdfCommand(argv: string[]): Promise<number> {
  const [sub] = subcommand('pdf', argv, ['sign', 'extend', 'verify']);
  throw new NotImplementedError(`seal pdf ${sub}`, sub === 'verify' ? 'issue 4' : 'issue 3');
}
