#!/usr/bin/env node
// JSON seal benchmark (issue 5): sealing a 1 KB JSON document with ES256 (JAdES B-B, compact,
// x5c chain in the header) against node:crypto's raw ECDSA P-256 sign/s measured in the same
// run (target: >= 80 %), verify/s (full verifyJson with path validation, revocation off), and
// the jose library's own ES256 sign/verify as the peer. jose is the project's test dependency.
// Run: pnpm bench json-seal   (or node bench/json-seal.mjs [seconds-per-case])
import { register } from 'tsx/esm/api';
import { createPrivateKey, sign as nodeSign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

register();
const root = new URL('..', import.meta.url).pathname;
const { signJson, verifyJson, createSoftwareSigner, certificatesFromPemOrDer } = await import(join(root, 'packages/core/src/index.ts'));
const jose = await import('jose');

const SECONDS = Number(process.argv[2] ?? 4);
const dev = (f) => readFileSync(join(root, 'certs-dev', f));
const key = createPrivateKey(dev('agency-a-ec.key.pem'));
const chain = [...certificatesFromPemOrDer(dev('agency-a-ec.pem')), ...certificatesFromPemOrDer(dev('seal-ca.pem'))];
const rootCa = certificatesFromPemOrDer(dev('root-ca.pem'));
const signer = createSoftwareSigner(key, chain);

// A 1 KB JSON record.
const record = { type: 'business-licence', issuer: 'Demo City Market Supervision Bureau', number: 'DC-2026-000042', holder: { name: 'Example Trading Co., Ltd.', id: '91310000MA1FL0XX1X' }, items: [], note: '' };
while (JSON.stringify(record).length < 900) record.items.push({ code: `C${record.items.length}`, scope: 'wholesale and retail of goods', since: '2026-01-01' });
record.note = 'x'.repeat(1024 - JSON.stringify(record).length);
const doc = new TextEncoder().encode(JSON.stringify(record));
const x5c = chain.map((c) => Buffer.from(c).toString('base64'));

// The machine may be shared: cases run interleaved in short rounds so that load changes hit
// every case alike. Each case reports ops per wall-clock second and ops per CPU second of this
// process (user+system): the CPU figure is not distorted when other processes take the cores,
// so the 80 % target is judged on it (both are printed). Odd rounds run the cases in reverse
// order, so that no case always follows the same one (raw ECDSA used to come first in every
// round, right after the verify cases and their garbage); the medians of both orders are
// printed. Over 18 runs they differed by about 1 point on average, within the noise.
async function measureAll(cases, rounds = 24) {
  const totals = cases.map(() => ({ n: 0, ns: 0n, cpuUs: 0, rounds: [] }));
  for (const c of cases) for (let i = 0; i < (c.warm ?? 2000); i++) await c.fn(); // warm-up: let the JIT settle for every case
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < cases.length; j++) {
      const k = r % 2 === 0 ? j : cases.length - 1 - j;
      globalThis.gc?.();
      const cpu0 = process.cpuUsage();
      const start = process.hrtime.bigint();
      const end = start + BigInt(Math.round((SECONDS / rounds) * 1e9));
      let now = start;
      let n = 0;
      while (now < end) {
        for (let i = 0; i < 20; i++) await cases[k].fn();
        n += 20;
        now = process.hrtime.bigint();
      }
      const cpu = process.cpuUsage(cpu0);
      totals[k].n += n;
      totals[k].ns += now - start;
      totals[k].cpuUs += cpu.user + cpu.system;
      totals[k].rounds.push(n / ((cpu.user + cpu.system) / 1e6));
    }
  }
  return cases.map((c, k) => ({ name: c.name, perSec: totals[k].n / (Number(totals[k].ns) / 1e9), perCpuSec: totals[k].n / (totals[k].cpuUs / 1e6), rounds: totals[k].rounds }));
}

const sealed = (await signJson(doc, { signer })).jws;
const joseSealed = await new jose.CompactSign(doc).setProtectedHeader({ alg: 'ES256', x5c }).sign(key);
const pub = new X509Certificate(chain[0]).publicKey;
// What signJson hands the Signer: the header (with the x5c chain) and the base64url payload.
const signingInputBytes = Buffer.from(sealed.split('.').slice(0, 2).join('.'), 'latin1');
const check = await verifyJson(sealed, { trustAnchors: rootCa, revocationPolicy: 'off' });
if (check.indication !== 'TOTAL_PASSED') throw new Error(`benchmark seal does not verify: ${JSON.stringify(check.signatures[0]?.errors)}`);

const rows = await measureAll([
  { name: 'node:crypto raw ECDSA P-256 sign (1 KB)', fn: () => nodeSign('sha256', doc, { key, dsaEncoding: 'ieee-p1363' }) },
  { name: 'seal signJson ES256 compact (JAdES B-B)', fn: () => signJson(doc, { signer }) },
  { name: 'node:crypto raw ECDSA over our signing input', fn: () => nodeSign('sha256', signingInputBytes, { key, dsaEncoding: 'der' }) },
  { name: 'jose CompactSign ES256 (x5c header)', fn: () => new jose.CompactSign(doc).setProtectedHeader({ alg: 'ES256', x5c }).sign(key) },
  { name: 'seal verifyJson (x5c chain to root, no revocation)', warm: 100, fn: () => verifyJson(sealed, { trustAnchors: rootCa, revocationPolicy: 'off' }) },
  { name: 'jose compactVerify ES256 (key given)', fn: () => jose.compactVerify(joseSealed, pub) },
]);
console.log(`payload ${doc.length} bytes, ${SECONDS}s per case in interleaved rounds, node ${process.version}`);
console.log(`${'case'.padEnd(52)} ${'wall /s'.padStart(9)} ${'CPU /s'.padStart(9)}`);
for (const r of rows) console.log(`${r.name.padEnd(52)} ${r.perSec.toFixed(0).padStart(9)} ${r.perCpuSec.toFixed(0).padStart(9)}`);
// Per round, signJson and raw ECDSA ran back to back: the median of those paired ratios is the
// figure least disturbed by other processes' bursts; the totals are printed alongside.
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (x) => `${(x * 100).toFixed(1)} %`;
const ratios = rows[1].rounds.map((v, i) => v / rows[0].rounds[i]);
const paired = [...ratios].sort((a, b) => a - b);
const ratioMedian = median(ratios);
const ratioCpu = rows[1].perCpuSec / rows[0].perCpuSec;
const ratioWall = rows[1].perSec / rows[0].perSec;
console.log(`signJson / raw ECDSA sign: median of ${paired.length} paired rounds ${pct(ratioMedian)} (range ${(paired[0] * 100).toFixed(0)}-${(paired[paired.length - 1] * 100).toFixed(0)} %; raw first ${pct(median(ratios.filter((_, i) => i % 2 === 0)))}, signJson first ${pct(median(ratios.filter((_, i) => i % 2 === 1)))}), totals ${pct(ratioCpu)} per CPU second, ${pct(ratioWall)} wall-clock; target >= 80 %: ${ratioMedian >= 0.8 ? 'met' : 'NOT MET'}`);
console.log(`(the JWS signing input is ${signingInputBytes.length} bytes: x5c chain + base64url payload; raw ECDSA over it reaches ${((rows[2].perCpuSec / rows[0].perCpuSec) * 100).toFixed(1)} % of raw over 1 KB)`);
console.log(`signJson / jose sign:      ${((rows[1].perCpuSec / rows[3].perCpuSec) * 100).toFixed(1)} % per CPU second, ${((rows[1].perSec / rows[3].perSec) * 100).toFixed(1)} % wall-clock`);
process.exitCode = ratioMedian >= 0.8 ? 0 : 1;
