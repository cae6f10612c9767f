/**
 * `seal serve [--port N] [--db FILE] [--host H]`: the HTTP API on 127.0.0.1:8080 (PORT/HOST
 * override), with data/registry.db, the dev PKI from certs-dev/ and demo data on first start.
 * SIGINT/SIGTERM drain in-flight requests, flush the usage log and exit 0.
 */
import { UsageError } from '@seal/core';
import { startServer, type ServeOptions } from '@seal/api';
import { parse } from '../args.js';

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      'data-dir': { type: 'string' },
      'base-url': { type: 'string' },
      threads: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
  );
  const o: ServeOptions = { logger: values.quiet ? false : { level: process.env['LOG_LEVEL'] ?? 'info' } };
  if (values.port !== undefined) {
    if (!/^[0-9]{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError('--port must be 0..65535');
    o.port = Number(values.port);
  }
  if (values.threads !== undefined) {
    if (!/^[0-9]{1,2}$/.test(values.threads)) throw new UsageError('--threads must be a small number');
    o.threads = Number(values.threads);
  }
  if (values.host !== undefined) o.host = values.host;
  if (values.db !== undefined) o.dbFile = values.db;
  if (values['data-dir'] !== undefined) o.dataDir = values['data-dir'];
  if (values['base-url'] !== undefined) o.baseUrl = values['base-url'];

  // Limits from the environment: SEAL_BODY_LIMIT_MB (PDF bodies, default 50), SEAL_RATE_LIMIT_MAX (per key per minute, default 600).
  const limits: NonNullable<ServeOptions['limits']> = {};
  const mb = process.env['SEAL_BODY_LIMIT_MB'];
  if (mb !== undefined && /^[0-9]{1,5}$/.test(mb)) limits.pdfBodyLimit = Number(mb) * 1024 * 1024;
  const rate = process.env['SEAL_RATE_LIMIT_MAX'];
  if (rate !== undefined && /^[0-9]{1,12}$/.test(rate)) limits.rateLimitMax = Number(rate);
  o.limits = limits;

  const server = await startServer(o);
  const out = process.stderr;
  out.write(`seal: serving on ${server.url}  (API docs: ${server.url}/docs, verification page: ${server.url}/)\n`);
  if (server.credentials !== null) {
    out.write(`seal: demo agencies, accounts and seals; API keys in ${server.credentialsFile} (DEV ONLY)\n`);
  }
  return new Promise<number>((resolve) => {
    let closing = false;
    const stop = (signal: string) => {
      if (closing) return;
      closing = true;
      out.write(`seal: ${signal}: draining requests and flushing the usage log\n`);
      server.close().then(
        () => resolve(0),
        (err: unknown) => {
          out.write(`seal: shutdown failed: ${(err as Error).message}\n`);
          resolve(70);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
