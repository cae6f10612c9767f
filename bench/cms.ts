/**
 * `pnpm bench cms`: CMS (PAdES CAdES-detached) signatures per second in one process, the key
 * parsed once, side by side with raw crypto.sign over the same to-be-signed size in the same run.
 * The gap between the two is what the CMS encoder costs (target: well under 0.1 ms per seal).
 */
import 'reflect-metadata';
import { createHash, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCmsSignature } from '../packages/core/src/cms/sign.js';
import { loadSignerFromKeyFiles } from '../packages/core/src/signer/load-key.js';

const dev = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'certs-dev');
const MS = Number(process.env.BENCH_MS ?? 1500);

async function rate(fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 50; i++) await fn(); // warm up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < MS) {
    await fn();
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

const rows: string[][] = [['key', 'raw crypto.sign /s', 'createCmsSignature /s', 'encoder cost per seal']];
for (const [name, label] of [['agency-a-rsa', 'RSA-2048'], ['agency-a-ec', 'ECDSA P-256']] as const) {
  const signer = loadSignerFromKeyFiles({ cert: join(dev, `${name}.pem`), key: join(dev, `${name}.key.pem`) }, [join(dev, 'chain.pem')]);
  const key = createPrivateKey(readFileSync(join(dev, `${name}.key.pem`)));
  const digest = createHash('sha256').update('one page').digest();
  const tbs = new Uint8Array(250); // about the size of the signed attributes
  const raw = await rate(() => cryptoSign('sha256', tbs, { key, dsaEncoding: 'der' }));
  const cms = await rate(() => createCmsSignature({ hash: 'SHA-256', signer, contentDigest: digest }));
  const costUs = (1e6 / cms - 1e6 / raw).toFixed(1);
  rows.push([label, raw.toFixed(0), cms.toFixed(0), `${costUs} µs`]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
