/**
 * The typed SDK of the seal service: one method per route, typed from the shared wire contract
 * in schemas.ts. Errors come back as ApiError, a SealError carrying the problem document's
 * stable `code` (so the CLI maps them to exit codes like any other SealError).
 */
import { ERROR_TABLE, SealError, type ErrorCode } from '@seal/core';
import {
  LOG_ENTRY_HEADER,
  LOG_ENTRY_ID_HEADER,
  type Account,
  type Agency,
  type BatchDocument,
  type BatchResult,
  type Checkpoint,
  type ConsistencyProof,
  type Health,
  type InclusionProof,
  type IssuedApiKey,
  type JsonSealRequest,
  type JsonSealResult,
  type LogEntryRef,
  type Me,
  type PdfSealOptions,
  type Problem,
  type Readiness,
  type RevocationReasonName,
  type Role,
  type Seal,
  type SealRequest,
  type UsageEntry,
  type VerifyResult,
} from './schemas.js';

export class ApiError extends SealError {
  readonly status: number;
  readonly problem: Problem | null;
  constructor(status: number, problem: Problem | null) {
    const code: ErrorCode = problem !== null && problem.code in ERROR_TABLE ? (problem.code as ErrorCode) : status >= 500 ? 'ERR_UPSTREAM' : 'ERR_INPUT_INVALID';
    super(code, problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

export interface SealClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  apiKey?: string;
  /** Per-request timeout in ms (default 120 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface SealedPdf {
  pdf: Uint8Array;
  logEntry: LogEntryRef;
}

type Body = { json: unknown } | { bytes: Uint8Array; contentType: string } | { form: FormData } | undefined;

export class SealClient {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: SealClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#fetch = options.fetch ?? fetch;
  }

  /** A client with another API key, same server. */
  withApiKey(apiKey: string): SealClient {
    return new SealClient({ baseUrl: this.baseUrl, apiKey, timeoutMs: this.#timeoutMs, fetch: this.#fetch });
  }

  async #request(method: string, path: string, body?: Body, accept = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { accept: `${accept}, application/problem+json` };
    if (this.#apiKey !== undefined) headers['authorization'] = `Bearer ${this.#apiKey}`;
    let payload: RequestInit["body"] | undefined;
    if (body !== undefined) {
      if ('json' in body) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body.json);
      } else if ('bytes' in body) {
        headers['content-type'] = body.contentType;
        payload = body.bytes as unknown as RequestInit["body"];
      } else {
        payload = body.form;
      }
    }
    let res: Response;
    try {
      res = await this.#fetch(`${this.baseUrl}${path}`, { method, headers, body: payload ?? null, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (err) {
      throw new SealError('ERR_UPSTREAM', `cannot reach ${this.baseUrl}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok) {
      let problem: Problem | null = null;
      try {
        const j = (await res.json()) as Partial<Problem>;
        if (typeof j.code === 'string' && typeof j.status === 'number') problem = j as Problem;
      } catch {
        problem = null;
      }
      throw new ApiError(res.status, problem);
    }
    return res;
  }

  async #json<T>(method: string, path: string, body?: Body): Promise<T> {
    const res = await this.#request(method, path, body);
    return (await res.json()) as T;
  }

  async #binary(method: string, path: string, body: Body | undefined, accept: string): Promise<{ bytes: Uint8Array; res: Response }> {
    const res = await this.#request(method, path, body, accept);
    return { bytes: new Uint8Array(await res.arrayBuffer()), res };
  }

  // ---------------------------------------------------------------- health, docs
  health(): Promise<Health> {
    return this.#json('GET', '/healthz');
  }
  ready(): Promise<Readiness> {
    return this.#json('GET', '/readyz');
  }
  openapi(): Promise<Record<string, unknown>> {
    return this.#json('GET', '/openapi.json');
  }

  // ---------------------------------------------------------------- agencies, accounts
  me(): Promise<Me> {
    return this.#json('GET', '/v1/me');
  }
  listAgencies(): Promise<Agency[]> {
    return this.#json('GET', '/v1/agencies');
  }
  createAgency(name: string): Promise<Agency> {
    return this.#json('POST', '/v1/agencies', { json: { name } });
  }
  getAgency(agencyId: string): Promise<Agency> {
    return this.#json('GET', `/v1/agencies/${enc(agencyId)}`);
  }
  listAccounts(agencyId: string): Promise<Account[]> {
    return this.#json('GET', `/v1/agencies/${enc(agencyId)}/accounts`);
  }
  createAccount(agencyId: string, name: string, role: Role): Promise<{ account: Account; apiKey: string }> {
    return this.#json('POST', `/v1/agencies/${enc(agencyId)}/accounts`, { json: { name, role } });
  }
  createServiceAccount(name: string, role: Role): Promise<{ account: Account; apiKey: string }> {
    return this.#json('POST', '/v1/accounts', { json: { name, role } });
  }
  createApiKey(accountId: string): Promise<IssuedApiKey> {
    return this.#json('POST', `/v1/accounts/${enc(accountId)}/keys`);
  }

  // ---------------------------------------------------------------- seals and lifecycle
  listSeals(agencyId: string): Promise<Seal[]> {
    return this.#json('GET', `/v1/agencies/${enc(agencyId)}/seals`);
  }
  getSeal(sealId: string): Promise<Seal> {
    return this.#json('GET', `/v1/seals/${enc(sealId)}`);
  }
  listSealRequests(agencyId: string): Promise<SealRequest[]> {
    return this.#json('GET', `/v1/agencies/${enc(agencyId)}/seal-requests`);
  }
  requestSeal(agencyId: string, input: { name: string; kind: string; algorithm: string; validityDays?: number }): Promise<SealRequest> {
    return this.#json('POST', `/v1/agencies/${enc(agencyId)}/seal-requests`, { json: input });
  }
  approveSealRequest(requestId: string): Promise<SealRequest> {
    return this.#json('POST', `/v1/seal-requests/${enc(requestId)}/approve`);
  }
  rejectSealRequest(requestId: string): Promise<SealRequest> {
    return this.#json('POST', `/v1/seal-requests/${enc(requestId)}/reject`);
  }
  issueSeal(requestId: string): Promise<SealRequest> {
    return this.#json('POST', `/v1/seal-requests/${enc(requestId)}/issue`);
  }
  suspendSeal(sealId: string): Promise<Seal> {
    return this.#json('POST', `/v1/seals/${enc(sealId)}/suspend`);
  }
  reinstateSeal(sealId: string): Promise<Seal> {
    return this.#json('POST', `/v1/seals/${enc(sealId)}/reinstate`);
  }
  revokeSeal(sealId: string, reason: RevocationReasonName, invalidityDate?: string): Promise<Seal> {
    return this.#json('POST', `/v1/seals/${enc(sealId)}/revoke`, { json: invalidityDate === undefined ? { reason } : { reason, invalidityDate } });
  }

  // ---------------------------------------------------------------- sealing
  async sealPdf(sealId: string, pdf: Uint8Array, options?: PdfSealOptions): Promise<SealedPdf> {
    let body: Body;
    if (options === undefined || Object.keys(options).length === 0) {
      body = { bytes: pdf, contentType: 'application/pdf' };
    } else {
      const form = new FormData();
      for (const [k, v] of Object.entries(options)) {
        if (v === undefined) continue;
        form.append(k, Array.isArray(v) ? v.join(',') : String(v));
      }
      form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'document.pdf');
      body = { form };
    }
    const { bytes, res } = await this.#binary('POST', `/v1/seals/${enc(sealId)}/pdf`, body, 'application/pdf');
    return { pdf: bytes, logEntry: logEntryFrom(res) };
  }
  sealJson(sealId: string, request: JsonSealRequest): Promise<JsonSealResult> {
    return this.#json('POST', `/v1/seals/${enc(sealId)}/json`, { json: request });
  }
  sealBatch(sealId: string, documents: BatchDocument[]): Promise<BatchResult> {
    return this.#json('POST', `/v1/seals/${enc(sealId)}/batch`, { json: { documents } });
  }

  // ---------------------------------------------------------------- verification (public)
  verifyPdf(pdf: Uint8Array): Promise<VerifyResult> {
    return this.#json('POST', '/v1/verify/pdf', { bytes: pdf, contentType: 'application/pdf' });
  }
  verifyJson(jws: unknown, payload?: Uint8Array): Promise<VerifyResult> {
    const json: { jws: unknown; payload?: string } = { jws };
    if (payload !== undefined) json.payload = Buffer.from(payload).toString('base64');
    return this.#json('POST', '/v1/verify/json', { json });
  }

  // ---------------------------------------------------------------- PKI (public)
  async crl(caId: string): Promise<Uint8Array> {
    return (await this.#binary('GET', `/v1/crl/${enc(caId)}`, undefined, 'application/pkix-crl')).bytes;
  }
  async ocsp(request: Uint8Array): Promise<Uint8Array> {
    return (await this.#binary('POST', '/v1/ocsp', { bytes: request, contentType: 'application/ocsp-request' }, 'application/ocsp-response')).bytes;
  }
  async ocspGet(request: Uint8Array): Promise<Uint8Array> {
    const b64 = encodeURIComponent(Buffer.from(request).toString('base64'));
    return (await this.#binary('GET', `/v1/ocsp/${b64}`, undefined, 'application/ocsp-response')).bytes;
  }
  async timestamp(query: Uint8Array): Promise<Uint8Array> {
    return (await this.#binary('POST', '/v1/tsa', { bytes: query, contentType: 'application/timestamp-query' }, 'application/timestamp-reply')).bytes;
  }

  // ---------------------------------------------------------------- usage log
  checkpoint(): Promise<Checkpoint> {
    return this.#json('GET', '/v1/log/checkpoint');
  }
  inclusionProof(index: number, treeSize?: number): Promise<InclusionProof> {
    return this.#json('GET', `/v1/log/entries/${index}/proof${treeSize === undefined ? '' : `?treeSize=${treeSize}`}`);
  }
  consistencyProof(from: number, to?: number): Promise<ConsistencyProof> {
    return this.#json('GET', `/v1/log/consistency?from=${from}${to === undefined ? '' : `&to=${to}`}`);
  }
  getUsage(index: number): Promise<UsageEntry> {
    return this.#json('GET', `/v1/log/entries/${index}`);
  }
  /** Usage entries of one of your agency's seals, newest first (auditors and admins). */
  listSealUsage(sealId: string, limit?: number): Promise<UsageEntry[]> {
    const q = new URLSearchParams({ sealId });
    if (limit !== undefined) q.set('limit', String(limit));
    return this.#json('GET', `/v1/log/entries?${q.toString()}`);
  }

}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function logEntryFrom(res: Response): LogEntryRef {
  const index = Number(res.headers.get(LOG_ENTRY_HEADER));
  const leafHash = res.headers.get('seal-log-leaf-hash') ?? '';
  if (!Number.isSafeInteger(index) || index < 0) throw new SealError('ERR_UPSTREAM', 'the service did not name the usage-log entry');
  const entryId = res.headers.get(LOG_ENTRY_ID_HEADER);
  return entryId !== null && /^[0-9a-f]{32}$/.test(entryId) ? { index, leafHash, entryId } : { index, leafHash };
}
