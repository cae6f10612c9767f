import { NotImplementedError } from '@seal/core';
import { subcommand } from '../args.js';

export async function ofdCommand(argv: string[]): Promise<number> {
  const [sub] = subcommand('ofd', argv, ['verify']);
  throw new NotImplementedError(`seal ofd ${sub}`, 'issue 9');
}
