/**
 * One error tree for the whole service. Every error has a stable `code`; the table below maps
 * each code to the CLI exit code and the HTTP status/problem type, so both apps agree.
 * A failed signature is a report (indication TOTAL_FAILED), never an exception: throw only
 * when no report can be made.
 */
export type ErrorCode =
  | 'ERR_USAGE'
  | 'ERR_NOT_IMPLEMENTED'
  | 'ERR_INPUT_INVALID'
  | 'ERR_INPUT_TOO_LARGE'
  | 'ERR_PDF_MALFORMED'
  | 'ERR_PDF_ENCRYPTED'
  | 'ERR_JWS_INVALID'
  | 'ERR_JSON_INVALID'
  | 'ERR_ASN1_INVALID'
  | 'ERR_KEY_PASSWORD'
  | 'ERR_KEY_INVALID'
  | 'ERR_KEY_MISMATCH'
  | 'ERR_CERT_INVALID'
  | 'ERR_CERT_EXPIRED'
  | 'ERR_ALG_UNSUPPORTED'
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_FORBIDDEN'
  | 'ERR_NOT_FOUND'
  | 'ERR_SEAL_NOT_FOUND'
  | 'ERR_SEAL_STATE'
  | 'ERR_CONFLICT'
  | 'ERR_RATE_LIMITED'
  | 'ERR_KEY_UNAVAILABLE'
  | 'ERR_UPSTREAM'
  | 'ERR_INTERNAL';

export interface ErrorMapping {
  /** CLI exit code (0-3, 64 and 65 are the CLI contract; others follow sysexits.h). */
  readonly exit: number;
  /** HTTP status for the API's problem+json answer. */
  readonly http: number;
  /** Last path segment of the problem type URI (`/problems/<slug>`). */
  readonly slug: string;
}

export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorMapping>> = {
  ERR_USAGE: { exit: 64, http: 400, slug: 'usage' },
  // Nothing raises it any more (everything the contract names is implemented); kept so the code stays stable.
  ERR_NOT_IMPLEMENTED: { exit: 64, http: 501, slug: 'not-implemented' },
  ERR_INPUT_INVALID: { exit: 65, http: 400, slug: 'input-invalid' },
  ERR_INPUT_TOO_LARGE: { exit: 65, http: 413, slug: 'input-too-large' },
  ERR_PDF_MALFORMED: { exit: 65, http: 400, slug: 'pdf-malformed' },
  ERR_PDF_ENCRYPTED: { exit: 65, http: 400, slug: 'pdf-encrypted' },
  ERR_JWS_INVALID: { exit: 65, http: 400, slug: 'jws-invalid' },
  ERR_JSON_INVALID: { exit: 65, http: 400, slug: 'json-invalid' },
  ERR_ASN1_INVALID: { exit: 65, http: 400, slug: 'asn1-invalid' },
  ERR_KEY_PASSWORD: { exit: 65, http: 400, slug: 'key-password' },
  ERR_KEY_INVALID: { exit: 65, http: 400, slug: 'key-invalid' },
  ERR_KEY_MISMATCH: { exit: 65, http: 400, slug: 'key-mismatch' },
  ERR_CERT_INVALID: { exit: 65, http: 400, slug: 'certificate-invalid' },
  ERR_CERT_EXPIRED: { exit: 65, http: 409, slug: 'certificate-expired' },
  ERR_ALG_UNSUPPORTED: { exit: 65, http: 400, slug: 'algorithm-unsupported' },
  ERR_UNAUTHENTICATED: { exit: 77, http: 401, slug: 'unauthenticated' },
  ERR_FORBIDDEN: { exit: 77, http: 403, slug: 'forbidden' },
  ERR_NOT_FOUND: { exit: 69, http: 404, slug: 'not-found' },
  ERR_SEAL_NOT_FOUND: { exit: 69, http: 404, slug: 'seal-not-found' },
  ERR_SEAL_STATE: { exit: 69, http: 409, slug: 'seal-state' },
  ERR_CONFLICT: { exit: 69, http: 409, slug: 'conflict' },
  ERR_RATE_LIMITED: { exit: 75, http: 429, slug: 'rate-limited' },
  ERR_KEY_UNAVAILABLE: { exit: 69, http: 503, slug: 'key-unavailable' },
  ERR_UPSTREAM: { exit: 69, http: 503, slug: 'upstream' },
  ERR_INTERNAL: { exit: 70, http: 500, slug: 'internal' },
};

/** Base of every error the service throws on purpose. Messages never echo secrets. */
export class SealError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SealError';
    this.code = code;
  }
  get exitCode(): number {
    return ERROR_TABLE[this.code].exit;
  }
  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }
}

export class UsageError extends SealError {
  static readonly code = 'ERR_USAGE';
  constructor(message: string) {
    super('ERR_USAGE', message);
    this.name = 'UsageError';
  }
}

export class InputInvalidError extends SealError {
  static readonly code = 'ERR_INPUT_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INPUT_INVALID', message, options);
    this.name = 'InputInvalidError';
  }
}

export class PdfMalformedError extends SealError {
  static readonly code = 'ERR_PDF_MALFORMED';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PDF_MALFORMED', message, options);
    this.name = 'PdfMalformedError';
  }
}

export class KeyPasswordError extends SealError {
  static readonly code = 'ERR_KEY_PASSWORD';
  constructor(message = 'wrong password or unreadable key container') {
    super('ERR_KEY_PASSWORD', message);
    this.name = 'KeyPasswordError';
  }
}

export class AlgorithmUnsupportedError extends SealError {
  static readonly code = 'ERR_ALG_UNSUPPORTED';
  constructor(message: string) {
    super('ERR_ALG_UNSUPPORTED', message);
    this.name = 'AlgorithmUnsupportedError';
  }
}

/** Narrow an unknown thrown value to a SealError, wrapping anything else as ERR_INTERNAL. */
export function toSealError(err: unknown): SealError {
  if (err instanceof SealError) return err;
  return new SealError('ERR_INTERNAL', 'internal error', { cause: err });
}
