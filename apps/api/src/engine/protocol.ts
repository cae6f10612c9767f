/** Messages between the engine pool and its workers (structured-clone safe). */
import type { MessagePort } from 'node:worker_threads';
import type { KeyType } from '@seal/core';
import type { SealJsonInput, SealPdfInput, TrustInput } from '../deps.js';

export interface SignerDescription {
  keyType: KeyType;
  curve?: string;
  keySizeBits: number;
  certificateChain: Uint8Array[];
}

export type WorkerTask =
  | { op: 'signPdf'; input: SealPdfInput; signer: SignerDescription; port: MessagePort }
  | { op: 'signJson'; input: SealJsonInput; signer: SignerDescription; port: MessagePort }
  | { op: 'verifyPdf'; pdf: Uint8Array; trust: TrustInput }
  | { op: 'verifyJson'; jws: string; payload: Uint8Array | null; trust: TrustInput };

/** A SealError crossing the thread boundary (Error subclasses do not survive structured clone). */
export interface WorkerError {
  sealCode: string;
  sealMessage: string;
}
