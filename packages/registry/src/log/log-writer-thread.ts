/** The writer thread of threadLogWriter: its own connection, one transaction per group commit. */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, RegistryStore } from '../store/store.js';
import { decodeBatch, type WriterReply, type WriterRequest } from './log-writer.js';

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
      const { leaves, checkpoint } = decodeBatch(m.batch);
      store.appendLeaves(leaves, checkpoint);
      reply = { id: m.id };
    } catch (err) {
      reply = { id: m.id, error: err instanceof Error ? err.message : 'append failed' };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true } satisfies WriterReply);
}
