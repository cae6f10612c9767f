/**
 * The usage log: signed checkpoints and Merkle proofs are public (they reveal only hashes);
 * entries are for the auditors and admins of the agency that made them.
 */
import type { FastifyInstance } from 'fastify';
import { SealError } from '@seal/core';
import type { Checkpoint } from '@seal/client';
import type { RouteContext } from '../app.js';
import { authenticate, notFound, principalOf, requireRole } from '../auth.js';
import { usageOut } from '../mappers.js';
import { ownSeal } from './seals.js';
import { API_KEY_SECURITY, problemResponses } from './route-schemas.js';

const problems = problemResponses(400, 401, 403, 404, 429);
const uint = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const size = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

export async function logRoutes(app: FastifyInstance, opts: RouteContext): Promise<void> {
  const { registry } = opts.deps;
  const log = () => registry.usageLog;
  const latest = (): Checkpoint => {
    const c = log().latestCheckpoint();
    if (c === null) throw new SealError('ERR_NOT_FOUND', 'the usage log is empty');
    return { treeSize: c.treeSize, rootHash: c.rootHash, at: c.at, note: c.note };
  };

  app.get('/log/checkpoint', { schema: { tags: ['log'], summary: 'Latest signed checkpoint', response: { 200: { $ref: 'Checkpoint#' }, ...problems } } }, async () => latest());

  app.get(
    '/log/key',
    {
      schema: {
        tags: ['log'],
        summary: 'Verifier key of the checkpoint signatures (signed-note form)',
        response: { 200: { type: 'object', required: ['verifierKey', 'origin'], properties: { verifierKey: { type: 'string' }, origin: { type: 'string' } } } },
      },
    },
    async () => ({ verifierKey: registry.logVerifierKey, origin: log().origin }),
  );

  app.get<{ Params: { index: number }; Querystring: { treeSize?: number } }>(
    '/log/entries/:index/proof',
    {
      schema: {
        tags: ['log'],
        summary: 'Inclusion proof of one entry in the tree of the given size (default: latest checkpoint)',
        params: { type: 'object', required: ['index'], properties: { index: uint } },
        querystring: { type: 'object', additionalProperties: false, properties: { treeSize: size } },
        response: { 200: { $ref: 'InclusionProof#' }, ...problems },
      },
    },
    async (request) => {
      const treeSize = request.query.treeSize ?? latest().treeSize;
      if (request.params.index >= treeSize || treeSize > log().size) throw new SealError('ERR_NOT_FOUND', 'no such log entry in a tree of that size');
      return log().inclusionProof(request.params.index, treeSize);
    },
  );

  app.get<{ Querystring: { from: number; to?: number } }>(
    '/log/consistency',
    {
      schema: {
        tags: ['log'],
        summary: 'Consistency proof between two tree sizes (default `to`: latest checkpoint)',
        querystring: { type: 'object', required: ['from'], additionalProperties: false, properties: { from: size, to: size } },
        response: { 200: { $ref: 'ConsistencyProof#' }, ...problems },
      },
    },
    async (request) => {
      const to = request.query.to ?? latest().treeSize;
      if (request.query.from > to) throw new SealError('ERR_INPUT_INVALID', '`from` must not exceed `to`');
      if (to > log().size) throw new SealError('ERR_NOT_FOUND', 'the log is not that large');
      return log().consistencyProof(request.query.from, to);
    },
  );

  await app.register(async (scoped) => {
    scoped.addHook('preHandler', authenticate(registry));
    scoped.addHook('preHandler', requireRole('auditor', 'admin'));

    scoped.get<{ Params: { index: number } }>(
      '/log/entries/:index',
      {
        schema: {
          tags: ['log'],
          security: API_KEY_SECURITY,
          params: { type: 'object', required: ['index'], properties: { index: uint } },
          response: { 200: { $ref: 'UsageEntry#' }, ...problems },
        },
      },
      async (request) => {
        const p = principalOf(request);
        const entry = log().getEntry(request.params.index);
        if (entry === null || (p.agencyId !== null && entry.agencyId !== p.agencyId)) throw notFound('log entry');
        return usageOut(entry);
      },
    );

    scoped.get<{ Querystring: { sealId: string; limit?: number } }>(
      '/log/entries',
      {
        schema: {
          tags: ['log'],
          security: API_KEY_SECURITY,
          summary: "Usage entries of one of your agency's seals",
          querystring: {
            type: 'object',
            required: ['sealId'],
            additionalProperties: false,
            properties: { sealId: { type: 'string', minLength: 1, maxLength: 128 }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
          },
          response: { 200: { type: 'array', items: { $ref: 'UsageEntry#' } }, ...problems },
        },
      },
      async (request) => {
        const p = principalOf(request);
        ownSeal(opts, p, request.query.sealId);
        return log().entriesForSeal(request.query.sealId, request.query.limit ?? 100).map(usageOut);
      },
    );
  });
}
