/** Registry records to wire objects: explicit, so nothing internal (key references) leaks by accident. */
import type { SealRecord, SealRequestRecord, UsageRecord } from '@seal/registry';
import type { Seal, SealRequest, UsageEntry } from '@seal/client';

export function sealOut(s: SealRecord): Seal {
  return {
    id: s.id,
    agencyId: s.agencyId,
    requestId: s.requestId,
    name: s.name,
    kind: s.kind,
    algorithm: s.algorithm,
    state: s.state,
    caId: s.caId,
    serialNumber: s.serial,
    notBefore: s.notBefore,
    notAfter: s.notAfter,
    certificateChain: s.certificateChainPem,
    stateChangedAt: s.stateChangedAt,
    revocation: s.revocation === null ? null : { reason: s.revocation.reason, revokedAt: s.revocation.revokedAt, invalidityDate: s.revocation.invalidityDate },
  };
}

export function requestOut(r: SealRequestRecord): SealRequest {
  return {
    id: r.id,
    agencyId: r.agencyId,
    kind: r.kind,
    name: r.name,
    algorithm: r.algorithm,
    validityDays: r.validityDays,
    state: r.state,
    requestedBy: r.requestedBy,
    requestedAt: r.requestedAt,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    sealId: r.sealId,
  };
}

export function usageOut(u: UsageRecord): UsageEntry {
  return {
    index: u.index,
    leafHash: u.leafHash,
    at: u.at,
    sealId: u.sealId,
    agencyId: u.agencyId,
    accountId: u.accountId,
    documentKind: u.documentKind,
    documentSha256: u.documentSha256,
    signatureSha256: u.signatureSha256,
    entryId: u.entryId,
  };
}
