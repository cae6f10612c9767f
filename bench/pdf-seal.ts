/**
 * `pnpm bench pdf-seal`: PDF sealing speed and memory, side by side with @signpdf in the same run.
 *
 *   1-page PDF: seals/s in one process (key parsed once) for RSA-2048 and ECDSA P-256, next to raw
 *               crypto.sign/s and @signpdf 3.3 (placeholder-pdf-lib + signer-p12, RSA only).
 *   ~12 MB PDF: our seal time vs one SHA-256 pass over the file + one RSA-2048 signature (target
 *               <= 2x), and whole-process time and peak RSS of one seal in a fresh process, ours and
 *               @signpdf's (target RSS < file size + 150 MB).
 *
 * The peers are installed by this script into bench/.peers (gitignored) with npm, never as
 * project dependencies. BENCH_MS sets the measuring time per figure (default 2000 ms).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign as cryptoSign } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signPdf, signPdfParts } from '../packages/core/src/pdf/sign-pdf.js';
import { buildPdf, onePageObjects } from '../packages/core/src/pdf/testing/build-pdf.js';
import { loadSignerFromP12, loadSignerFromPem } from '../packages/core/src/signer/load-key.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const DEV = join(ROOT, 'certs-dev');
const PEERS = join(HERE, '.peers');
const MS = Number(process.env['BENCH_MS'] ?? 2000);
const PEER_PACKAGES = ['@signpdf/signpdf@3.3', '@signpdf/placeholder-pdf-lib@3.3', '@signpdf/signer-p12@3.3', 'pdf-lib@1.17', 'node-forge@1'];

/**
 * Operations per second of several functions measured in interleaved slices (round robin), so
 * that on a shared, noisy machine each sees the same load. Warm-up first.
 */
async function rates(fns: (() => Promise<unknown> | unknown)[], ms = MS): Promise<number[]> {
  for (const fn of fns) {
    const w = performance.now();
    while (performance.now() - w < Math.min(300, ms / 4)) await fn();
  }
  const rounds = 8;
  const slice = ms / rounds;
  const counts = fns.map(() => 0);
  const times = fns.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < slice) {
        await fn();
        n++;
      }
      counts[i]! += n;
      times[i]! += performance.now() - t0;
    }
  }
  return counts.map((c, i) => (c * 1000) / times[i]!);
}

async function median(fn: () => Promise<unknown> | unknown, runs = 7): Promise<number> {
  await fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

function ensurePeers(): boolean {
  if (existsSync(join(PEERS, 'node_modules/@signpdf/signpdf/package.json'))) return true;
  mkdirSync(PEERS, { recursive: true });
  process.stdout.write(`installing peers into bench/.peers: ${PEER_PACKAGES.join(' ')}\n`);
  const r = spawnSync('npm', ['install', '--prefix', PEERS, '--no-audit', '--no-fund', '--silent', ...PEER_PACKAGES], { stdio: 'inherit' });
  return r.status === 0;
}

/**
 * RSA-2048 material both tools use: a self-signed certificate (node-forge, inside
 * @signpdf/signer-p12, cannot parse the dev PKI's ECDSA-issued certificates) and a P12 that forge
 * reads (3DES + SHA-1 MAC).
 */
function rsaMaterial(dir: string): { cert: string; key: string; p12: string } {
  const key = join(dir, 'rsa.key.pem');
  const cert = join(dir, 'rsa.pem');
  const p12 = join(dir, 'rsa.p12');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=Bench Seal RSA'], { stdio: 'ignore' });
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', cert, '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-passout', 'pass:dev-only', '-out', p12]);
  return { cert, key, p12 };
}

interface Peer {
  seal(pdf: Buffer): Promise<Buffer>;
}

function loadPeer(p12: Buffer): Peer {
  const req = createRequire(join(PEERS, 'package.json'));
  const signpdf = req('@signpdf/signpdf').default;
  const { P12Signer } = req('@signpdf/signer-p12');
  const { pdflibAddPlaceholder } = req('@signpdf/placeholder-pdf-lib');
  const { PDFDocument } = req('pdf-lib');
  return {
    async seal(pdf: Buffer) {
      const pdfDoc = await PDFDocument.load(pdf);
      pdflibAddPlaceholder({ pdfDoc, reason: 'bench', contactInfo: '', name: 'bench', location: 'bench' });
      const withPlaceholder = Buffer.from(await pdfDoc.save({ useObjectStreams: false }));
      // A P12Signer consumes its P12 buffer on the first sign(): @signpdf parses the P12 per seal.
      return signpdf.sign(withPlaceholder, new P12Signer(p12, { passphrase: 'dev-only' }));
    },
  };
}

/** ~12 MB: one page showing a large (incompressible) image. */
function bigPdf(): Uint8Array {
  const w = 2000;
  const h = 2000;
  const img = randomBytes(w * h * 3);
  const head = Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${w} /Height ${h} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${img.length} >>\nstream\n`);
  const content = 'q 500 0 0 500 50 150 cm /Im1 Do Q';
  return buildPdf({
    objects: {
      1: '<< /Type /Catalog /Pages 2 0 R >>',
      2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      3: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>',
      4: `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
      5: Buffer.concat([head, img, Buffer.from('\nendstream')]),
    },
    root: 1,
  });
}

/** Child mode: seal one file once, print {ms, maxRssMB} as JSON. */
async function child(kind: string, file: string, matDir: string): Promise<void> {
  const t0 = performance.now();
  const pdf = readFileSync(file);
  if (kind === 'ours') {
    const signer = loadSignerFromPem({ certPem: readFileSync(join(matDir, 'rsa.pem')), keyPem: readFileSync(join(matDir, 'rsa.key.pem')) });
    const parts = await signPdfParts(pdf, signer);
    writeFileSync(`${file}.${kind}.out.pdf`, parts.input);
    appendFileSync(`${file}.${kind}.out.pdf`, parts.update);
  } else {
    const out = await loadPeer(readFileSync(join(matDir, 'rsa.p12'))).seal(pdf);
    writeFileSync(`${file}.${kind}.out.pdf`, out);
  }
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

function runChild(kind: string, file: string, matDir: string): { ms: number; maxRssMB: number; wallMs: number } | undefined {
  const t0 = performance.now();
  const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [fileURLToPath(import.meta.url), '--child', kind, file, matDir], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) {
    process.stdout.write(`  (${kind} child failed: ${r.stderr.split('\n')[0]})\n`);
    return undefined;
  }
  return { ...(JSON.parse(r.stdout) as { ms: number; maxRssMB: number }), wallMs };
}

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pdf-seal-'));
  try {
    const peersOk = ensurePeers();
    const chain = [readFileSync(join(DEV, 'chain.pem'))];
    const mat = rsaMaterial(dir);
    const rsa = loadSignerFromPem({ certPem: readFileSync(mat.cert), keyPem: readFileSync(mat.key) });
    const ec = loadSignerFromP12(readFileSync(join(DEV, 'agency-a-ec.p12')), 'dev-only', { chainPems: chain });
    const rsaKey = createPrivateKey(readFileSync(mat.key));
    const ecKey = createPrivateKey(readFileSync(join(DEV, 'agency-a-ec.key.pem')));
    const onePage = Buffer.from(buildPdf({ objects: onePageObjects('One page'), root: 1 }));
    const tbs = new Uint8Array(200);
    const peer = peersOk ? loadPeer(readFileSync(mat.p12)) : undefined;

    process.stdout.write(`1-page PDF (${onePage.length} bytes), ${MS} ms per figure, key parsed once; RSA: self-signed RSA-2048 (both tools), ECDSA: certs-dev agency-a-ec\n`);
    const [rawRsa, oursRsa, peerRsa] = (await rates([() => cryptoSign('sha256', tbs, rsaKey), () => signPdf(onePage, rsa), ...(peer ? [() => peer.seal(onePage)] : [])])) as [number, number, number?];
    const [rawEc, oursEc] = (await rates([() => cryptoSign('sha256', tbs, { key: ecKey, dsaEncoding: 'der' }), () => signPdf(onePage, ec)])) as [number, number];
    table([
      ['key', 'raw crypto.sign/s', 'signPdf seals/s', 'per seal', '@signpdf seals/s', 'target'],
      ['RSA-2048', rawRsa.toFixed(0), oursRsa.toFixed(0), `${(1000 / oursRsa).toFixed(2)} ms`, peerRsa !== undefined ? peerRsa.toFixed(1) : 'n/a', '>= 500/s'],
      ['ECDSA P-256', rawEc.toFixed(0), oursEc.toFixed(0), `${(1000 / oursEc).toFixed(2)} ms`, '(RSA only)', '>= 2000/s'],
    ]);

    const big = bigPdf();
    const bigFile = join(dir, 'big.pdf');
    writeFileSync(bigFile, big);
    const mb = big.length / 1024 / 1024;
    process.stdout.write(`\n~12 MB PDF (${mb.toFixed(1)} MB)\n`);
    const hashMs = await median(() => createHash('sha256').update(big).digest());
    const sigMs = await median(() => cryptoSign('sha256', tbs, rsaKey));
    const ourBig = await median(() => signPdf(big, rsa), 5);
    const ourBigParts = await median(() => signPdfParts(big, rsa), 5);
    const peerBig = peer ? await median(() => peer.seal(Buffer.from(big)), 2) : NaN;
    const base = hashMs + sigMs;
    table([
      ['figure', 'ms', 'note'],
      ['SHA-256 pass + RSA signature', base.toFixed(1), `${hashMs.toFixed(1)} + ${sigMs.toFixed(2)}`],
      ['signPdf (one output buffer)', ourBig.toFixed(1), `${(ourBig / base).toFixed(2)}x baseline (target <= 2x)`],
      ['signPdfParts (input + update, no copy)', ourBigParts.toFixed(1), `${(ourBigParts / base).toFixed(2)}x baseline (what the CLI uses)`],
      ['@signpdf (in process)', peer ? peerBig.toFixed(1) : 'n/a', peer ? `${(peerBig / ourBig).toFixed(1)}x ours` : ''],
    ]);
    const oursProc = runChild('ours', bigFile, dir);
    const peerProc = peer ? runChild('signpdf', bigFile, dir) : undefined;
    process.stdout.write('\none seal of the 12 MB file in a fresh process\n');
    table([
      ['tool', 'whole process ms', 'seal ms (in child)', 'peak RSS MB', 'target RSS'],
      ['ours', oursProc ? oursProc.wallMs.toFixed(0) : 'failed', oursProc ? oursProc.ms.toFixed(0) : '', oursProc ? oursProc.maxRssMB.toFixed(0) : '', `< ${(mb + 150).toFixed(0)} MB`],
      ['@signpdf', peerProc ? peerProc.wallMs.toFixed(0) : 'n/a', peerProc ? peerProc.ms.toFixed(0) : '', peerProc ? peerProc.maxRssMB.toFixed(0) : '', ''],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1]!, argv[2]!, argv[3]!);
else await main();
