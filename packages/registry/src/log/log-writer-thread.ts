/** The writer thread of threadLogWriter: its own connection, one transaction per group commit. */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, RegistryStore, type LeafRow } from '../store/store.js';
import type { WriterReply, WriterRequest } from './log-writer.js';

/** Structured clone turns Buffers into plain Uint8Arrays; SQLite binds Buffers as BLOBs. */
const blob = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function runLogWriter(): void {
  const port = parentPort;
  if (port === null) throw new Error('runLogWriter runs in a worker thread');
  const store = new RegistryStore(openDatabase((workerData as { file: string }).file));
  port.on('message', (m: WriterRequest) => {
    if (m.op === 'close') {
      store.close();
      port.close();
      return;
    }
    let reply: WriterReply;
    try {
      const leaves: LeafRow[] = m.leaves.map((l) => ({ ...l, leafHash: blob(l.leafHash) }));
      store.appendLeaves(leaves, { ...m.checkpoint, rootHash: blob(m.checkpoint.rootHash), frontier: blob(m.checkpoint.frontier) });
      reply = { id: m.id };
    } catch (err) {
      reply = { id: m.id, error: err instanceof Error ? err.message : 'append failed' };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true } satisfies WriterReply);
}
