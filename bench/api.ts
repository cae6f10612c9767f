/**
 * API benchmark (issue 7): JSON sealing and 1-page PDF sealing through the HTTP API (autocannon
 * on loopback, the server in its own process with its worker pool), side by side with the
 * library's own single-process rate measured in this run with the same kind of key.
 * Afterwards the usage log is reopened from disk: every 2xx answer must be a durable log entry.
 *
 *   pnpm bench api            (BENCH_SECONDS=10 by default, BENCH_CONNECTIONS=16)
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { createSoftwareSigner, signJson, signPdf, type Signer } from '../packages/core/src/index.js';
import { openRegistry } from '../packages/registry/src/index.js';
import { onePagePdf } from '../apps/api/src/testing/pdf.js';
import type { DevCredentials } from '../apps/api/src/demo.js';

/** The few autocannon fields used here (the package ships no types). */
interface AutocannonResult {
  requests: { average: number };
  latency: { p99: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (o: { url: string; method: string; headers: Record<string, string>; body: Buffer | string; connections: number; duration: number }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CERTS = join(ROOT, 'certs-dev');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);

function pemDers(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

function devSigner(name: string): Signer {
  const key = createPrivateKey(readFileSync(join(CERTS, `${name}.key.pem`)));
  const chain = [...pemDers(readFileSync(join(CERTS, `${name}.pem`), 'utf8')), ...pemDers(readFileSync(join(CERTS, 'seal-ca.pem'), 'utf8'))];
  return createSoftwareSigner(key, chain);
}

/** Ops per second, and CPU microseconds per op of this process (user + system). */
async function libraryRate(fn: () => Promise<unknown>, seconds: number): Promise<{ rate: number; cpuUs: number }> {
  for (let i = 0; i < 20; i++) await fn(); // warm-up
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() < end) {
    await fn();
    n++;
  }
  const cpu = process.cpuUsage(cpu0);
  return { rate: n / ((performance.now() - t0) / 1000), cpuUs: (cpu.user + cpu.system) / n };
}

/**
 * CPU time (all threads) of the server process so far, in microseconds, from /proc (Linux);
 * null elsewhere. With the wall-clock rates it shows where a shortfall comes from: the server's
 * own work per request, or the cores it shares with autocannon.
 */
function serverCpuUs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(p));
    });
  });
}

/** Wait until `url` answers at all (any status). */
async function waitListening(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer`);
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error('server did not start');
}

interface ApiRun {
  rate: number;
  p99: number;
  ok: number;
  errors: number;
  /** Server CPU (all its threads) per answered request, microseconds; null where /proc is missing. */
  serverCpuUs: number | null;
  /** autocannon's own CPU per request (it runs in this process). */
  clientCpuUs: number;
}

async function apiRun(url: string, path: string, headers: Record<string, string>, body: Buffer | string, serverPid: number | undefined): Promise<ApiRun> {
  // Warm-up: workers load their code on first use, and the JIT settles.
  for (let i = 0; i < 200; i++) {
    const r = await fetch(`${url}${path}`, { method: 'POST', headers, body });
    if (!r.ok) throw new Error(`warm-up request failed: ${r.status} ${await r.text()}`);
  }
  const s0 = serverCpuUs(serverPid);
  const c0 = process.cpuUsage();
  const r = await autocannon({ url: `${url}${path}`, method: 'POST', headers, body, connections: CONNECTIONS, duration: SECONDS });
  const c = process.cpuUsage(c0);
  const s1 = serverCpuUs(serverPid);
  const n = Math.max(1, r['2xx'] + r.non2xx);
  return {
    rate: r.requests.average,
    p99: r.latency.p99,
    ok: r['2xx'],
    errors: r.non2xx + r.errors + r.timeouts,
    serverCpuUs: s0 === null || s1 === null ? null : (s1 - s0) / n,
    clientCpuUs: (c.user + c.system) / n,
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'seal-bench-api-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // node itself (with the tsx loader), not the tsx CLI wrapper: its pid is the server's, for /proc.
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/cli/src/main.ts'), 'serve', '--port', String(port), '--data-dir', dataDir, '--quiet'], {
    cwd: ROOT,
    env: { ...process.env, SEAL_RATE_LIMIT_MAX: '100000000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitReady(url, child);
    const creds = JSON.parse(readFileSync(join(dataDir, 'dev-credentials.json'), 'utf8')) as DevCredentials;
    const a = creds.agencies[0]!;
    const headers = (type: string) => ({ authorization: `Bearer ${a.keys.operator}`, 'content-type': type });
    const pdf = Buffer.from(onePagePdf('benchmark'));
    const payload = { invoice: 'INV-2026-0001', amount: '1234.50', currency: 'CNY', lines: [{ sku: 'A-1', qty: 3 }] };
    const rows: string[][] = [];
    let totalOk = 0;
    let jsonRatio = 0;
    let jsonLibRate = 0;
    const us = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(0)} µs`);

    for (const [label, alg, devName] of [
      ['ECDSA P-256', 'EC', 'agency-a-ec'],
      ['RSA-2048', 'RSA', 'agency-a-rsa'],
    ] as const) {
      const seal = a.seals.find((s) => s.algorithm.startsWith(alg))!;
      const signer = devSigner(devName);
      const libJson = await libraryRate(() => signJson(JSON.stringify(payload), { signer, canonical: true }), SECONDS / 2);
      const apiJson = await apiRun(url, `/v1/seals/${seal.id}/json`, headers('application/json'), JSON.stringify({ payload }), child.pid);
      const libPdf = await libraryRate(() => signPdf(pdf, signer), SECONDS / 2);
      const apiPdf = await apiRun(url, `/v1/seals/${seal.id}/pdf`, headers('application/pdf'), pdf, child.pid);
      totalOk += apiJson.ok + apiPdf.ok;
      if (label === 'ECDSA P-256') {
        jsonRatio = apiJson.rate / libJson.rate;
        jsonLibRate = libJson.rate;
      }
      for (const [name, lib, api] of [[`JSON ${label}`, libJson, apiJson], [`PDF 1-page ${label}`, libPdf, apiPdf]] as const) {
        rows.push([name, lib.rate.toFixed(0), api.rate.toFixed(0), `${((api.rate / lib.rate) * 100).toFixed(0)}%`, `${api.p99} ms`, String(api.errors), `${lib.cpuUs.toFixed(0)} µs`, us(api.serverCpuUs), us(api.clientCpuUs)]);
      }
    }

    // The HTTP floor: the same request against a bare Fastify route that answers as many bytes
    // without authentication, sealing or log (bench/support/http-floor.mjs), in its own process.
    const answerBytes = (await (await fetch(`${url}/v1/seals/${a.seals.find((s) => s.algorithm.startsWith('EC'))!.id}/json`, { method: 'POST', headers: headers('application/json'), body: JSON.stringify({ payload }) })).arrayBuffer()).byteLength;
    const floorPort = await freePort();
    const floor = spawn(process.execPath, [join(ROOT, 'bench/support/http-floor.mjs'), String(floorPort), String(answerBytes)], { stdio: ['ignore', 'ignore', 'inherit'] });
    let floorRun: ApiRun;
    try {
      await waitListening(`http://127.0.0.1:${floorPort}/x`, floor);
      floorRun = await apiRun(`http://127.0.0.1:${floorPort}`, '/x', { 'content-type': 'application/json' }, JSON.stringify({ payload }), floor.pid);
    } finally {
      floor.kill('SIGTERM');
    }

    // Stop the server (drains, flushes the log), then count what is durably in the log.
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const registry = await openRegistry({
      file: join(dataDir, 'registry.db'),
      masterSecret: readFileSync(join(dataDir, 'master-secret'), 'utf8').trim(),
      issuingCa: { certPem: readFileSync(join(CERTS, 'seal-ca.pem'), 'utf8') + readFileSync(join(CERTS, 'root-ca.pem'), 'utf8'), keyPem: readFileSync(join(CERTS, 'seal-ca.key.pem'), 'utf8') },
      ocspResponder: { certPem: readFileSync(join(CERTS, 'ocsp.pem'), 'utf8'), keyPem: readFileSync(join(CERTS, 'ocsp.key.pem'), 'utf8') },
      baseUrl: url,
    });
    const logged = registry.usageLog.size;
    const verification = registry.verifyLog();
    await registry.close();

    const widths = [20, 11, 9, 8, 9, 7, 12, 12, 12];
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
    console.log(`API vs library, ${SECONDS}s per run, ${CONNECTIONS} connections, server with its worker pool, loopback, ${availableParallelism()} cores shared with autocannon`);
    console.log(line(['operation', 'library/s', 'API/s', 'API/lib', 'API p99', 'non2xx', 'lib CPU/op', 'server CPU', 'client CPU']));
    for (const r of rows) console.log(line(r));
    console.log('(CPU columns: CPU time per operation: the library in this process; the server process (all threads) and autocannon per answered request)');
    const floorLine = line(['HTTP floor (no seal)', '', floorRun.rate.toFixed(0), '', `${floorRun.p99} ms`, String(floorRun.errors), '', us(floorRun.serverCpuUs), us(floorRun.clientCpuUs)]);
    console.log(floorLine);
    console.log(`(HTTP floor: a bare Fastify route answering the same request with ${answerBytes} bytes, without authentication, sealing or log: ${((floorRun.rate / jsonLibRate) * 100).toFixed(0)} % of the library's ECDSA JSON rate)`);
    console.log(`target: JSON sealing through the API >= 70 % of the library's single-process rate (ECDSA): ${(jsonRatio * 100).toFixed(0)} % ${jsonRatio >= 0.7 ? 'met' : 'NOT MET'}`);
    // autocannon stops counting at the deadline, and warm-up requests are not counted: the log
    // may hold more entries than counted answers, never fewer.
    console.log(`usage log after restart: ${logged} entries (>= ${totalOk} answers counted by autocannon); log verifies: ${verification.ok}`);
    if (logged < totalOk || !verification.ok) {
      console.error('MISMATCH: not every success is in the log');
      process.exitCode = 1;
    }
    if (jsonRatio < 0.7) process.exitCode = 1;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
