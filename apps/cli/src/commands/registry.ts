import { NotImplementedError } from '@seal/core';

export async function registryCommand(_argv: string[]): Promise<number> {
  throw new NotImplementedError('seal registry', 'issue 6');
}
