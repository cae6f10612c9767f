/** Online revocation fetcher over HTTP(S) with a hard timeout and size cap: unreachable -> null, never a hang. */
import type { RevocationFetcher } from './validate-path.js';

export interface HttpFetcherOptions {
  /** Per request, default 3000 ms. */
  timeoutMs?: number;
  /** Response size cap, default 10 MB. */
  maxBytes?: number;
}

async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array | null> {
  if (!res.ok || !res.body) return null;
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    parts.push(value);
  }
  return new Uint8Array(Buffer.concat(parts));
}

export function createHttpRevocationFetcher(opts: HttpFetcherOptions = {}): RevocationFetcher {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  const ok = (url: string) => /^https?:\/\//i.test(url);
  return {
    async fetchCrl(url) {
      if (!ok(url)) return null;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
        return await readCapped(res, maxBytes);
      } catch {
        return null;
      }
    },
    async fetchOcsp(url, request) {
      if (!ok(url)) return null;
      try {
        const res = await fetch(url, {
          method: 'POST',
          body: request,
          headers: { 'content-type': 'application/ocsp-request' },
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
        return await readCapped(res, maxBytes);
      } catch {
        return null;
      }
    },
  };
}
