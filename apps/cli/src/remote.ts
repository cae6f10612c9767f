/**
 * Sealing through a running service instead of a local key: the hook behind
 * `seal pdf sign IN.pdf -o OUT.pdf --server URL --api-key KEY --seal ID` and
 * `seal json sign IN.json -o OUT --server URL --api-key KEY --seal ID`.
 * The pdf/json command modules call `sealRemote` when `--server` is given (no KEY options then).
 * The output is written to a temporary name and renamed: nothing is left behind on failure.
 */
import { readFileSync } from 'node:fs';
import { SealError, UsageError } from '@seal/core';
import { SealClient, type PdfSealOptions } from '@seal/client';
import { writeFileAtomically } from './files.js';

export const REMOTE_OPTIONS = {
  server: { type: 'string' },
  'api-key': { type: 'string' },
  seal: { type: 'string' },
} as const;

/**
 * Usage errors of a `--server` command line, found before any file is read: an option that only
 * makes sense with a local key (`localOnly`), or a missing --api-key (or SEAL_API_KEY) or --seal.
 */
export function checkRemoteOptions(values: Readonly<Record<string, unknown>>, localOnly: readonly string[]): void {
  for (const name of localOnly) {
    if (values[name] !== undefined) throw new UsageError(`--${name} is for local sealing; with --server the service holds the key`);
  }
  if (values['api-key'] === undefined && process.env['SEAL_API_KEY'] === undefined) throw new UsageError('--server needs --api-key KEY (or SEAL_API_KEY)');
  if (values['seal'] === undefined) throw new UsageError('--server needs --seal ID');
}

/** Usage error for --api-key or --seal on a command line that seals with a local key. */
export function checkLocalOptions(values: Readonly<Record<string, unknown>>): void {
  if (values['api-key'] !== undefined || values['seal'] !== undefined) throw new UsageError('--api-key and --seal go with --server URL');
}

export interface RemoteSealRequest {
  kind: 'pdf' | 'json';
  input: string;
  output: string;
  server: string;
  apiKey: string | undefined;
  sealId: string | undefined;
  pdfOptions?: PdfSealOptions;
  json?: { format?: 'compact' | 'json'; detached?: boolean; canonical?: boolean };
}

/** Seal `input` into `output` through the service; returns the usage-log entry index. */
export async function sealRemote(r: RemoteSealRequest): Promise<number> {
  const apiKey = r.apiKey ?? process.env['SEAL_API_KEY'];
  if (apiKey === undefined) throw new UsageError('--server needs --api-key KEY (or SEAL_API_KEY)');
  if (r.sealId === undefined) throw new UsageError('--server needs --seal ID');
  try {
    const u = new URL(r.server);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new UsageError('--server must be an http(s) URL');
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(r.input);
  } catch {
    throw new SealError('ERR_INPUT_INVALID', `cannot read ${r.input}`);
  }
  const client = new SealClient({ baseUrl: r.server, apiKey });
  let out: Uint8Array;
  let index: number;
  if (r.kind === 'pdf') {
    const res = await client.sealPdf(r.sealId, bytes, r.pdfOptions);
    out = res.pdf;
    index = res.logEntry.index;
  } else {
    let payload: unknown;
    try {
      payload = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new SealError('ERR_JSON_INVALID', `${r.input} is not valid JSON`);
    }
    const res = await client.sealJson(r.sealId, { payload, ...r.json });
    out = Buffer.from(typeof res.signature === 'string' ? res.signature : `${JSON.stringify(res.signature)}\n`, 'utf8');
    index = res.logEntry.index;
  }
  writeFileAtomically(r.output, out);
  return index;
}
