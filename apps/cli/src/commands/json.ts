import { NotImplementedError } from '@seal/core';
import { subcommand } from '../args.js';

export async function jsonCommand(argv: string[]): Promise<number> {
  const [sub] = subcommand('json', argv, ['sign', 'verify']);
  throw new NotImplementedError(`seal json ${sub}`, 'issue 5');
}
