/**
 * What the API needs from the rest of the service. `buildApp(deps)` takes these; `server.ts`
 * builds them for `seal serve`. The API itself never
 * parses PDF or CMS and never sees key bytes: it moves bytes between the caller, the registry
 * (who may do what, which Signer, the usage log) and the sealing engine (sign/verify).
 */
import type { Signer, VerificationReport } from '@seal/core';
import type { Account, Registry } from '@seal/registry';
import type { PdfSealOptions } from '@seal/client';

/** The authenticated caller of a request: the registry's account (also its `Actor`). */
export type Principal = Account;

/** The registry facade (packages/registry): accounts, seals, lifecycle, CRL/OCSP, usage log, keys. */
export type RegistryPort = Registry;

export interface SealPdfInput {
  pdf: Uint8Array;
  options: PdfSealOptions;
  /**
   * With option `qr`: the verification URL to draw (`${baseUrl}/v/${entryId}#sha256=...`), made by
   * the sealing route, which knows the usage-log entry id before sealing.
   */
  qrUrl?: string;
  /**
   * For level B-LT/B-LTA: the validation data the DSS gets, made by the main thread from the
   * registry (the workers have no registry). Structured-clone safe: DER bytes only.
   */
  ltv?: LtvMaterial;
}

/** Validation data for PAdES B-LT/B-LTA (all DER). */
export interface LtvMaterial {
  /** The registry's current CRL, then CRLs of the CAs above it (e.g. the root's). */
  crls: Uint8Array[];
  /** OCSP responses of the registry's responder (for the seal certificate). */
  ocsps: Uint8Array[];
  /** The seal certificate's issuing chain (seal certificate first). */
  certificates: Uint8Array[];
  /** The service's trust anchors: every chain in the DSS (seal, time-stamp authority) must reach one. */
  trustAnchors: Uint8Array[];
}

export interface SealJsonInput {
  /** The JSON document as UTF-8 text (what the caller sent). */
  payload: Uint8Array;
  format: 'compact' | 'json';
  detached: boolean;
  canonical: boolean;
}

/** What verification trusts: anchors, plus the registry's current CRL so revocations show at once. */
export interface TrustInput {
  trustAnchors: Uint8Array[];
  crls: Uint8Array[];
}

/** The CPU-heavy work: sealing and verifying. Runs in worker threads in production. */
export interface EnginePort {
  signPdf(input: SealPdfInput, signer: Signer): Promise<{ pdf: Uint8Array; signatureValue: Uint8Array }>;
  signJson(input: SealJsonInput, signer: Signer): Promise<{ signature: unknown; signatureValue: Uint8Array }>;
  verifyPdf(pdf: Uint8Array, trust: TrustInput): Promise<VerificationReport>;
  verifyJson(jws: string, payload: Uint8Array | null, trust: TrustInput): Promise<VerificationReport>;
  close?(): Promise<void>;
}

export interface TsaPort {
  /** An RFC 3161 TimeStampResp (DER) for a TimeStampReq (DER). */
  respond(request: Uint8Array): Promise<Uint8Array>;
}

export interface ApiLimits {
  /** Largest accepted request body for PDFs and batches (bytes). Default 50 MiB. */
  pdfBodyLimit: number;
  /** Largest accepted JSON body for other routes (bytes). Default 1 MiB. */
  jsonBodyLimit: number;
  /** Requests per key (or per IP when anonymous) per window. Default 600. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** Request timeout (ms). Default 60 s. */
  requestTimeoutMs: number;
  /** Most documents in one batch request. Default 100. */
  batchMaxDocuments: number;
}

export interface ApiDeps {
  registry: RegistryPort;
  /** Trust anchors (DER) for the verification routes; default: the registry CA's chain root. */
  trustAnchors: readonly Uint8Array[];
  engine: EnginePort;
  tsa?: TsaPort;
  limits?: Partial<ApiLimits>;
  /** Fastify logger option (true, false, or a pino options object / destination). */
  logger?: boolean | Record<string, unknown>;
  /** Public base URL, used in OpenAPI and verification links. */
  baseUrl?: string;
  /** More CRLs for verification (e.g. the root's, for the issuing CA certificate). */
  extraCrls?: () => Promise<Uint8Array[]>;
  /**
   * The in-process engine for small documents (see seal-use.ts), made with the same options as
   * `engine` (TSA URL, base URL); without it every document goes to `engine`.
   */
  inlineEngine?: EnginePort;
  /** Serve the verification page at / (default true). */
  web?: boolean;
  /** Extra plugins to register (e.g. the verification web page), each in its own scope. */
  plugins?: ReadonlyArray<{ plugin: (app: import('fastify').FastifyInstance, opts: Record<string, unknown>) => Promise<void>; options?: Record<string, unknown> }>;
}

export const DEFAULT_LIMITS: ApiLimits = {
  pdfBodyLimit: 50 * 1024 * 1024,
  jsonBodyLimit: 1024 * 1024,
  rateLimitMax: 600,
  rateLimitWindowMs: 60_000,
  requestTimeoutMs: 60_000,
  batchMaxDocuments: 100,
};
