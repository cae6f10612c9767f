/**
 * The sealing/verification engine behind a piscina worker-thread pool, so that CPU-heavy work
 * (hashing a 50 MB PDF, RSA, chain building) never blocks the event loop and /healthz stays fast.
 *
 * Keys never enter a worker: for sealing, the worker gets the certificate chain and a
 * MessagePort; its Signer sends the small to-be-signed bytes back over the port and the main
 * thread signs them with the registry's Signer. Nothing is compiled, so workers load tsx first
 * (worker.mjs registers it, then imports worker-impl.ts).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { SealError, type Signer, type SignRequest, type VerificationReport } from '@seal/core';
import type { EnginePort, SealJsonInput, SealPdfInput, TrustInput } from '../deps.js';
import type { LocalEngineOptions } from './local.js';
import type { SignerDescription, WorkerTask, WorkerError } from './protocol.js';

export interface PooledEngineOptions {
  /** Worker threads (default: available cores, at least 1, at most 4). */
  threads?: number;
  /** Most queued tasks before new ones are refused with ERR_UPSTREAM (503). */
  maxQueue?: number;
  /** Passed to each worker's local engine. */
  engine?: LocalEngineOptions;
}

function describe(signer: Signer): SignerDescription {
  const d: SignerDescription = { keyType: signer.keyType, keySizeBits: signer.keySizeBits, certificateChain: signer.certificateChain.map((c) => new Uint8Array(c)) };
  if (signer.curve !== undefined) d.curve = signer.curve;
  return d;
}

/** Serve the worker's sign requests on `port` with the real signer. */
function serveSigner(port: MessagePort, signer: Signer): void {
  port.on('message', (msg: { id: number; tbs: Uint8Array; request: SignRequest }) => {
    signer.sign(msg.tbs, msg.request).then(
      (sig) => port.postMessage({ id: msg.id, signature: sig }),
      (err: unknown) => {
        const code = err instanceof SealError ? err.code : 'ERR_KEY_UNAVAILABLE';
        port.postMessage({ id: msg.id, error: { code, message: err instanceof SealError ? err.message : 'signing failed' } });
      },
    );
  });
}

function rethrow(err: unknown): never {
  const e = err as { message?: string } | null;
  if (e && typeof e.message === 'string' && e.message.includes('Task queue is at limit')) {
    throw new SealError('ERR_UPSTREAM', 'the service is busy, try again');
  }
  throw new SealError('ERR_INTERNAL', 'internal error', { cause: err });
}

export function createPooledEngine(options: PooledEngineOptions = {}): EnginePort {
  const threads = options.threads ?? Math.max(1, Math.min(4, availableParallelism()));
  const pool = new Piscina({
    filename: new URL('./worker.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    maxQueue: options.maxQueue ?? 1000,
    idleTimeout: 60_000,
    workerData: { engine: options.engine ?? {} },
  });

  async function run<T>(task: WorkerTask, transferList: MessagePort[] = []): Promise<T> {
    let envelope: { value?: unknown; error?: WorkerError };
    try {
      envelope = (await pool.run(task, { transferList })) as { value?: unknown; error?: WorkerError };
    } catch (err) {
      rethrow(err);
    }
    if (envelope.error !== undefined) throw new SealError(envelope.error.sealCode as SealError['code'], envelope.error.sealMessage);
    return envelope.value as T;
  }

  async function withSigner<T>(signer: Signer, make: (port: MessagePort) => WorkerTask): Promise<T> {
    const { port1, port2 } = new MessageChannel();
    serveSigner(port1, signer);
    try {
      return await run<T>(make(port2), [port2]);
    } finally {
      port1.close();
    }
  }

  return {
    signPdf: (input: SealPdfInput, signer: Signer) =>
      withSigner(signer, (port) => ({ op: 'signPdf', input, signer: describe(signer), port })),
    signJson: (input: SealJsonInput, signer: Signer) =>
      withSigner(signer, (port) => ({ op: 'signJson', input, signer: describe(signer), port })),
    verifyPdf: (pdf: Uint8Array, trust: TrustInput) => run<VerificationReport>({ op: 'verifyPdf', pdf, trust }),
    verifyJson: (jws: string, payload: Uint8Array | null, trust: TrustInput) => run<VerificationReport>({ op: 'verifyJson', jws, payload, trust }),
    async close() {
      await pool.destroy();
    },
  };
}
