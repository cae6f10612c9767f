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
export type WriterRequest = { op: 'write'; id: number; leaves: readonly LeafRow[]; checkpoint: CheckpointRow } | { op: 'close' };
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
        worker.postMessage({ op: 'write', id, leaves, checkpoint } satisfies WriterRequest);
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
