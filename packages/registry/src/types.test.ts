/** The registry's revocation reasons come from core's one RFC 5280 table. */
import { describe, expect, it } from 'vitest';
import { CRL_REASONS } from '@seal/core';
import { REVOCATION_REASONS } from './types.js';

describe('REVOCATION_REASONS', () => {
  it('maps every RFC 5280 5.3.1 CRLReason name to its enumerated value, without the unused value 7', () => {
    expect({ ...REVOCATION_REASONS }).toEqual({
      unspecified: 0,
      keyCompromise: 1,
      cACompromise: 2,
      affiliationChanged: 3,
      superseded: 4,
      cessationOfOperation: 5,
      certificateHold: 6,
      removeFromCRL: 8,
      privilegeWithdrawn: 9,
      aACompromise: 10,
    });
    for (const [name, code] of Object.entries(REVOCATION_REASONS)) expect(CRL_REASONS[code]).toBe(name);
  });

  it('answers `in` only for reason names (no inherited members) and cannot be changed', () => {
    expect('keyCompromise' in REVOCATION_REASONS).toBe(true);
    for (const name of ['unused', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) expect(name in REVOCATION_REASONS).toBe(false);
    expect(Object.isFrozen(REVOCATION_REASONS)).toBe(true);
  });
});
