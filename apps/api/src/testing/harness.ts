/** Test harness: a real server (registry in a temp dir, dev PKI, demo data) on a loopback port. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SealClient } from '@seal/client';
import { startServer, type RunningServer, type ServeOptions } from '../server.js';
import type { DevCredentials } from '../demo.js';
import type { Account, SealRecord } from '@seal/registry';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CERTS_DEV = join(REPO_ROOT, 'certs-dev');

export interface Harness {
  server: RunningServer;
  creds: DevCredentials;
  dataDir: string;
  /** A client for an agency's role (0 = agency A, 1 = agency B), or anonymous. */
  client(agency?: 0 | 1, role?: 'admin' | 'officer' | 'operator' | 'auditor'): SealClient;
  /**
   * A new active seal of demo agency A, through the registry's dual control: requested by its
   * operator, approved and issued by its officer (both returned, for revoking or signing later).
   */
  issueSeal(o: { name: string; kind: SealRecord['kind']; algorithm: SealRecord['algorithm'] }): Promise<{ seal: SealRecord; operator: Account; officer: Account }>;
  close(): Promise<void>;
}

export async function startHarness(over: Partial<ServeOptions> = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'seal-api-'));
  const server = await startServer({
    dataDir,
    certsDir: CERTS_DEV,
    host: '127.0.0.1',
    port: 0,
    threads: 0,
    kdf: { N: 1 << 10 },
    logger: false,
    ...over,
  });
  const creds = server.credentials;
  if (creds === null) throw new Error('harness needs demo data');
  return {
    server,
    creds,
    dataDir,
    client(agency, role) {
      if (agency === undefined || role === undefined) return new SealClient({ baseUrl: server.url });
      const a = creds.agencies[agency];
      if (a === undefined) throw new Error('no such demo agency');
      return new SealClient({ baseUrl: server.url, apiKey: a.keys[role] });
    },
    async issueSeal(o) {
      const reg = server.registry;
      const a = creds.agencies[0]!;
      const operator = await reg.authenticate(a.keys.operator);
      const officer = await reg.authenticate(a.keys.officer);
      const req = reg.requestSeal(operator, { agencyId: a.id, ...o });
      reg.approveRequest(officer, req.id);
      return { seal: await reg.issueSeal(officer, req.id), operator, officer };
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
