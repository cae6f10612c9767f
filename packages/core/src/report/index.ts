/**
 * The verification report: one shape for PDF, JSON, SES and OFD verification, for the CLI's
 * `--json` output, the library and the API. Indications follow ETSI EN 319 102-1.
 * Field names listed in the foundation issue's contract are stable; others may be added.
 */
export type Indication = 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE';
export type DocumentIndication = Indication | 'NO_SIGNATURE';

export type SubIndication =
  // TOTAL_FAILED
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'REVOKED'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'SIG_CONSTRAINTS_FAILURE'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  // INDETERMINATE
  | 'SIG_FORMAT_FAILURE'
  | 'SIGNED_DATA_NOT_FOUND'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'REVOKED_NO_POE'
  | 'REVOKED_CA_NO_POE'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'OUT_OF_BOUNDS_NOT_REVOKED'
  | 'CRYPTO_CONSTRAINTS_FAILURE'
  | 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE'
  | 'TRY_LATER'
  | 'CERTIFICATE_CHAIN_GENERAL_FAILURE'
  | 'TIMESTAMP_ORDER_FAILURE'
  | 'POLICY_PROCESSING_ERROR'
  | 'GENERIC';

export interface SignerInfoSummary {
  subject: string;
  issuer: string;
  /** Hex, lower case, no leading zeros stripped. */
  serialNumber: string;
}

export type RevocationStatusValue = 'good' | 'revoked' | 'unknown';

export interface RevocationSummary {
  status: RevocationStatusValue;
  /** RFC 5280 reason name (keyCompromise, certificateHold, ...) when revoked. */
  reason: string | null;
  /** ISO-8601 revocation time when revoked. */
  revokedAt: string | null;
  /** Where the answer came from: 'crl', 'ocsp', 'dss', 'registry', or null. */
  source?: string | null;
}

export interface TimestampSummary {
  /** ISO-8601 time the TSA asserts. */
  time: string;
  /** Whether the token's imprint, signature and TSA chain were all verified. */
  valid: boolean;
  tsa: string | null;
  trusted?: boolean;
}

export interface ModificationEntry {
  /** Revision index (0-based) in which the change appears. */
  revision: number;
  /** Object reference ("12 0 R") or a description of what changed. */
  object: string;
  /** What kind of change: 'page-content', 'annotation', 'signature', 'dss', 'form-fill', ... */
  kind: string;
  allowed: boolean;
  description: string;
}

export interface SignatureReport {
  indication: Indication;
  subIndication: SubIndication | null;
  signer: SignerInfoSummary | null;
  /** ISO-8601: the proven time (timestamp) when there is one, else the claimed time. */
  signingTime: string | null;
  /** Whether signingTime is proven by a valid timestamp or only claimed by the signer. */
  signingTimeSource?: 'timestamp' | 'claimed' | null;
  trusted: boolean;
  revocation: RevocationSummary;
  coversWholeDocument: boolean;
  modifications: ModificationEntry[];
  timestamp: TimestampSummary | null;
  /** PAdES/JAdES/CAdES level reached, e.g. 'B-B', 'B-T', 'B-LT', 'B-LTA'; for SES/OFD the format. */
  level: string | null;
  /** Human-readable reasons behind the indication, most important first. */
  errors?: string[];
  warnings?: string[];
  [extra: string]: unknown;
}

export interface VerificationReport {
  indication: DocumentIndication;
  signatures: SignatureReport[];
  [extra: string]: unknown;
}

/**
 * A signature's report before anything about it is established: no signer, no time, not trusted,
 * revocation unknown, covering nothing, no level, no errors or warnings yet. Verifiers start from
 * it and fill in what they find; each call returns new objects and arrays.
 */
export function blankSignatureReport(indication: Indication, subIndication: SubIndication | null): SignatureReport {
  return {
    indication,
    subIndication,
    signer: null,
    signingTime: null,
    signingTimeSource: null,
    trusted: false,
    revocation: { status: 'unknown', reason: null, revokedAt: null, source: null },
    coversWholeDocument: false,
    modifications: [],
    timestamp: null,
    level: null,
    errors: [],
    warnings: [],
  };
}

/** The CLI exit code for a report: 0 all passed, 1 any failed, 2 indeterminate, 3 no signature. */
export function exitCodeForReport(report: VerificationReport): number {
  switch (report.indication) {
    case 'TOTAL_PASSED':
      return 0;
    case 'TOTAL_FAILED':
      return 1;
    case 'INDETERMINATE':
      return 2;
    case 'NO_SIGNATURE':
      return 3;
  }
}

/** Combine per-signature indications: any failure fails, else any indeterminate, else passed. */
export function combineIndications(signatures: readonly SignatureReport[]): DocumentIndication {
  if (signatures.length === 0) return 'NO_SIGNATURE';
  if (signatures.some((s) => s.indication === 'TOTAL_FAILED')) return 'TOTAL_FAILED';
  if (signatures.some((s) => s.indication === 'INDETERMINATE')) return 'INDETERMINATE';
  return 'TOTAL_PASSED';
}
