/**
 * Where the usage log's group commits are written. A commit is one SQLite transaction with
 * synchronous=FULL: on the event loop it would stall every request for the fsync, so a server
 * writes through its own connection in a worker thread (`threadLogWriter`). The Merkle frontier
 * and the checkpoint signature stay with UsageLog on the calling thread; the writer only stores
 * rows, in the order it gets them, and answers once they are durable.
 */
import { Worker } from 'node:worker_threads';
import { SealError } from '@seal/core';
import type { CheckpointRow, LeafRow, RegistryStore } from '../store/store.js';

export interface LogWriter {
  /** Store the leaves and the checkpoint covering them in one durable transaction. */
  write(leaves: readonly LeafRow[], checkpoint: CheckpointRow): Promise<void>;
  close(): Promise<void>;
}

/** Commits on the caller's thread, through the registry's own connection (in-memory databases, tools, tests). */
export function inlineLogWriter(store: RegistryStore): LogWriter {
  return {
    async write(leaves, checkpoint) {
      store.appendLeaves(leaves, checkpoint);
    },
    async close() {},
  };
}

/** Messages to and from the writer thread (log-writer-thread.ts). */
export type WriterRequest = { op: 'write'; id: number; batch: string } | { op: 'close' };

/**
 * A batch crosses to the writer thread as one JSON string (hashes in hex): structured clone of
 * many small objects with byte arrays costs several times more than that.
 */
export function encodeBatch(leaves: readonly LeafRow[], checkpoint: CheckpointRow): string {
  const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return JSON.stringify({
    leaves: leaves.map((l) => ({ ...l, leafHash: hex(l.leafHash) })),
    checkpoint: { ...checkpoint, rootHash: hex(checkpoint.rootHash), frontier: hex(checkpoint.frontier) },
  });
}

export function decodeBatch(batch: string): { leaves: LeafRow[]; checkpoint: CheckpointRow } {
  type Hexed<T, K extends keyof T> = Omit<T, K> & { [P in K]: string };
  const raw = JSON.parse(batch) as { leaves: Hexed<LeafRow, 'leafHash'>[]; checkpoint: Hexed<CheckpointRow, 'rootHash' | 'frontier'> };
  return {
    leaves: raw.leaves.map((l) => ({ ...l, leafHash: Buffer.from(l.leafHash, 'hex') })),
    checkpoint: { ...raw.checkpoint, rootHash: Buffer.from(raw.checkpoint.rootHash, 'hex'), frontier: Buffer.from(raw.checkpoint.frontier, 'hex') },
  };
}
export type WriterReply = { ready: true } | { id: number; error?: string };

/**
 * Commits in a worker thread with its own connection to `file` (WAL mode lets the registry's
 * connection read alongside). If the thread fails, every pending and later write is refused:
 * no seal use can be acknowledged without its log entry.
 */
export async function threadLogWriter(file: string): Promise<LogWriter> {
  const worker = new Worker(new URL('./log-writer-worker.mjs', import.meta.url), { workerData: { file } });
  const pending = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  let next = 0;
  let broken: SealError | null = null;
  const fail = (why: string): void => {
    broken ??= new SealError('ERR_INTERNAL', `usage log writer stopped: ${why}`);
    for (const p of pending.values()) p.reject(broken);
    pending.clear();
  };
  await new Promise<void>((resolve, reject) => {
    worker.once('message', (m: WriterReply) => ('ready' in m ? resolve() : reject(new SealError('ERR_INTERNAL', 'usage log writer did not start'))));
    worker.once('error', (err) => reject(new SealError('ERR_INTERNAL', 'usage log writer did not start', { cause: err })));
  });
  worker.on('message', (m: WriterReply) => {
    if ('ready' in m) return;
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (m.error === undefined) p.resolve();
    else p.reject(new SealError('ERR_INTERNAL', 'usage log append failed', { cause: new Error(m.error) }));
  });
  worker.on('error', (err) => fail(err.message));
  worker.on('exit', (code) => fail(`exit ${code}`));
  // The thread must not keep a finished process alive; pending writes hold a reference.
  worker.unref();
  return {
    write(leaves, checkpoint) {
      if (broken !== null) return Promise.reject(broken);
      const id = next++;
      return new Promise<void>((resolve, reject) => {
        if (pending.size === 0) worker.ref();
        pending.set(id, {
          resolve: () => {
            if (pending.size === 0) worker.unref();
            resolve();
          },
          reject,
        });
        worker.postMessage({ op: 'write', id, batch: encodeBatch(leaves, checkpoint) } satisfies WriterRequest);
      });
    },
    async close() {
      if (broken !== null) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      worker.postMessage({ op: 'close' } satisfies WriterRequest);
      await exited;
    },
  };
}
