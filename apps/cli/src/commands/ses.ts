import { NotImplementedError } from '@seal/core';
import { subcommand } from '../args.js';

export async function sesCommand(argv: string[]): Promise<number> {
  const [sub] = subcommand('ses', argv, ['verify']);
  throw new NotImplementedError(`seal ses ${sub}`, 'issue 9');
}
