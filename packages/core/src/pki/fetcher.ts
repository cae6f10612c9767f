/** Online revocation fetcher over HTTP(S) with a hard timeout and size cap: unreachable -> null, never a hang. */
import type { CaIssuersFetchResult, RevocationFetcher } from './validate-path.js';

export interface HttpFetcherOptions {
  /** Per request, default 3000 ms. */
  timeoutMs?: number;
  /** Response size cap, default 10 MB. */
  maxBytes?: number;
  /** Size cap of a caIssuers answer (certificates), default 1 MiB (and never above maxBytes). */
  maxCertificateBytes?: number;
}

type Read = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

async function readCapped(res: Response, maxBytes: number): Promise<Read> {
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    return { ok: false, reason: `HTTP status ${res.status}` };
  }
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, reason: `answer larger than ${maxBytes} bytes` };
    }
    parts.push(value);
  }
  return { ok: true, bytes: new Uint8Array(Buffer.concat(parts)) };
}

const failure = (err: unknown): Read => ({
  ok: false,
  reason: err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? 'timed out' : 'unreachable or refused (redirects are not followed)',
});

export function createHttpRevocationFetcher(opts: HttpFetcherOptions = {}): RevocationFetcher {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  const maxCertificateBytes = Math.min(maxBytes, opts.maxCertificateBytes ?? 1024 * 1024);
  const ok = (url: string) => /^https?:\/\//i.test(url);
  const get = async (url: string, cap: number): Promise<Read> => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      return await readCapped(res, cap);
    } catch (err) {
      return failure(err);
    }
  };
  return {
    async fetchCrl(url) {
      if (!ok(url)) return null;
      const r = await get(url, maxBytes);
      return r.ok ? r.bytes : null;
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
        const r = await readCapped(res, maxBytes);
        return r.ok ? r.bytes : null;
      } catch {
        return null;
      }
    },
    // RFC 5280 4.2.2.1: caIssuers over http: only (https: would need the chain being completed)
    async fetchCaIssuers(url): Promise<CaIssuersFetchResult> {
      if (!/^http:\/\//i.test(url)) return { ok: false, reason: 'only http: URLs are fetched' };
      return get(url, maxCertificateBytes);
    },
  };
}
