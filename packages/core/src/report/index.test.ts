import { describe, expect, it } from 'vitest';
import { blankSignatureReport, combineIndications, exitCodeForReport, type SignatureReport } from './index.js';

function sig(indication: SignatureReport['indication']): SignatureReport {
  return {
    indication,
    subIndication: null,
    signer: null,
    signingTime: null,
    trusted: false,
    revocation: { status: 'unknown', reason: null, revokedAt: null },
    coversWholeDocument: true,
    modifications: [],
    timestamp: null,
    level: null,
  };
}

describe('report', () => {
  it('combines per-signature indications: failure wins, then indeterminate', () => {
    expect(combineIndications([])).toBe('NO_SIGNATURE');
    expect(combineIndications([sig('TOTAL_PASSED'), sig('TOTAL_PASSED')])).toBe('TOTAL_PASSED');
    expect(combineIndications([sig('TOTAL_PASSED'), sig('INDETERMINATE')])).toBe('INDETERMINATE');
    expect(combineIndications([sig('INDETERMINATE'), sig('TOTAL_FAILED')])).toBe('TOTAL_FAILED');
  });

  it('maps document indications to the CLI exit codes 0-3', () => {
    expect(exitCodeForReport({ indication: 'TOTAL_PASSED', signatures: [] })).toBe(0);
    expect(exitCodeForReport({ indication: 'TOTAL_FAILED', signatures: [] })).toBe(1);
    expect(exitCodeForReport({ indication: 'INDETERMINATE', signatures: [] })).toBe(2);
    expect(exitCodeForReport({ indication: 'NO_SIGNATURE', signatures: [] })).toBe(3);
  });

  it('blankSignatureReport: the given indication, nothing established, new objects on every call', () => {
    const a = blankSignatureReport('TOTAL_FAILED', 'FORMAT_FAILURE');
    expect(a).toEqual({
      indication: 'TOTAL_FAILED',
      subIndication: 'FORMAT_FAILURE',
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
    });
    a.errors!.push('x');
    a.warnings!.push('y');
    a.modifications.push({ revision: 1, object: '1 0 R', kind: 'other', allowed: false, description: 'z' });
    a.revocation.status = 'revoked';
    const b = blankSignatureReport('INDETERMINATE', null);
    expect([b.indication, b.subIndication, b.errors, b.warnings, b.modifications, b.revocation.status]).toEqual(['INDETERMINATE', null, [], [], [], 'unknown']);
  });
});
