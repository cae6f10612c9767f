/**
 * Seals and their lifecycle. A seal starts as a request (any agency member but auditors may ask),
 * is approved by an officer/admin who is not the requester, then issued (key generated in the key
 * store, certificate from the issuing CA); an active seal can be suspended, reinstated, revoked.
 * Only the owning agency (or a service-wide account) sees a seal or request: others get 404,
 * exactly as for one that does not exist. The registry enforces the authorisation matrix.
 */
import type { FastifyInstance } from 'fastify';
import { REVOCATION_REASONS, SEAL_ALGORITHMS, SEAL_KINDS, type RevocationReasonName } from '@seal/client';
import type { RevokeSealOptions, SealAlgorithm, SealKind, SealRecord } from '@seal/registry';
import { requestOut, sealOut } from '../mappers.js';
import { SealError } from '@seal/core';
import type { RouteContext } from '../app.js';
import type { Principal } from '../deps.js';
import { authenticate, notFound, principalOf, requireRole, sealNotFound, seesAgency } from '../auth.js';
import { API_KEY_SECURITY, idParam, problemResponses } from './route-schemas.js';

const problems = problemResponses(400, 401, 403, 404, 409, 429);
const security = API_KEY_SECURITY;

export function ownSeal(ctx: RouteContext, principal: Principal, sealId: string): SealRecord {
  let seal: SealRecord;
  try {
    seal = ctx.deps.registry.getSeal(sealId);
  } catch (err) {
    if (err instanceof SealError && err.code === 'ERR_SEAL_NOT_FOUND') throw sealNotFound();
    throw err;
  }
  if (!seesAgency(principal, seal.agencyId)) throw sealNotFound();
  return seal;
}

export async function sealRoutes(app: FastifyInstance, opts: RouteContext): Promise<void> {
  const { registry } = opts.deps;
  app.addHook('preHandler', authenticate(registry));

  app.get<{ Params: { agencyId: string } }>(
    '/agencies/:agencyId/seals',
    { schema: { tags: ['seals'], security, params: idParam('agencyId'), response: { 200: { type: 'array', items: { $ref: 'Seal#' } }, ...problems } } },
    async (request) => {
      const p = principalOf(request);
      if (!seesAgency(p, request.params.agencyId)) throw notFound('agency');
      return registry.listSeals(p, request.params.agencyId).map(sealOut);
    },
  );

  app.get<{ Params: { agencyId: string } }>(
    '/agencies/:agencyId/seal-requests',
    {
      schema: { tags: ['seals'], security, params: idParam('agencyId'), response: { 200: { type: 'array', items: { $ref: 'SealRequest#' } }, ...problems } },
    },
    async (request) => {
      const p = principalOf(request);
      if (!seesAgency(p, request.params.agencyId)) throw notFound('agency');
      return registry.listRequests(p, request.params.agencyId).map(requestOut);
    },
  );

  app.post<{ Params: { agencyId: string }; Body: { name: string; kind: string; algorithm: string; validityDays?: number } }>(
    '/agencies/:agencyId/seal-requests',
    {
      preHandler: requireRole('admin', 'officer', 'operator'),
      schema: {
        tags: ['seals'],
        security,
        summary: 'Ask for a new seal (step 1 of request, approve, issue)',
        params: idParam('agencyId'),
        body: {
          type: 'object',
          required: ['name', 'kind', 'algorithm'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            kind: { type: 'string', enum: SEAL_KINDS },
            algorithm: { type: 'string', enum: SEAL_ALGORITHMS },
            validityDays: { type: 'integer', minimum: 1, maximum: 36_500 },
          },
        },
        response: { 201: { $ref: 'SealRequest#' }, ...problems },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      if (!seesAgency(p, request.params.agencyId)) throw notFound('agency');
      if (registry.getAgency(request.params.agencyId) === null) throw notFound('agency');
      const b = request.body;
      const created = registry.requestSeal(p, {
        agencyId: request.params.agencyId,
        name: b.name,
        kind: b.kind as SealKind,
        algorithm: b.algorithm as SealAlgorithm,
        ...(b.validityDays === undefined ? {} : { validityDays: b.validityDays }),
      });
      return reply.code(201).send(requestOut(created));
    },
  );

  for (const action of ['approve', 'reject', 'issue'] as const) {
    app.post<{ Params: { requestId: string } }>(
      `/seal-requests/:requestId/${action}`,
      {
        preHandler: requireRole('admin', 'officer'),
        schema: { tags: ['seals'], security, params: idParam('requestId'), response: { 200: { $ref: 'SealRequest#' }, ...problems } },
      },
      async (request) => {
        const p = principalOf(request);
        const req = registry.getRequest(request.params.requestId);
        if (req === null || !seesAgency(p, req.agencyId)) throw new SealError('ERR_NOT_FOUND', 'no such seal request');
        if (action === 'approve') return requestOut(registry.approveRequest(p, req.id));
        if (action === 'reject') return requestOut(registry.rejectRequest(p, req.id));
        await registry.issueSeal(p, req.id);
        return requestOut(registry.getRequest(req.id) ?? req);
      },
    );
  }

  app.get<{ Params: { sealId: string } }>(
    '/seals/:sealId',
    { schema: { tags: ['seals'], security, params: idParam('sealId'), response: { 200: { $ref: 'Seal#' }, ...problems } } },
    async (request) => sealOut(ownSeal(opts, principalOf(request), request.params.sealId)),
  );

  for (const action of ['suspend', 'reinstate'] as const) {
    app.post<{ Params: { sealId: string } }>(
      `/seals/:sealId/${action}`,
      {
        preHandler: requireRole('admin', 'officer'),
        schema: { tags: ['seals'], security, params: idParam('sealId'), response: { 200: { $ref: 'Seal#' }, ...problems } },
      },
      async (request) => {
        const p = principalOf(request);
        ownSeal(opts, p, request.params.sealId);
        const seal = action === 'suspend' ? await registry.suspendSeal(p, request.params.sealId) : await registry.reinstateSeal(p, request.params.sealId);
        return sealOut(seal);
      },
    );
  }

  app.post<{ Params: { sealId: string }; Body: { reason: RevocationReasonName; invalidityDate?: string } }>(
    '/seals/:sealId/revoke',
    {
      preHandler: requireRole('admin', 'officer'),
      schema: {
        tags: ['seals'],
        security,
        summary: 'Revoke a seal for good (RFC 5280 reason name)',
        params: idParam('sealId'),
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: { reason: { type: 'string', enum: REVOCATION_REASONS }, invalidityDate: { type: 'string', format: 'date-time' } },
        },
        response: { 200: { $ref: 'Seal#' }, ...problems },
      },
    },
    async (request) => {
      const p = principalOf(request);
      ownSeal(opts, p, request.params.sealId);
      const options: RevokeSealOptions = { reason: request.body.reason };
      if (request.body.invalidityDate !== undefined) options.invalidityDate = new Date(request.body.invalidityDate);
      return sealOut(await registry.revokeSeal(p, request.params.sealId, options));
    },
  );
}
