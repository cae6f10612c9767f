import { describe, expect, it } from 'vitest';
import { SealError } from '@seal/core';
import type { RequestState, Role, SealState } from '../types.js';
import { authorizeAccountCreation, authorizeApproval, can, nextRequestState, nextSealState, type Actor, type Permission, type RequestAction, type SealAction } from './transitions.js';

const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof SealError ? e.code : 'other';
  }
};

describe('seal life cycle state machine', () => {
  it('allows exactly the documented transitions', () => {
    const seal: Record<SealState, Partial<Record<SealAction, SealState>>> = {
      active: { suspend: 'suspended', revoke: 'revoked', expire: 'expired' },
      suspended: { reinstate: 'active', revoke: 'revoked', expire: 'expired' },
      revoked: {},
      expired: {},
    };
    for (const [from, allowed] of Object.entries(seal) as Array<[SealState, Partial<Record<SealAction, SealState>>]>) {
      for (const action of ['suspend', 'reinstate', 'revoke', 'expire'] as SealAction[]) {
        const want = allowed[action];
        if (want) expect(nextSealState(from, action)).toBe(want);
        else expect(codeOf(() => nextSealState(from, action))).toBe('ERR_SEAL_STATE');
      }
    }
    const request: Record<RequestState, Partial<Record<RequestAction, RequestState>>> = {
      pending: { approve: 'approved', reject: 'rejected' },
      approved: { issue: 'issued' },
      rejected: {},
      issued: {},
    };
    for (const [from, allowed] of Object.entries(request) as Array<[RequestState, Partial<Record<RequestAction, RequestState>>]>) {
      for (const action of ['approve', 'reject', 'issue'] as RequestAction[]) {
        const want = allowed[action];
        if (want) expect(nextRequestState(from, action)).toBe(want);
        else expect(codeOf(() => nextRequestState(from, action))).toBe('ERR_SEAL_STATE');
      }
    }
  });
});

describe('authorisation matrix', () => {
  const A = 'ag_a';
  const B = 'ag_b';
  const actor = (role: Role, agencyId: string | null, id = `${role}-${agencyId}`): Actor => ({ id, role, agencyId });
  // [permission, role, actor agency, target agency] → allowed
  const table: Array<[Permission, Role, string | null, string | null, boolean]> = [
    ['manage-agencies', 'admin', null, null, true],
    ['manage-agencies', 'officer', A, null, false],
    ['approve-request', 'admin', null, A, true],
    ['approve-request', 'officer', A, A, true],
    ['approve-request', 'officer', A, B, false],
    ['approve-request', 'operator', A, A, false],
    ['approve-request', 'auditor', null, A, false],
    ['revoke-seal', 'officer', A, A, true],
    ['revoke-seal', 'officer', B, A, false],
    ['revoke-seal', 'operator', A, A, false],
    ['use-seal', 'operator', A, A, true],
    ['use-seal', 'operator', B, A, false],
    ['use-seal', 'officer', A, A, false],
    ['use-seal', 'admin', null, A, false],
    ['use-seal', 'auditor', null, A, false],
    ['read-log', 'auditor', null, null, true],
    ['read-log', 'auditor', A, A, true],
    ['read-log', 'auditor', A, null, false],
    ['read-log', 'operator', A, A, false],
    ['read-registry', 'operator', A, A, true],
    ['read-registry', 'operator', A, B, false],
  ];
  it.each(table)('%s by %s of %s on %s → %s', (permission, role, own, target, allowed) => {
    expect(can(actor(role, own), permission, target)).toBe(allowed);
  });

  it('disabled accounts can do nothing', () => {
    expect(can({ ...actor('admin', null), disabled: true }, 'read-log', null)).toBe(false);
  });

  it('dual control: the requester never approves, whatever the role', () => {
    const officer = actor('officer', A, 'acc_1');
    expect(codeOf(() => authorizeApproval(officer, { agencyId: A, requestedBy: 'acc_1' }))).toBe('ERR_FORBIDDEN');
    expect(codeOf(() => authorizeApproval(officer, { agencyId: A, requestedBy: 'acc_2' }))).toBe('ok');
    const admin = actor('admin', null, 'acc_9');
    expect(codeOf(() => authorizeApproval(admin, { agencyId: A, requestedBy: 'acc_9' }))).toBe('ERR_FORBIDDEN');
  });

  it('account creation: admins any role, officers only operators/auditors of their agency', () => {
    expect(codeOf(() => authorizeAccountCreation(actor('admin', null), 'officer', A))).toBe('ok');
    expect(codeOf(() => authorizeAccountCreation(actor('officer', A), 'operator', A))).toBe('ok');
    expect(codeOf(() => authorizeAccountCreation(actor('officer', A), 'auditor', A))).toBe('ok');
    expect(codeOf(() => authorizeAccountCreation(actor('officer', A), 'officer', A))).toBe('ERR_FORBIDDEN');
    expect(codeOf(() => authorizeAccountCreation(actor('officer', A), 'admin', null))).toBe('ERR_FORBIDDEN');
    expect(codeOf(() => authorizeAccountCreation(actor('officer', A), 'operator', B))).toBe('ERR_FORBIDDEN');
    expect(codeOf(() => authorizeAccountCreation(actor('operator', A), 'operator', A))).toBe('ERR_FORBIDDEN');
  });
});
