import { NotImplementedError } from '@seal/core';

export async function serveCommand(_argv: string[]): Promise<number> {
  throw new NotImplementedError('seal serve', 'issue 7');
}
