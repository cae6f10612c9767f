/**
 * The TSA over HTTP (RFC 3161 section 3.4): a node:http request handler.
 *
 *   http.createServer(createTsaHttpHandler(tsa)).listen(0, '127.0.0.1')
 *
 * POST only (405 otherwise), Content-Type application/timestamp-query (415 otherwise), body at
 * most `maxBodyBytes` (413), answer 200 application/timestamp-reply. Rejections of bad requests
 * are ordinary TimeStampResp answers with status rejection, as the RFC wants.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TimestampAuthority } from './authority.js';

export interface TsaHttpOptions {
  /** Largest accepted request body (default 16 KiB; a TimeStampReq is under 200 bytes). */
  maxBodyBytes?: number;
}

const DRAIN_LIMIT = 1024 * 1024;

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(`${text}\n`);
}

export function createTsaHttpHandler(tsa: TimestampAuthority, options: TsaHttpOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const max = options.maxBodyBytes ?? 16 * 1024;
  return (req, res) => {
    if (req.method !== 'POST') {
      req.resume();
      plain(res, 405, 'method not allowed', { allow: 'POST' });
      return;
    }
    const ctype = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (ctype !== 'application/timestamp-query') {
      req.resume();
      plain(res, 415, 'expected application/timestamp-query');
      return;
    }
    // Too large: answer 413 at once but keep draining (up to DRAIN_LIMIT) so the client can read
    // the answer instead of seeing a reset; beyond that the connection is cut.
    const declared = Number(req.headers['content-length'] ?? '0');
    const chunks: Buffer[] = [];
    let total = 0;
    let failed = false;
    const tooLarge = (): void => {
      failed = true;
      plain(res, 413, 'request too large');
    };
    if (declared > max) tooLarge();
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > DRAIN_LIMIT) {
        req.destroy();
        return;
      }
      if (failed) return;
      if (total > max) {
        tooLarge();
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      failed = true;
      res.destroy();
    });
    req.on('end', () => {
      if (failed) return;
      tsa
        .respond(Buffer.concat(chunks))
        .then((answer) => {
          res.writeHead(200, { 'content-type': 'application/timestamp-reply', 'content-length': String(answer.length), 'cache-control': 'no-store' });
          res.end(answer);
        })
        .catch(() => plain(res, 500, 'internal error'));
    });
  };
}
