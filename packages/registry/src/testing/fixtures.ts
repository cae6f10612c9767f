/** Test helpers: a registry over the committed dev PKI (certs-dev/) in a temp directory. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRegistry, type OpenRegistryOptions, type Registry } from '../registry.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const certsDev = (name: string): string => join(REPO_ROOT, 'certs-dev', name);
export const readDev = (name: string): string => readFileSync(certsDev(name), 'utf8');

export function tempDir(prefix = 'seal-registry-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const TEST_SECRET = 'test-master-secret-not-for-production';

export function devOptions(file: string, over: Partial<OpenRegistryOptions> = {}): OpenRegistryOptions {
  return {
    file,
    masterSecret: TEST_SECRET,
    issuingCa: { certPem: readDev('seal-ca.pem') + readDev('root-ca.pem'), keyPem: readDev('seal-ca.key.pem') },
    ocspResponder: { certPem: readDev('ocsp.pem'), keyPem: readDev('ocsp.key.pem') },
    baseUrl: 'http://127.0.0.1:8080',
    kdf: { N: 1 << 10 },
    ...over,
  };
}

export function openDevRegistry(file: string, over: Partial<OpenRegistryOptions> = {}): Promise<Registry> {
  return openRegistry(devOptions(file, over));
}
