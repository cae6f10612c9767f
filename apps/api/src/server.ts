/**
 * `startServer`: what `seal serve` / `pnpm start` runs. Opens (or creates) the registry under the
 * data directory with the dev PKI as issuing CA, OCSP responder and trust anchor, creates the
 * demo data on first start, starts the worker pool and listens. `close()` drains in-flight
 * requests (Fastify close), then closes the registry (which flushes the usage log).
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createServer as createNetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { SealError, createTimestampAuthority } from '@seal/core';
import { buildCrl, loadCertifiedSigner, openRegistry, type Registry } from '@seal/registry';
import { buildApp } from './app.js';
import type { ApiDeps, ApiLimits, EnginePort, TsaPort } from './deps.js';
import { ensureDemoData, type DevCredentials } from './demo.js';
import { createPooledEngine } from './engine/pool.js';
import { createLocalEngine } from './engine/local.js';

export interface ServeOptions {
  /** SQLite file (default <dataDir>/registry.db). */
  dbFile?: string;
  /** Where the database, credentials and dev master secret live (default ./data). */
  dataDir?: string;
  /** The dev PKI (default ./certs-dev). */
  certsDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Public base URL written into seal certificates (default http://HOST:PORT). */
  baseUrl?: string;
  /** Create demo agencies, accounts and seals on first start (default true). */
  demo?: boolean;
  /** Worker threads for sealing/verification; 0 runs them in-process. */
  threads?: number;
  limits?: Partial<ApiLimits>;
  logger?: ApiDeps['logger'];
  /** scrypt cost of the key store (tests lower it). */
  kdf?: { N: number };
  tsa?: TsaPort;
  plugins?: ApiDeps['plugins'];
}

export interface RunningServer {
  app: FastifyInstance;
  registry: Registry;
  /** The address actually listened on, e.g. http://127.0.0.1:8080 */
  url: string;
  credentials: DevCredentials | null;
  credentialsFile: string;
  close(): Promise<void>;
}

function readPem(dir: string, name: string): string {
  const file = join(dir, name);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new SealError('ERR_INPUT_INVALID', `missing ${file} (run 'pnpm dev-pki' to make the dev PKI)`);
  }
}

/** The dev master secret: the environment's if set, else a random one kept in the data directory. */
function masterSecret(dataDir: string): string {
  const env = process.env['SEAL_MASTER_SECRET'];
  if (env !== undefined && env.length >= 16) return env;
  const envFile = process.env['SEAL_MASTER_SECRET_FILE'];
  if (envFile) return readFileSync(envFile, 'utf8').trim();
  const file = join(dataDir, 'master-secret');
  if (!existsSync(file)) {
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

export function pemToDer(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
    out.push(new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/**
 * The dev root's own CRL (empty: the dev root revokes nothing), so that verifiers requiring
 * revocation data for every CA in the path can reach TOTAL_PASSED. Re-made daily, valid 7 days.
 * Only when the dev root's key is at hand (certs-dev); a production root publishes its own CRL.
 */
function rootCrlSource(certsDir: string, rootPem: string): (() => Promise<Uint8Array[]>) | null {
  const keyFile = join(certsDir, 'root-ca.key.pem');
  if (!existsSync(keyFile)) return null;
  const root = loadCertifiedSigner({ certPem: rootPem, keyPem: readFileSync(keyFile, 'utf8') });
  let cached: { der: Uint8Array; until: number } | null = null;
  let number = Math.floor(Date.now() / 1000);
  return async () => {
    const now = Date.now();
    if (cached === null || now > cached.until) {
      const thisUpdate = new Date(Math.floor(now / 1000) * 1000);
      const der = await buildCrl({ signer: root.signer, caCertificate: root.der, crlNumber: ++number, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 7 * 86_400_000), entries: [] });
      cached = { der, until: now + 86_400_000 };
    }
    return [cached.der];
  };
}

/** A port free right now: for `port: 0`, so that certificates name the URL we will really serve on. */
function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const a = srv.address();
      const p = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolvePort(p));
    });
  });
}

/** The dev TSA (certs-dev/tsa.pem, critical EKU timeStamping) behind POST /v1/tsa, if its key is there. */
export const DEV_TSA_POLICY = '1.3.6.1.4.1.99999.1.1';
function devTsa(certsDir: string): TsaPort | null {
  const cert = join(certsDir, 'tsa.pem');
  const key = join(certsDir, 'tsa.key.pem');
  if (!existsSync(cert) || !existsSync(key)) return null;
  const root = readFileSync(join(certsDir, 'root-ca.pem'), 'utf8');
  const { signer } = loadCertifiedSigner({ certPem: readFileSync(cert, 'utf8') + root, keyPem: readFileSync(key, 'utf8') });
  return createTimestampAuthority({ signer, policyOid: DEV_TSA_POLICY });
}

/** How this process reaches its own listener: a wildcard bind is reached on loopback. */
function localUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export async function startServer(o: ServeOptions = {}): Promise<RunningServer> {
  const host = o.host ?? process.env['HOST'] ?? '127.0.0.1';
  let port = o.port ?? (process.env['PORT'] !== undefined ? Number(process.env['PORT']) : 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SealError('ERR_USAGE', 'port must be 0..65535');
  if (port === 0) port = await freePort(host);
  const dataDir = resolve(o.dataDir ?? 'data');
  const dbFile = resolve(o.dbFile ?? join(dataDir, 'registry.db'));
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(dirname(dbFile), { recursive: true });
  const certsDir = resolve(o.certsDir ?? 'certs-dev');
  const rootPem = readPem(certsDir, 'root-ca.pem');
  const baseUrl = (o.baseUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');

  const registry = await openRegistry({
    file: dbFile,
    masterSecret: masterSecret(dataDir),
    issuingCa: { certPem: readPem(certsDir, 'seal-ca.pem') + rootPem, keyPem: readPem(certsDir, 'seal-ca.key.pem') },
    ocspResponder: { certPem: readPem(certsDir, 'ocsp.pem'), keyPem: readPem(certsDir, 'ocsp.key.pem') },
    baseUrl,
    // Group commits of the usage log are written off the event loop.
    logWriter: 'thread',
    ...(o.kdf ? { kdf: o.kdf } : {}),
    // SM2 seals (issue 9) when the dev PKI has the SM2 CA and seal maker (scripts/dev-pki-sm2.ts)
    ...(existsSync(join(certsDir, 'sm2-ca.pem')) && existsSync(join(certsDir, 'sm2-seal-maker.pem'))
      ? {
          sm2: {
            ca: { certPem: readPem(certsDir, 'sm2-ca.pem'), keyPem: readPem(certsDir, 'sm2-ca.key.pem') },
            sealMaker: { certPem: readPem(certsDir, 'sm2-seal-maker.pem') + readPem(certsDir, 'sm2-ca.pem'), keyPem: readPem(certsDir, 'sm2-seal-maker.key.pem') },
          },
        }
      : {}),
  });
  let engine: EnginePort | undefined;
  let app: FastifyInstance | undefined;
  try {
    const credentialsFile = join(dataDir, 'dev-credentials.json');
    const credentials = o.demo === false ? null : await ensureDemoData(registry, credentialsFile, baseUrl);
    const tsa = o.tsa ?? devTsa(certsDir);
    // B-T seals take their time-stamp from this service's own TSA route, at the address it
    // listens on (the public base URL may name a proxy or a host this machine cannot reach).
    const engineOptions = tsa === null ? { baseUrl } : { baseUrl, tsaUrl: `${localUrl(host, port)}/v1/tsa` };
    const inlineEngine = createLocalEngine(engineOptions);
    engine = o.threads === 0 ? inlineEngine : createPooledEngine({ engine: engineOptions, ...(o.threads === undefined ? {} : { threads: o.threads }) });
    // The service trusts the roots of its own CAs: the dev root, and the SM2 CA's root when there
    // is one, so its SM2 seals on PDFs and JSON verify as trusted too (OFD already did).
    const sm2Root = registry.sm2?.chain[registry.sm2.chain.length - 1];
    const trustAnchors = [...pemToDer(rootPem), ...(sm2Root === undefined ? [] : [sm2Root])];
    // Fail early on a broken trust anchor rather than on the first verification.
    for (const der of trustAnchors) new X509Certificate(der);
    const deps: ApiDeps = { registry, engine, inlineEngine, trustAnchors, baseUrl };
    const rootCrl = rootCrlSource(certsDir, rootPem);
    if (rootCrl !== null) deps.extraCrls = rootCrl;
    if (o.limits) deps.limits = o.limits;
    if (o.logger !== undefined) deps.logger = o.logger;
    if (tsa !== null) deps.tsa = tsa;
    if (o.plugins) deps.plugins = o.plugins;
    app = await buildApp(deps);
    const stopCrl = registry.startCrlSchedule();
    await app.listen({ host, port });
    const addr = app.server.address();
    const actualPort = typeof addr === 'object' && addr !== null ? addr.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
    const running: RunningServer = {
      app,
      registry,
      url,
      credentials,
      credentialsFile,
      async close() {
        stopCrl();
        // Drain: in-flight requests finish; keep-alive connections are closed as soon as they
        // go idle (else close() would wait for the keep-alive timeout); a hard stop after 30 s.
        const server = running.app.server;
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const hard = setTimeout(() => server.closeAllConnections(), 30_000);
        try {
          await running.app.close(); // then the onClose hook stops the engine pool
        } finally {
          clearInterval(idle);
          clearTimeout(hard);
        }
        await registry.close(); // flushes the usage log
      },
    };
    return running;
  } catch (err) {
    await app?.close().catch(() => undefined);
    await engine?.close?.().catch(() => undefined);
    await registry.close().catch(() => undefined);
    throw err;
  }
}
