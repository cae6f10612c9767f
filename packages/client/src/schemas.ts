/**
 * The wire contract of the seal service's HTTP API: JSON schemas (used by the server to validate
 * requests and serialise responses, and published at /openapi.json) and the matching TypeScript
 * types (used by the SDK). Both live here so that server and client share one definition.
 * Schemas are code, never user input.
 */
import type { CrlReasonName, VerificationReport } from '@seal/core';

export type Role = 'admin' | 'officer' | 'operator' | 'auditor';
export const ROLES: readonly Role[] = ['admin', 'officer', 'operator', 'auditor'];

/**
 * The RFC 5280 CRLReason names the revoke route accepts: a subset of core's one reason table
 * (checked by the type); certificateHold is suspension, removeFromCRL and aACompromise do not apply.
 */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const satisfies readonly CrlReasonName[];
export type RevocationReasonName = (typeof REVOCATION_REASONS)[number];

export type SealState = 'active' | 'suspended' | 'revoked' | 'expired';
export type SealRequestState = 'pending' | 'approved' | 'rejected' | 'issued';
export type SealAlgorithm = 'RSA-2048' | 'RSA-3072' | 'EC-P256' | 'EC-P384';
export const SEAL_ALGORITHMS: readonly SealAlgorithm[] = ['RSA-2048', 'RSA-3072', 'EC-P256', 'EC-P384'];
export const SEAL_KINDS = ['official', 'contract', 'finance', 'invoice', 'legal-representative', 'personal'] as const;
export type SealKind = (typeof SEAL_KINDS)[number];

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
}

export interface Agency {
  id: string;
  name: string;
  createdAt: string;
}

export interface Account {
  id: string;
  /** null for a service-wide account. */
  agencyId: string | null;
  name: string;
  role: Role;
  createdAt: string;
  disabled: boolean;
}

export interface Me {
  accountId: string;
  agencyId: string | null;
  role: Role;
}

export interface IssuedApiKey {
  accountId: string;
  /** Shown exactly once; the service keeps only a slow hash. */
  apiKey: string;
}

export interface SealRevocation {
  reason: string;
  revokedAt: string;
  invalidityDate: string | null;
}

export interface SealRequest {
  id: string;
  agencyId: string;
  kind: string;
  name: string;
  algorithm: string;
  validityDays: number;
  state: SealRequestState | string;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  /** The issued seal, once issued. */
  sealId: string | null;
}

export interface Seal {
  id: string;
  agencyId: string;
  requestId: string;
  name: string;
  kind: string;
  algorithm: string;
  state: SealState | string;
  caId: string;
  /** Certificate serial number, lower-case hex. */
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** PEM: the seal certificate, then its issuers. */
  certificateChain: string;
  stateChangedAt: string;
  revocation: SealRevocation | null;
}

export interface LogEntryRef {
  /** 0-based leaf index in the usage log's Merkle tree. */
  index: number;
  /** Hex SHA-256 leaf hash (RFC 6962 leaf hash). */
  leafHash: string;
  /** The entry's random id (32 hex digits), the id in the QR verification link `/v/{entryId}`. */
  entryId?: string;
}

export interface JsonSealRequest {
  /** The JSON document to seal. */
  payload: unknown;
  format?: 'compact' | 'json';
  detached?: boolean;
  canonical?: boolean;
}

export interface JsonSealResult {
  /** Compact JWS string, or the JWS JSON serialization object. */
  signature: unknown;
  logEntry: LogEntryRef;
}

export interface PdfSealOptions {
  visible?: boolean;
  page?: number;
  /** x,y,w,h in PDF points. */
  rect?: [number, number, number, number];
  level?: 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
  certify?: 1 | 2 | 3;
  reason?: string;
  location?: string;
  qr?: boolean;
}

export interface BatchDocument {
  name: string;
  contentType: 'application/pdf' | 'application/json';
  /** Base64 of the document bytes. */
  data: string;
  options?: PdfSealOptions;
}

export interface BatchItemResult {
  name: string;
  ok: boolean;
  /** Base64 of the sealed document when ok. */
  data?: string;
  contentType?: string;
  logEntry?: LogEntryRef;
  error?: Problem;
}

export interface BatchResult {
  results: BatchItemResult[];
}

/** What the registry knows about a signature's signer certificate. */
export interface RegistryView {
  /** Index into report.signatures. */
  signature: number;
  seal: { id: string; name: string; kind: string; algorithm: string } | null;
  agency: { id: string; name: string } | null;
  /** Current status in the registry; null when the certificate is not one of ours. */
  status: { state: string; revokedAt: string | null; reason: string | null } | null;
}

export interface VerifyResult {
  report: VerificationReport;
  registry: RegistryView[];
}

export interface Checkpoint {
  treeSize: number;
  /** Hex SHA-256 Merkle root. */
  rootHash: string;
  at: string;
  /** The signed checkpoint as a signed note (see docs/registry.md). */
  note: string;
}

export interface InclusionProof {
  index: number;
  treeSize: number;
  leafHash: string;
  rootHash: string;
  /** Hex hashes, leaf to root (RFC 9162). */
  proof: string[];
}

export interface ConsistencyProof {
  firstSize: number;
  secondSize: number;
  firstRoot: string;
  secondRoot: string;
  proof: string[];
}

export interface UsageEntry {
  index: number;
  leafHash: string;
  at: string;
  sealId: string;
  agencyId: string;
  accountId: string;
  documentKind: string;
  documentSha256: string;
  signatureSha256: string;
  /** The entry's random id (32 hex digits, the id in `/v/{entryId}` links); null for entries logged without one (before registry schema 3). */
  entryId: string | null;
}

export interface Health {
  status: 'ok';
}

export interface Readiness {
  status: 'ready' | 'not-ready';
  checks: Record<string, boolean>;
}

// ---------------------------------------------------------------- JSON schemas

const iso = { type: 'string' } as const;
const id = { type: 'string', minLength: 1, maxLength: 128 } as const;
const hex = { type: 'string', pattern: '^[0-9a-f]*$' } as const;

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
} as const;

export const agencySchema = {
  $id: 'Agency',
  type: 'object',
  required: ['id', 'name', 'createdAt'],
  properties: { id, name: { type: 'string' }, createdAt: iso },
} as const;

const nullableId = { type: ['string', 'null'], maxLength: 128 } as const;

export const accountSchema = {
  $id: 'Account',
  type: 'object',
  required: ['id', 'agencyId', 'name', 'role', 'createdAt', 'disabled'],
  properties: { id, agencyId: nullableId, name: { type: 'string' }, role: { type: 'string', enum: ROLES }, createdAt: iso, disabled: { type: 'boolean' } },
} as const;

export const meSchema = {
  $id: 'Me',
  type: 'object',
  required: ['accountId', 'agencyId', 'role'],
  properties: { accountId: id, agencyId: nullableId, role: { type: 'string', enum: ROLES } },
} as const;

export const issuedApiKeySchema = {
  $id: 'IssuedApiKey',
  type: 'object',
  required: ['accountId', 'apiKey'],
  properties: { accountId: id, apiKey: { type: 'string' } },
} as const;

export const sealRequestSchema = {
  $id: 'SealRequest',
  type: 'object',
  required: ['id', 'agencyId', 'kind', 'name', 'algorithm', 'validityDays', 'state', 'requestedBy', 'requestedAt', 'decidedBy', 'decidedAt', 'sealId'],
  properties: {
    id,
    agencyId: id,
    kind: { type: 'string' },
    name: { type: 'string' },
    algorithm: { type: 'string' },
    validityDays: { type: 'integer' },
    state: { type: 'string' },
    requestedBy: { type: 'string' },
    requestedAt: iso,
    decidedBy: { type: ['string', 'null'] },
    decidedAt: { type: ['string', 'null'] },
    sealId: nullableId,
  },
} as const;

export const sealSchema = {
  $id: 'Seal',
  type: 'object',
  required: ['id', 'agencyId', 'requestId', 'name', 'kind', 'algorithm', 'state', 'caId', 'serialNumber', 'notBefore', 'notAfter', 'certificateChain', 'stateChangedAt', 'revocation'],
  properties: {
    id,
    agencyId: id,
    requestId: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string' },
    algorithm: { type: 'string' },
    state: { type: 'string' },
    caId: { type: 'string' },
    serialNumber: { type: 'string' },
    notBefore: iso,
    notAfter: iso,
    certificateChain: { type: 'string' },
    stateChangedAt: iso,
    revocation: {
      type: ['object', 'null'],
      required: ['reason', 'revokedAt', 'invalidityDate'],
      properties: { reason: { type: 'string' }, revokedAt: iso, invalidityDate: { type: ['string', 'null'] } },
    },
  },
} as const;

export const logEntryRefSchema = {
  $id: 'LogEntryRef',
  type: 'object',
  required: ['index', 'leafHash'],
  properties: { index: { type: 'integer', minimum: 0 }, leafHash: hex, entryId: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
} as const;

export const verificationReportSchema = {
  $id: 'VerificationReport',
  type: 'object',
  required: ['indication', 'signatures'],
  additionalProperties: true,
  properties: {
    indication: { type: 'string', enum: ['TOTAL_PASSED', 'TOTAL_FAILED', 'INDETERMINATE', 'NO_SIGNATURE'] },
    signatures: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

export const registryViewSchema = {
  $id: 'RegistryView',
  type: 'object',
  required: ['signature', 'seal', 'agency', 'status'],
  properties: {
    signature: { type: 'integer' },
    seal: {
      type: ['object', 'null'],
      required: ['id', 'name', 'kind', 'algorithm'],
      properties: { id, name: { type: 'string' }, kind: { type: 'string' }, algorithm: { type: 'string' } },
    },
    agency: { type: ['object', 'null'], required: ['id', 'name'], properties: { id, name: { type: 'string' } } },
    status: {
      type: ['object', 'null'],
      required: ['state', 'revokedAt', 'reason'],
      properties: { state: { type: 'string' }, revokedAt: { type: ['string', 'null'] }, reason: { type: ['string', 'null'] } },
    },
  },
} as const;

export const verifyResultSchema = {
  $id: 'VerifyResult',
  type: 'object',
  required: ['report', 'registry'],
  properties: {
    report: { $ref: 'VerificationReport#' },
    registry: { type: 'array', items: { $ref: 'RegistryView#' } },
  },
} as const;

export const pdfSealOptionsSchema = {
  $id: 'PdfSealOptions',
  type: 'object',
  additionalProperties: false,
  properties: {
    visible: { type: 'boolean' },
    page: { type: 'integer', minimum: 1 },
    rect: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 },
    level: { type: 'string', enum: ['B-B', 'B-T', 'B-LT', 'B-LTA'] },
    certify: { type: 'integer', enum: [1, 2, 3] },
    reason: { type: 'string', maxLength: 512 },
    location: { type: 'string', maxLength: 512 },
    qr: { type: 'boolean' },
  },
} as const;

export const checkpointSchema = {
  $id: 'Checkpoint',
  type: 'object',
  required: ['treeSize', 'rootHash', 'at', 'note'],
  properties: { treeSize: { type: 'integer' }, rootHash: hex, at: iso, note: { type: 'string' } },
} as const;

export const inclusionProofSchema = {
  $id: 'InclusionProof',
  type: 'object',
  required: ['index', 'treeSize', 'leafHash', 'rootHash', 'proof'],
  properties: {
    index: { type: 'integer' },
    treeSize: { type: 'integer' },
    leafHash: hex,
    rootHash: hex,
    proof: { type: 'array', items: hex },
  },
} as const;

export const consistencyProofSchema = {
  $id: 'ConsistencyProof',
  type: 'object',
  required: ['firstSize', 'secondSize', 'firstRoot', 'secondRoot', 'proof'],
  properties: {
    firstSize: { type: 'integer' },
    secondSize: { type: 'integer' },
    firstRoot: hex,
    secondRoot: hex,
    proof: { type: 'array', items: hex },
  },
} as const;

export const usageEntrySchema = {
  $id: 'UsageEntry',
  type: 'object',
  required: ['index', 'leafHash', 'at', 'sealId', 'agencyId', 'accountId', 'documentKind', 'documentSha256', 'signatureSha256', 'entryId'],
  properties: {
    index: { type: 'integer' },
    leafHash: hex,
    at: iso,
    sealId: id,
    agencyId: id,
    accountId: id,
    documentKind: { type: 'string' },
    documentSha256: hex,
    signatureSha256: hex,
    entryId: { type: ['string', 'null'], pattern: '^[0-9a-f]{32}$' },
  },
} as const;

export const readinessSchema = {
  $id: 'Readiness',
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not-ready'] },
    checks: { type: 'object', additionalProperties: { type: 'boolean' } },
  },
} as const;

/** Every shared schema, for `app.addSchema`. */
export const SHARED_SCHEMAS = [
  problemSchema,
  agencySchema,
  accountSchema,
  meSchema,
  issuedApiKeySchema,
  sealRequestSchema,
  sealSchema,
  logEntryRefSchema,
  verificationReportSchema,
  registryViewSchema,
  verifyResultSchema,
  pdfSealOptionsSchema,
  checkpointSchema,
  inclusionProofSchema,
  consistencyProofSchema,
  usageEntrySchema,
  readinessSchema,
] as const;

/** The header naming the usage-log entry of a sealing success. */
export const LOG_ENTRY_HEADER = 'seal-log-entry';
/** The random entry id of that usage-log entry (the id in the QR verification link). */
export const LOG_ENTRY_ID_HEADER = 'seal-log-entry-id';
