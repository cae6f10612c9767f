/** The worker side of the engine pool: runs the in-process engine with a Signer proxied to the main thread. */
import { workerData, type MessagePort } from 'node:worker_threads';
import { SealError, type SignRequest, type Signer } from '@seal/core';
import { createLocalEngine, type LocalEngineOptions } from './local.js';
import type { SignerDescription, WorkerError, WorkerTask } from './protocol.js';

// Options come from the pool (workerData) so workers seal like the main thread would.
const engine = createLocalEngine((workerData as { engine?: LocalEngineOptions } | null)?.engine ?? {});

function proxySigner(d: SignerDescription, port: MessagePort): Signer {
  let next = 0;
  const pending = new Map<number, { resolve: (v: Uint8Array) => void; reject: (e: unknown) => void }>();
  port.on('message', (msg: { id: number; signature?: Uint8Array; error?: { code: string; message: string } }) => {
    const p = pending.get(msg.id);
    if (p === undefined) return;
    pending.delete(msg.id);
    if (msg.signature !== undefined) p.resolve(msg.signature);
    else p.reject(new SealError((msg.error?.code ?? 'ERR_KEY_UNAVAILABLE') as SealError['code'], msg.error?.message ?? 'signing failed'));
  });
  const s: Signer = {
    keyType: d.keyType,
    keySizeBits: d.keySizeBits,
    certificateChain: d.certificateChain,
    sign(tbs: Uint8Array, request: SignRequest): Promise<Uint8Array> {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        port.postMessage({ id, tbs, request });
      });
    },
  };
  if (d.curve !== undefined) return { ...s, curve: d.curve };
  return s;
}

/** Results travel as an envelope: SealErrors keep their code, anything else stays an internal error. */
export type Envelope = { value: unknown } | { error: WorkerError };

export default async function run(task: WorkerTask): Promise<Envelope> {
  try {
    return { value: await dispatch(task) };
  } catch (err) {
    if (err instanceof SealError && err.code !== 'ERR_INTERNAL') return { error: { sealCode: err.code, sealMessage: err.message } };
    throw err;
  }
}

async function dispatch(task: WorkerTask): Promise<unknown> {
  {
    switch (task.op) {
      case 'signPdf':
        try {
          return await engine.signPdf(task.input, proxySigner(task.signer, task.port));
        } finally {
          task.port.close();
        }
      case 'signJson':
        try {
          return await engine.signJson(task.input, proxySigner(task.signer, task.port));
        } finally {
          task.port.close();
        }
      case 'verifyPdf':
        return await engine.verifyPdf(task.pdf, task.trust);
      case 'verifyJson':
        return await engine.verifyJson(task.jws, task.payload, task.trust);
    }
  }
}
