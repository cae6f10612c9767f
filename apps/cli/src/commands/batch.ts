/**
 * `seal batch DIR -o OUTDIR --seal ID --server URL --api-key KEY [--concurrency N]`
 *
 * Seals every *.pdf and *.json file directly in DIR through a running service: PDFs become
 * OUTDIR/<name>.pdf (the sealed PDF), JSON files OUTDIR/<name>.jws.json (JAdES, JWS JSON
 * serialization). Files whose output already exists are skipped (resumption); outputs are
 * written to a temporary name and renamed, so an interrupted run never leaves a half file that
 * would later be skipped. A failed file is reported and the others go on. Progress on stderr
 * (count, rate, time left); a summary at the end. Exit 0 when every file is sealed or skipped,
 * otherwise the exit code of the first failure's error (65 bad input, 69 service refused, ...).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { SealError, UsageError, toSealError } from '@seal/core';
import { ApiError, SealClient } from '@seal/client';
import { parse } from '../args.js';
import { writeFileAtomically } from '../files.js';

export interface BatchSummary {
  sealed: string[];
  skipped: string[];
  failed: Array<{ file: string; code: string; message: string }>;
}

const RETRYABLE = new Set([429, 503]);

function outputName(file: string): string {
  const ext = extname(file).toLowerCase();
  const stem = basename(file, extname(file));
  return ext === '.pdf' ? `${stem}.pdf` : `${stem}.jws.json`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

class Progress {
  private done = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream,
  ) {}
  tick(): void {
    this.done++;
    const now = Date.now();
    if (this.done < this.total && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const left = rate > 0 ? (this.total - this.done) / rate : Number.POSITIVE_INFINITY;
    const width = 24;
    const filled = this.total === 0 ? width : Math.round((this.done / this.total) * width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${this.total}  ${rate.toFixed(1)} files/s  ${formatDuration(left)} left`;
    if (this.out.isTTY) this.out.write(`\r${line}${this.done === this.total ? '\n' : ''}`);
    else if (this.done === this.total || this.done % Math.max(1, Math.ceil(this.total / 20)) === 0) this.out.write(`${line}\n`);
  }
}

async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ApiError) || !RETRYABLE.has(err.status) || attempt >= 4) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

async function sealOne(client: SealClient, sealId: string, file: string, outFile: string): Promise<void> {
  const bytes = readFileSync(file);
  let output: Uint8Array;
  if (extname(file).toLowerCase() === '.pdf') {
    output = (await withRetry(() => client.sealPdf(sealId, bytes))).pdf;
  } else {
    let payload: unknown;
    try {
      payload = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new SealError('ERR_JSON_INVALID', 'not valid JSON');
    }
    const r = await withRetry(() => client.sealJson(sealId, { payload, format: 'json' }));
    output = new TextEncoder().encode(typeof r.signature === 'string' ? r.signature : `${JSON.stringify(r.signature)}\n`);
  }
  writeFileAtomically(outFile, output);
}

/** The batch itself (the command parses options and prints); exported for tests and scripts. */
export async function runBatch(o: {
  dir: string;
  outDir: string;
  sealId: string;
  client: SealClient;
  concurrency: number;
  progress?: NodeJS.WriteStream;
}): Promise<BatchSummary> {
  const files = readdirSync(o.dir)
    .filter((n) => /\.(pdf|json)$/i.test(n) && statSync(join(o.dir, n)).isFile())
    .sort();
  mkdirSync(o.outDir, { recursive: true });
  const summary: BatchSummary = { sealed: [], skipped: [], failed: [] };
  const todo: string[] = [];
  for (const name of files) {
    if (existsSync(join(o.outDir, outputName(name)))) summary.skipped.push(name);
    else todo.push(name);
  }
  const progress = o.progress ? new Progress(todo.length, o.progress) : null;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= todo.length) return;
      const name = todo[i]!;
      try {
        await sealOne(o.client, o.sealId, join(o.dir, name), join(o.outDir, outputName(name)));
        summary.sealed.push(name);
      } catch (err) {
        const e = toSealError(err);
        summary.failed.push({ file: name, code: e.code, message: e.code === 'ERR_INTERNAL' ? 'internal error' : e.message });
      }
      progress?.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, todo.length)) }, worker));
  return summary;
}

export async function batchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      output: { type: 'string', short: 'o' },
      seal: { type: 'string' },
      server: { type: 'string' },
      'api-key': { type: 'string' },
      concurrency: { type: 'string' },
      json: { type: 'boolean' },
    },
    { min: 1, max: 1, names: 'DIR' },
  );
  const dir = resolve(positionals[0]!);
  if (values.output === undefined) throw new UsageError('-o OUTDIR is required');
  if (values.seal === undefined) throw new UsageError('--seal ID is required');
  const server = values.server ?? process.env['SEAL_SERVER'];
  const apiKey = values['api-key'] ?? process.env['SEAL_API_KEY'];
  if (server === undefined) throw new UsageError('--server URL is required (or SEAL_SERVER)');
  if (apiKey === undefined) throw new UsageError('--api-key KEY is required (or SEAL_API_KEY)');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError('--server must be a URL such as http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--server must be http or https');
  const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('--concurrency must be 1..64');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SealError('ERR_INPUT_INVALID', `${positionals[0]} is not a directory`);

  const client = new SealClient({ baseUrl: server, apiKey });
  const summary = await runBatch({ dir, outDir: resolve(values.output), sealId: values.seal, client, concurrency, progress: process.stderr });
  if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stderr.write(`sealed ${summary.sealed.length}, skipped ${summary.skipped.length} (already in ${values.output}), failed ${summary.failed.length}\n`);
  for (const f of summary.failed) process.stderr.write(`  failed: ${f.file}: ${f.code}: ${f.message.split('\n')[0]}\n`);
  if (summary.failed.length === 0) return 0;
  const first = summary.failed[0]!;
  return new SealError(first.code as SealError['code'], first.message).exitCode;
}
