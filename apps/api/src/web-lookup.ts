/** The verification page's QR landing lookup over the registry: entry ids are usage-log indexes. */
import type { Registry } from '@seal/registry';
import type { EntryRecordView } from './web/index.js';

export function entryLookup(registry: Registry): (entryId: string) => EntryRecordView | null {
  return (entryId) => {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(entryId)) return null;
    const index = Number(entryId);
    if (!Number.isSafeInteger(index)) return null;
    const entry = registry.usageLog.getEntry(index);
    if (entry === null) return null;
    let seal;
    try {
      seal = registry.getSeal(entry.sealId);
    } catch {
      return null;
    }
    const agency = registry.getAgency(entry.agencyId);
    if (agency === null) return null;
    const state = seal.state;
    return {
      entryId,
      sealedAt: entry.at,
      format: entry.documentKind,
      documentSha256: entry.documentSha256.toLowerCase(),
      agency: { id: agency.id, name: agency.name },
      seal: { id: seal.id, name: seal.name },
      status: {
        state,
        since: state === 'revoked' ? (seal.revocation?.revokedAt ?? seal.stateChangedAt) : state === 'active' ? null : seal.stateChangedAt,
        reason: state === 'revoked' ? (seal.revocation?.reason ?? null) : null,
      },
    };
  };
}
