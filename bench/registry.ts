/**
 * Registry benchmark (`pnpm bench registry`):
 *  1. durable usage-log appends per second with group commit (synchronous=FULL, one fsync per
 *     batch), side by side with the naive peer: one better-sqlite3 transaction per append;
 *  2. seal-status lookup latency by certificate serial with 1,000,000 seals of which 100,000
 *     are revoked (target < 50 µs);
 *  3. generating and signing a full CRL with 100,000 entries (target < 2 s), checked by openssl.
 * Set BENCH_SEALS to change the 1,000,000.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, openRegistry, type Registry } from '../packages/registry/src/index.js';

const root = new URL('..', import.meta.url).pathname;
const dev = (f: string): string => readFileSync(join(root, 'certs-dev', f), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'seal-bench-registry-'));
const SEALS = Number(process.env['BENCH_SEALS'] ?? 1_000_000);
const REVOKED = Math.round(SEALS / 10);

const open = (file: string): Promise<Registry> =>
  openRegistry({
    file,
    masterSecret: 'bench-master-secret-not-for-production',
    issuingCa: { certPem: dev('seal-ca.pem') + dev('root-ca.pem'), keyPem: dev('seal-ca.key.pem') },
    ocspResponder: { certPem: dev('ocsp.pem'), keyPem: dev('ocsp.key.pem') },
    baseUrl: 'http://127.0.0.1:8080',
  });

const h = (i: number): string => i.toString(16).padStart(64, '0');
const rows: string[][] = [];
const row = (...cells: string[]): void => void rows.push(cells);

let lastCpuPerAppend = 0;
async function appends(reg: Registry, total: number, concurrency: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      await reg.appendUsage({ sealId: 'seal_bench', agencyId: 'ag_bench', accountId: 'acc_bench', documentKind: 'pdf', documentSha256: h(i), signatureSha256: h(i + 1) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const c = process.cpuUsage(c0);
  lastCpuPerAppend = (c.user + c.system) / total;
  return total / ((performance.now() - t0) / 1000);
}

function naivePeer(file: string, total: number): number {
  const db = openDatabase(file); // WAL + synchronous=FULL, same settings as the registry
  db.exec('CREATE TABLE peer_log (idx INTEGER PRIMARY KEY, doc TEXT NOT NULL, sig TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO peer_log (doc, sig) VALUES (?, ?)');
  const t0 = performance.now();
  for (let i = 0; i < total; i++) ins.run(h(i), h(i + 1)); // autocommit: one fsync each
  const rate = total / ((performance.now() - t0) / 1000);
  db.close();
  return rate;
}

row(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start`, '', '', '');
try {
  // 1. log appends
  {
    const reg = await open(join(dir, 'log.db'));
    await appends(reg, 2000, 256); // warm-up
    const r1 = await appends(reg, 1000, 1);
    const r64 = await appends(reg, 20_000, 64);
    const r512 = await appends(reg, 50_000, 512);
    const cpu512 = lastCpuPerAppend;
    const peer = naivePeer(join(dir, 'peer.db'), 1000);
    const v = reg.verifyLog();
    await reg.close();
    row('durable log appends/s, group commit, 512 concurrent', r512.toFixed(0), 'target >= 5000', r512 >= 5000 ? 'OK' : 'MISSED');
    row('  CPU µs per append at 512 concurrent (=> appends/s per free core)', `${cpu512.toFixed(1)} (${(1e6 / cpu512).toFixed(0)}/s)`, '', '');
    row('durable log appends/s, group commit, 64 concurrent', r64.toFixed(0), '', '');
    row('durable log appends/s, 1 at a time', r1.toFixed(0), '', '');
    row('peer: better-sqlite3 autocommit INSERT (no Merkle, no signature)', peer.toFixed(0), '', '');
    row(`log verifies after the run (${v.entries} entries)`, v.ok ? 'yes' : 'NO', '', v.ok ? 'OK' : 'FAILED');
  }

  // 2 + 3. status lookups and CRL over SEALS seals, REVOKED revoked
  {
    const file = join(dir, 'seals.db');
    const reg = await open(file);
    const db = reg.store.db;
    // Bench setup only: a big page cache for the bulk load of random serials (the registry itself runs with 64 MiB).
    db.pragma('cache_size = -1048576');
    const tLoad = performance.now();
    // Random serials, inserted in sorted order with zero-padded ids, so that every B-tree is
    // filled append-only (the load takes seconds, not minutes); lookups below are random.
    const raw = randomBytes(16 * SEALS);
    const serialList: string[] = new Array<string>(SEALS);
    for (let i = 0; i < SEALS; i++) {
      const b = raw.subarray(i * 16, i * 16 + 16);
      b[0] = ((b[0] as number) & 0x7f) | 0x01;
      serialList[i] = b.toString('hex');
    }
    serialList.sort();
    const serialAt = (i: number): string => serialList[i] as string;
    const now = Date.now();
    const pad = (i: number): string => i.toString().padStart(8, '0');
    db.pragma('foreign_keys = OFF'); // bench setup only: rows are consistent by construction
    db.transaction(() => {
      db.prepare("INSERT INTO agencies (id, name, created_at) VALUES ('ag_bench', 'Bench agency', ?)").run(now);
      db.prepare("INSERT INTO accounts (id, name, role, agency_id, key_id, key_hash, key_salt, created_at) VALUES ('acc_bench', 'b', 'officer', 'ag_bench', 'k', x'00', x'00', ?)").run(now);
      const req = db.prepare("INSERT INTO seal_requests (id, agency_id, kind, name, algorithm, validity_days, state, requested_by, requested_at, seal_id) VALUES (?, 'ag_bench', 'official', 'n', 'EC-P256', 730, 'issued', 'acc_bench', ?, ?)");
      const seal = db.prepare("INSERT INTO seals (id, agency_id, request_id, kind, name, algorithm, ca_id, serial, key_ref, cert_der, chain_pem, not_before, not_after, state, state_changed_at) VALUES (?, 'ag_bench', ?, 'official', 'n', 'EC-P256', 'seal-ca', ?, 'sw:none', x'30', '', ?, ?, ?, ?)");
      const rev = db.prepare("INSERT INTO revocations (seal_id, ca_id, serial, reason, revoked_at, invalidity_date, revoked_by) VALUES (?, 'seal-ca', ?, ?, ?, ?, 'acc_bench')");
      for (let i = 0; i < SEALS; i++) {
        const id = `seal_${pad(i)}`;
        req.run(`req_${pad(i)}`, now, id);
        const revoked = i % 10 === 0;
        seal.run(id, `req_${pad(i)}`, serialAt(i), now - 86_400_000, now + 365 * 86_400_000, revoked ? 'revoked' : 'active', now);
        if (revoked) rev.run(id, serialAt(i), [1, 4, 5, 3, 9][i % 5], now - (i % 1000) * 60_000, i % 20 === 0 ? now - 86_400_000 : null);
      }
    }).immediate();
    db.pragma('foreign_keys = ON');
    const loadS = (performance.now() - tLoad) / 1000;
    db.pragma('cache_size = -65536');
    row(`load ${SEALS} seals (${REVOKED} revoked) in one transaction, s`, loadS.toFixed(1), '', '');

    const N = 200_000;
    const probes: string[] = [];
    for (let i = 0; i < N; i++) {
      const k = (i * 7919) % SEALS;
      probes.push(i % 20 === 19 ? randomBytes(16).toString('hex') : serialAt(k));
    }
    for (let i = 0; i < 20_000; i++) reg.lookupSealBySerial(probes[i] as string); // warm-up
    const lat: number[] = [];
    let revokedSeen = 0;
    let unknown = 0;
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (const s of probes) {
      const t = process.hrtime.bigint();
      const st = reg.lookupSealBySerial(s);
      lat.push(Number(process.hrtime.bigint() - t) / 1000);
      if (st === null) unknown++;
      else if (st.revocation !== null) revokedSeen++;
    }
    const wall = (performance.now() - w0) * 1000;
    const cpu = process.cpuUsage(c0);
    lat.sort((a, b) => a - b);
    const mean = wall / N;
    const cpuMean = (cpu.user + cpu.system) / N;
    const p50 = lat[Math.floor(lat.length * 0.5)] as number;
    const p99 = lat[Math.floor(lat.length * 0.99)] as number;
    row(`status lookup by serial (lookupSealBySerial), mean µs wall`, mean.toFixed(1), 'target < 50', mean < 50 ? 'OK' : 'MISSED');
    row(`status lookup, mean µs CPU (independent of other load)`, cpuMean.toFixed(1), 'target < 50', cpuMean < 50 ? 'OK' : 'MISSED');
    row(`status lookup p50 / p99 µs wall`, `${p50.toFixed(1)} / ${p99.toFixed(1)}`, '', '');
    row(`  (${N} probes: ${revokedSeen} revoked, ${unknown} unknown)`, '', '', '');

    const t0 = performance.now();
    const cc0 = process.cpuUsage();
    const crl = await reg.regenerateCrl();
    const crlS = (performance.now() - t0) / 1000;
    const ccpu = process.cpuUsage(cc0);
    const crlCpu = (ccpu.user + ccpu.system) / 1e6;
    const crlFile = join(dir, 'big.crl');
    writeFileSync(crlFile, crl.der);
    const check = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', join(root, 'certs-dev', 'chain.pem'), '-noout', '-verify'], { encoding: 'utf8' });
    const verified = /verify OK/.test(`${check.stdout}${check.stderr}`);
    row(`full CRL with ${REVOKED} entries (query + build + sign + store), s wall`, crlS.toFixed(2), 'target < 2', crlS < 2 ? 'OK' : 'MISSED');
    row(`full CRL, s CPU`, crlCpu.toFixed(2), 'target < 2', crlCpu < 2 ? 'OK' : 'MISSED');
    row(`  CRL size ${(crl.der.length / 1e6).toFixed(1)} MB, openssl crl -verify`, verified ? 'verify OK' : 'FAILED', '', verified ? 'OK' : 'FAILED');
    await reg.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[0] as number) : c.padStart(widths[i] as number))).join('  ')}\n`);
if (rows.some((r) => r[3] === 'FAILED')) process.exitCode = 1;
