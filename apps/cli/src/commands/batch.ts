import { NotImplementedError } from '@seal/core';

export async function batchCommand(_argv: string[]): Promise<number> {
  throw new NotImplementedError('seal batch', 'issue 7');
}
