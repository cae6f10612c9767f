/**
 * Bearer API keys. `authenticate` resolves the key through the registry (which stores only a
 * slow hash) and fills `request.principal`; `requireRole` refuses other roles with 403.
 * A missing, malformed or unknown key is 401 and says nothing more.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { SealError } from '@seal/core';
import type { Role } from '@seal/client';
import type { Principal, RegistryPort } from './deps.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{8,512})$/;

export function bearerToken(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = BEARER.exec(h);
  return m?.[1] ?? null;
}

/** A non-reversible label for a key, for rate limiting (never logged as the key itself). */
export function keyLabel(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

export function authenticate(registry: RegistryPort): preHandlerAsyncHookHandler {
  return async function auth(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = bearerToken(request);
    if (token === null) throw new SealError('ERR_UNAUTHENTICATED', 'missing or invalid API key');
    try {
      request.principal = await registry.authenticate(token);
    } catch (err) {
      if (err instanceof SealError && err.code !== 'ERR_INTERNAL') throw new SealError('ERR_UNAUTHENTICATED', 'missing or invalid API key');
      throw err;
    }
  };
}

export function requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
  return async function role(request: FastifyRequest): Promise<void> {
    const p = request.principal;
    if (p === null) throw new SealError('ERR_UNAUTHENTICATED', 'missing or invalid API key');
    if (!roles.includes(p.role)) throw new SealError('ERR_FORBIDDEN', `this action needs one of the roles: ${roles.join(', ')}`);
  };
}

export function principalOf(request: FastifyRequest): Principal {
  const p = request.principal;
  if (p === null) throw new SealError('ERR_UNAUTHENTICATED', 'missing or invalid API key');
  return p;
}

/** The same answer for "does not exist" and "belongs to another agency": nothing leaks. */
export function sealNotFound(): SealError {
  return new SealError('ERR_SEAL_NOT_FOUND', 'no such seal');
}

export function notFound(what: string): SealError {
  return new SealError('ERR_NOT_FOUND', `no such ${what}`);
}

/** Whether the principal may see an agency's data: its own, or any for a service-wide account. */
export function seesAgency(p: Principal, agencyId: string): boolean {
  return p.agencyId === null || p.agencyId === agencyId;
}
