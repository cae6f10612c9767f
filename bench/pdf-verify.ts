/**
 * `pnpm bench pdf-verify`: verifying a ~12 MB sealed PDF (verifyPdf: parse, ByteRange checks, one
 * digest pass, CMS signature, path validation, revision analysis) against the floor it cannot beat:
 * one SHA-256 pass over the file plus one signature verification, measured interleaved in the same
 * run. Target: verifyPdf <= 2x the floor. BENCH_MS sets the measuring time (default 3000 ms).
 */
import { createHash, createPublicKey, randomBytes, verify as cryptoVerify, sign as cryptoSign, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signPdf } from '../packages/core/src/pdf/sign-pdf.js';
import { buildPdf, onePageObjects } from '../packages/core/src/pdf/testing/build-pdf.js';
import { loadSignerFromPem } from '../packages/core/src/signer/load-key.js';
import { verifyPdf } from '../packages/core/src/pdf/verify.js';
import { certificatesFromPemOrDer } from '../packages/core/src/pki/cert.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEV = join(ROOT, 'certs-dev');
const MS = Number(process.env['BENCH_MS'] ?? 3000);

async function perOp(fns: (() => Promise<unknown> | unknown)[], ms = MS): Promise<number[]> {
  for (const fn of fns) await fn();
  const rounds = 6;
  const totals = fns.map(() => 0);
  const counts = fns.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < ms / rounds / fns.length || n === 0) {
        await fn();
        n++;
      }
      totals[i]! += performance.now() - t0;
      counts[i]! += n;
    }
  }
  return totals.map((t, i) => t / counts[i]!);
}

const objects: Record<number, string | Uint8Array> = { ...onePageObjects('Large sealed document') };
const payload = randomBytes(12 * 1024 * 1024);
objects[6] = new Uint8Array([...Buffer.from(`<< /Length ${payload.length} >>\nstream\n`), ...payload, ...Buffer.from('\nendstream')]);
const base = buildPdf({ objects, root: 1 });
const signer = loadSignerFromPem({ certPem: readFileSync(join(DEV, 'agency-a-ec.pem')), keyPem: readFileSync(join(DEV, 'agency-a-ec.key.pem')), chainPems: [readFileSync(join(DEV, 'chain.pem'))] });
const sealed = new Uint8Array(await signPdf(base, signer, {}));
const trustAnchors = certificatesFromPemOrDer(readFileSync(join(DEV, 'root-ca.pem')));

// the floor: one SHA-256 pass + one ECDSA P-256 verification
const key = createPrivateKey(readFileSync(join(DEV, 'agency-a-ec.key.pem')));
const pub = createPublicKey(key);
const tbs = randomBytes(200);
const sig = cryptoSign('sha256', tbs, key);
const floor = () => {
  createHash('sha256').update(sealed).digest();
  if (!cryptoVerify('sha256', tbs, pub, sig)) throw new Error('bench: floor signature failed');
};
const ours = async () => {
  const r = await verifyPdf(sealed, { trustAnchors, revocationPolicy: 'off' });
  if (r.signatures[0]?.intact !== true || r.signatures[0]?.valid !== true) throw new Error('bench: sealed file did not verify');
};
const [tFloor, tOurs] = await perOp([floor, ours]);
const mb = (sealed.length / 1024 / 1024).toFixed(1);
process.stdout.write(
  [
    `sealed PDF: ${mb} MB (ECDSA P-256 seal, certs-dev)`,
    `  SHA-256 pass + 1 signature verification : ${tFloor!.toFixed(1)} ms`,
    `  verifyPdf (full report)                 : ${tOurs!.toFixed(1)} ms`,
    `  ratio                                   : ${(tOurs! / tFloor!).toFixed(2)}x (target <= 2x)`,
    '',
  ].join('\n'),
);
