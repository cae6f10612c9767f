/**
 * The seal life cycle as pure functions: no I/O, no clock. Illegal transitions throw
 * ERR_SEAL_STATE, unauthorised actors ERR_FORBIDDEN. The registry facade asks these first and
 * only then writes.
 *
 *   request: pending --approve--> approved --issue--> issued
 *            pending --reject---> rejected
 *   seal:    active --suspend--> suspended --reinstate--> active
 *            active|suspended --revoke--> revoked (final)
 *            active|suspended --expire--> expired (final)
 */
import { SealError } from '@seal/core';
import type { RequestState, Role, SealState } from '../types.js';

export class SealStateError extends SealError {
  static readonly code = 'ERR_SEAL_STATE';
  constructor(message: string) {
    super('ERR_SEAL_STATE', message);
    this.name = 'SealStateError';
  }
}

export class ForbiddenError extends SealError {
  static readonly code = 'ERR_FORBIDDEN';
  constructor(message = 'not allowed for this account') {
    super('ERR_FORBIDDEN', message);
    this.name = 'ForbiddenError';
  }
}

export type RequestAction = 'approve' | 'reject' | 'issue';
export type SealAction = 'suspend' | 'reinstate' | 'revoke' | 'expire';

const REQUEST_NEXT: Record<RequestState, Partial<Record<RequestAction, RequestState>>> = {
  pending: { approve: 'approved', reject: 'rejected' },
  approved: { issue: 'issued' },
  rejected: {},
  issued: {},
};

const SEAL_NEXT: Record<SealState, Partial<Record<SealAction, SealState>>> = {
  active: { suspend: 'suspended', revoke: 'revoked', expire: 'expired' },
  suspended: { reinstate: 'active', revoke: 'revoked', expire: 'expired' },
  revoked: {},
  expired: {},
};

export function nextRequestState(state: RequestState, action: RequestAction): RequestState {
  const next = REQUEST_NEXT[state][action];
  if (next === undefined) throw new SealStateError(`cannot ${action} a request that is ${state}`);
  return next;
}

export function nextSealState(state: SealState, action: SealAction): SealState {
  const next = SEAL_NEXT[state][action];
  if (next === undefined) throw new SealStateError(`cannot ${action} a seal that is ${state}`);
  return next;
}

/** Who acts: the authenticated account. */
export interface Actor {
  id: string;
  role: Role;
  /** null for service-wide accounts (admin, global auditor). */
  agencyId: string | null;
  disabled?: boolean;
}

/** Everything an account may ask the registry to do. */
export type Permission =
  | 'manage-agencies'
  | 'manage-accounts'
  | 'request-seal'
  | 'approve-request'
  | 'issue-seal'
  | 'suspend-seal'
  | 'revoke-seal'
  | 'use-seal'
  | 'read-registry'
  | 'read-log';

/**
 * The authorisation matrix. Separation of powers: officers manage seals but do not use them,
 * operators use seals but cannot approve or revoke, auditors only read. An admin manages
 * everything but, like officers, never uses a seal. Agency-bound roles act only inside their
 * agency; `approve-request` additionally requires approver ≠ requester (see authorizeApproval).
 */
export const PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: ['manage-agencies', 'manage-accounts', 'request-seal', 'approve-request', 'issue-seal', 'suspend-seal', 'revoke-seal', 'read-registry', 'read-log'],
  officer: ['manage-accounts', 'request-seal', 'approve-request', 'issue-seal', 'suspend-seal', 'revoke-seal', 'read-registry', 'read-log'],
  operator: ['request-seal', 'use-seal', 'read-registry'],
  auditor: ['read-registry', 'read-log'],
};

export function can(actor: Actor, permission: Permission, agencyId?: string | null): boolean {
  if (actor.disabled) return false;
  if (!PERMISSIONS[actor.role].includes(permission)) return false;
  // A service-wide action (no agency) is for service-wide accounts only.
  if (agencyId === undefined || agencyId === null) return actor.agencyId === null;
  return actor.agencyId === null || actor.agencyId === agencyId;
}

/** Throw ERR_FORBIDDEN unless `actor` holds `permission` for `agencyId`. */
export function authorize(actor: Actor, permission: Permission, agencyId?: string | null): void {
  if (!can(actor, permission, agencyId)) throw new ForbiddenError();
}

/** Dual control: an officer/admin of the agency who is not the requester. */
export function authorizeApproval(actor: Actor, request: { agencyId: string; requestedBy: string }): void {
  authorize(actor, 'approve-request', request.agencyId);
  if (actor.id === request.requestedBy) throw new ForbiddenError('the requester cannot approve their own request');
}

/** Which roles an account may create: admins any, officers operators/auditors of their own agency. */
export function authorizeAccountCreation(actor: Actor, role: Role, agencyId: string | null): void {
  authorize(actor, 'manage-accounts', agencyId);
  if (actor.role === 'officer' && (agencyId === null || role === 'admin' || role === 'officer')) {
    throw new ForbiddenError('officers may create operators and auditors of their own agency only');
  }
}
