/** Liveness and readiness. /healthz never touches the store or the worker pool. */
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../app.js';

export async function healthRoutes(app: FastifyInstance, opts: RouteContext): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: { tags: ['health'], response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } } } },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        response: {
          200: { $ref: 'Readiness#' },
          503: { $ref: 'Readiness#' },
        },
      },
    },
    async (_request, reply) => {
      let registry = false;
      try {
        opts.deps.registry.store.db.prepare('SELECT 1').get();
        registry = true;
      } catch {
        registry = false;
      }
      const ok = registry;
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not-ready', checks: { registry } });
    },
  );
}
