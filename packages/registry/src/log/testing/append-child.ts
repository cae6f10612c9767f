/**
 * Crash-test child: appends usage entries forever, 64 concurrent appends at a time, and prints
 * each acknowledged (committed) index on its own line. Usage: append-child DBFILE [thread]. The parent SIGKILLs it mid-stream.
 */
import { openDevRegistry } from '../../testing/fixtures.js';

const file = process.argv[2];
if (!file) throw new Error('usage: append-child DBFILE');
// argv[3] 'thread': group commits through the worker-thread writer (as the HTTP server does)
const reg = await openDevRegistry(file, process.argv[3] === 'thread' ? { logWriter: 'thread' } : {});
const hash = (i: number): string => i.toString(16).padStart(64, '0');
let n = 0;
for (;;) {
  const batch = Array.from({ length: 64 }, () => {
    const i = n++;
    return reg
      .appendUsage({ sealId: 'seal_crash', agencyId: 'ag_crash', accountId: 'acc_crash', documentKind: 'pdf', documentSha256: hash(i), signatureSha256: hash(i + 1) })
      .then((r) => process.stdout.write(`${r.index}\n`));
  });
  await Promise.all(batch);
}
