/** Public record types of the registry. Times are ISO-8601 strings in records, Dates in options. */
import { CRL_REASONS } from '@seal/core';

export type Role = 'admin' | 'officer' | 'operator' | 'auditor';
export const ROLES: readonly Role[] = ['admin', 'officer', 'operator', 'auditor'];

/** Seal kinds from the product card; free-form kinds are refused (ERR_INPUT_INVALID). */
export type SealKind = 'official' | 'contract' | 'finance' | 'invoice' | 'legal-representative' | 'personal';
export const SEAL_KINDS: readonly SealKind[] = ['official', 'contract', 'finance', 'invoice', 'legal-representative', 'personal'];

/** Key algorithm of a seal. SM2 needs the SM2 signer (core/cn) and is refused at issue until wired. */
export type SealAlgorithm = 'RSA-2048' | 'RSA-3072' | 'EC-P256' | 'EC-P384' | 'SM2';
export const SEAL_ALGORITHMS: readonly SealAlgorithm[] = ['RSA-2048', 'RSA-3072', 'EC-P256', 'EC-P384', 'SM2'];

export type SealState = 'active' | 'suspended' | 'revoked' | 'expired';
export type RequestState = 'pending' | 'approved' | 'rejected' | 'issued';

/** RFC 5280 5.3.1 CRLReason names (core's CRL_REASONS without the unused value 7). */
export type RevocationReason = Exclude<(typeof CRL_REASONS)[number], 'unused'>;

/** Each CRLReason name to its enumerated value, from core's one table; no prototype, so `in` sees only reasons. */
export const REVOCATION_REASONS: Readonly<Record<RevocationReason, number>> = Object.freeze(
  Object.assign(
    Object.create(null) as Record<RevocationReason, number>,
    Object.fromEntries(CRL_REASONS.flatMap((name, code) => (name === 'unused' ? [] : [[name, code]]))),
  ),
);

export interface Agency {
  id: string;
  name: string;
  createdAt: string;
}

export interface Account {
  id: string;
  name: string;
  role: Role;
  /** null for a service-wide account (admin, global auditor). */
  agencyId: string | null;
  createdAt: string;
  disabled: boolean;
}

/** What createAccount returns: the API key is shown this once and only its scrypt hash is kept. */
export interface CreatedAccount {
  account: Account;
  apiKey: string;
}

export interface SealRequestRecord {
  id: string;
  agencyId: string;
  kind: SealKind;
  name: string;
  algorithm: SealAlgorithm;
  /** Validity asked for, in days (capped by the issuing CA's own validity). */
  validityDays: number;
  hasPicture: boolean;
  state: RequestState;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  sealId: string | null;
}

export interface SealRecord {
  id: string;
  agencyId: string;
  requestId: string;
  kind: SealKind;
  name: string;
  algorithm: SealAlgorithm;
  state: SealState;
  caId: string;
  /** Certificate serial, lower-case hex without leading zero bytes. */
  serial: string;
  keyRef: string;
  notBefore: string;
  notAfter: string;
  /** PEM of the seal certificate followed by its issuers (issuing CA, then root if known). */
  certificateChainPem: string;
  hasPicture: boolean;
  stateChangedAt: string;
  revocation: { reason: RevocationReason; revokedAt: string; invalidityDate: string | null } | null;
}

/** The fast status answer used by OCSP and verification (`lookupSealBySerial`). */
export interface SealStatus {
  sealId: string;
  agencyId: string;
  state: SealState;
  notAfter: string;
  revocation: { reason: RevocationReason; revokedAt: string; invalidityDate: string | null } | null;
}

export type SealEventAction = 'requested' | 'approved' | 'rejected' | 'issued' | 'suspended' | 'reinstated' | 'revoked' | 'expired';

export interface SealEvent {
  seq: number;
  requestId: string;
  sealId: string | null;
  action: SealEventAction;
  actorId: string | null;
  at: string;
  detail: Record<string, string | number | null>;
}

/** One seal use, as given to appendUsage. */
export interface UsageEntry {
  sealId: string;
  agencyId: string;
  accountId: string;
  /** e.g. 'pdf', 'json', 'ofd'. */
  documentKind: string;
  /** SHA-256 of the sealed document, 64 lower-case hex. */
  documentSha256: string;
  /** SHA-256 of the signature value, 64 lower-case hex. */
  signatureSha256: string;
  /** Defaults to the registry clock. */
  at?: Date;
  /**
   * Random, unguessable id of this entry (32 lower-case hex digits = 128 bits, see newEntryId),
   * chosen BEFORE sealing so the document can name its entry (QR verification link). Unique.
   */
  entryId?: string;
}

export interface UsageRecord extends Required<Omit<UsageEntry, 'at' | 'entryId'>> {
  index: number;
  at: string;
  leafHash: string;
  /** null for entries logged without an id (before schema 3, or by callers that gave none). */
  entryId: string | null;
}
