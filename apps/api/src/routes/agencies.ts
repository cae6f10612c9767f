/**
 * Agencies, accounts and API keys. Every route needs a key; an agency-bound account sees only its
 * own agency (another agency is 404); service-wide accounts see all. Who may create what is the
 * registry's authorisation matrix (admins: agencies and any account; officers: operators and
 * auditors of their agency); the API refuses auditors and operators up front.
 */
import type { FastifyInstance } from 'fastify';
import { ROLES, type Role } from '@seal/client';
import type { RouteContext } from '../app.js';
import { authenticate, notFound, principalOf, requireRole, seesAgency } from '../auth.js';
import { API_KEY_SECURITY, idParam, problemResponses } from './route-schemas.js';

const problems = problemResponses(400, 401, 403, 404, 409, 429);
const security = API_KEY_SECURITY;
const agencyParams = idParam('agencyId');
const accountBody = {
  type: 'object',
  required: ['name', 'role'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, role: { type: 'string', enum: ROLES } },
} as const;
const createdAccount = { type: 'object', required: ['account', 'apiKey'], properties: { account: { $ref: 'Account#' }, apiKey: { type: 'string' } } } as const;

export async function agencyRoutes(app: FastifyInstance, opts: RouteContext): Promise<void> {
  const { registry } = opts.deps;
  app.addHook('preHandler', authenticate(registry));

  app.get('/me', { schema: { tags: ['accounts'], security, response: { 200: { $ref: 'Me#' }, ...problems } } }, async (request) => {
    const p = principalOf(request);
    return { accountId: p.id, agencyId: p.agencyId, role: p.role };
  });

  app.get(
    '/agencies',
    { schema: { tags: ['agencies'], security, response: { 200: { type: 'array', items: { $ref: 'Agency#' } }, ...problems } } },
    async (request) => {
      const p = principalOf(request);
      return registry.listAgencies(p);
    },
  );

  app.post<{ Body: { name: string } }>(
    '/agencies',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['agencies'],
        security,
        body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 200 } } },
        response: { 201: { $ref: 'Agency#' }, ...problems },
      },
    },
    async (request, reply) => reply.code(201).send(registry.createAgency(principalOf(request), request.body.name)),
  );

  app.get<{ Params: { agencyId: string } }>(
    '/agencies/:agencyId',
    { schema: { tags: ['agencies'], security, params: agencyParams, response: { 200: { $ref: 'Agency#' }, ...problems } } },
    async (request) => {
      const p = principalOf(request);
      if (!seesAgency(p, request.params.agencyId)) throw notFound('agency');
      const agency = registry.getAgency(request.params.agencyId);
      if (agency === null) throw notFound('agency');
      return agency;
    },
  );

  app.get<{ Params: { agencyId: string } }>(
    '/agencies/:agencyId/accounts',
    {
      preHandler: requireRole('admin', 'officer'),
      schema: { tags: ['accounts'], security, params: agencyParams, response: { 200: { type: 'array', items: { $ref: 'Account#' } }, ...problems } },
    },
    async (request) => {
      const p = principalOf(request);
      if (!seesAgency(p, request.params.agencyId)) throw notFound('agency');
      return registry.listAccounts(p, request.params.agencyId);
    },
  );

  app.post<{ Params: { agencyId: string }; Body: { name: string; role: Role } }>(
    '/agencies/:agencyId/accounts',
    {
      preHandler: requireRole('admin', 'officer'),
      schema: { tags: ['accounts'], security, params: agencyParams, body: accountBody, response: { 201: createdAccount, ...problems } },
    },
    async (request, reply) => {
      const p = principalOf(request);
      if (!seesAgency(p, request.params.agencyId)) throw notFound('agency');
      if ((registry.getAgency(request.params.agencyId)) === null) throw notFound('agency');
      const created = await registry.createAccount(p, { agencyId: request.params.agencyId, name: request.body.name, role: request.body.role });
      return reply.code(201).send(created);
    },
  );

  app.post<{ Body: { name: string; role: Role } }>(
    '/accounts',
    {
      preHandler: requireRole('admin'),
      schema: { tags: ['accounts'], security, summary: 'Create a service-wide account', body: accountBody, response: { 201: createdAccount, ...problems } },
    },
    async (request, reply) => {
      const created = await registry.createAccount(principalOf(request), { agencyId: null, name: request.body.name, role: request.body.role });
      return reply.code(201).send(created);
    },
  );

  app.post<{ Params: { accountId: string } }>(
    '/accounts/:accountId/disable',
    {
      preHandler: requireRole('admin', 'officer'),
      schema: {
        tags: ['accounts'],
        security,
        summary: 'Disable an account: its API key stops working at once',
        params: { type: 'object', required: ['accountId'], properties: { accountId: { type: 'string', minLength: 1, maxLength: 128 } } },
        response: { 200: { $ref: 'Account#' }, ...problems },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const account = registry.getAccount(request.params.accountId);
      if (account === null || (p.agencyId !== null && account.agencyId !== p.agencyId)) throw notFound('account');
      registry.disableAccount(p, account.id);
      return registry.getAccount(account.id);
    },
  );

}
