/**
 * Graceful shutdown: close() while sealing requests are in flight. Every request that got a
 * success answer is in the usage log after the database is reopened, and the log verifies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '@seal/registry';
import { CERTS_DEV, startHarness } from './testing/harness.js';

const pem = (name: string) => readFileSync(join(CERTS_DEV, name), 'utf8');

describe('graceful shutdown', () => {
  it('drains in-flight sealings and flushes the log before closing', async () => {
    const h = await startHarness({ threads: 1 });
    const a = h.creds.agencies[0]!;
    const op = h.client(0, 'operator');
    const jobs = Array.from({ length: 30 }, (_, i) => op.sealJson(a.seals[i % 2]!.id, { payload: { i } }).then((r) => r.logEntry.index, () => null));
    // Close as soon as the first answer is out, while the others are in flight.
    await Promise.race(jobs);
    const closing = h.server.close();
    const answered = (await Promise.all(jobs)).filter((x): x is number => x !== null);
    await closing;
    expect(answered.length).toBeGreaterThan(1);

    const registry = await openRegistry({
      file: join(h.dataDir, 'registry.db'),
      masterSecret: readFileSync(join(h.dataDir, 'master-secret'), 'utf8').trim(),
      issuingCa: { certPem: pem('seal-ca.pem') + pem('root-ca.pem'), keyPem: pem('seal-ca.key.pem') },
      ocspResponder: { certPem: pem('ocsp.pem'), keyPem: pem('ocsp.key.pem') },
      baseUrl: h.server.url,
      kdf: { N: 1 << 10 },
    });
    try {
      for (const index of answered) expect(registry.usageLog.getEntry(index)?.sealId).toMatch(/^seal_/);
      expect(registry.verifyLog().ok).toBe(true);
    } finally {
      await registry.close();
      await h.close().catch(() => undefined);
    }
  });
});
