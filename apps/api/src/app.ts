/**
 * `buildApp(deps)`: the Fastify application, without listening. One encapsulated plugin per area;
 * a JSON schema on every route; errors as problem+json; OpenAPI at /openapi.json, Swagger UI at /docs.
 */
import { X509Certificate } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { SealError } from '@seal/core';
import { SHARED_SCHEMAS } from '@seal/client';
import { DEFAULT_LIMITS, type ApiDeps, type ApiLimits, type EnginePort } from './deps.js';
import { withLtvMaterial } from './ltv-material.js';
import { errorHandler, problem, sendProblem, toProblem } from './problem.js';
import { bearerToken, keyLabel } from './auth.js';
import { healthRoutes } from './routes/health.js';
import { agencyRoutes } from './routes/agencies.js';
import { sealRoutes } from './routes/seals.js';
import { sealingRoutes } from './routes/sealing.js';
import { verifyRoutes } from './routes/verify.js';
import { pkiRoutes } from './routes/pki.js';
import { logRoutes } from './routes/log.js';
import { cnRoutes } from './routes/cn.js';
import { normaliseDn } from './routes/verify.js';
import { webPlugin } from './web/index.js';

export interface RouteContext {
  deps: ApiDeps;
  limits: ApiLimits;
  /** The issuing CA's subject, normalised (see normaliseDn). */
  caSubject: string;
  /** The SM2 CA's subject, normalised, when the registry has one (SM2 seals, issue 9). */
  sm2CaSubject: string | null;
  /** In-process engine for small seals: one signature costs less than a trip to a worker. */
  inline: EnginePort;
}

/** Headers and fields that must never reach a log line. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'];

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const logger: FastifyServerOptions['logger'] =
    deps.logger === undefined || deps.logger === false
      ? false
      : deps.logger === true
        ? { level: 'info', redact: REDACT }
        : ({ level: 'info', ...deps.logger, redact: REDACT } as FastifyServerOptions['logger']);
  const app = Fastify({
    logger,
    bodyLimit: limits.jsonBodyLimit,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs + 5_000,
    return503OnClosing: true,
    // Errors raised before routing (bad URL encoding, ...) get the same problem+json.
    frameworkErrors: (err, request, reply) => {
      const p = toProblem(err).problem;
      p.instance = (request.url ?? '').split('?')[0] ?? '';
      void sendProblem(reply, p);
    },
    forceCloseConnections: 'idle',
    // Extra members are refused, not silently dropped; params and query strings are coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });

  for (const s of SHARED_SCHEMAS) app.addSchema(s as unknown as Record<string, unknown>);
  app.decorateRequest('principal', null);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    const p = problem('ERR_NOT_FOUND', 'no such route');
    p.instance = request.url.split('?')[0] ?? request.url;
    return sendProblem(reply, p);
  });

  // Raw bodies: PDFs and the PKI protocols. Each route sets its own body limit.
  app.addContentTypeParser(
    ['application/pdf', 'application/octet-stream', 'application/ocsp-request', 'application/timestamp-query'],
    { parseAs: 'buffer', bodyLimit: limits.pdfBodyLimit },
    (_req, body, done) => done(null, body),
  );

  await app.register(rateLimit, {
    global: true,
    max: limits.rateLimitMax,
    timeWindow: limits.rateLimitWindowMs,
    keyGenerator: (request) => {
      const token = bearerToken(request);
      return token === null ? `ip:${request.ip}` : `key:${keyLabel(token)}`;
    },
    errorResponseBuilder: () => Object.assign(new SealError('ERR_RATE_LIMITED', 'rate limit exceeded'), { statusCode: 429 }),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Seal service API',
        version: '1.0.0',
        description: 'Electronic seals for PDF and JSON: agencies seal with their own seals, anyone verifies.',
      },
      servers: deps.baseUrl ? [{ url: deps.baseUrl }] : [],
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Per-account API key' } },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const ctx: RouteContext = {
    // B-LT/B-LTA seals get the registry's validation data in their sealing input (ltv-material.ts).
    deps: { ...deps, engine: withLtvMaterial(deps.engine, deps) },
    limits,
    caSubject: normaliseDn(new X509Certificate(deps.registry.caCertificatePem).subject),
    sm2CaSubject: deps.registry.sm2 === null ? null : normaliseDn(new X509Certificate(deps.registry.sm2.chain[0] as Uint8Array).subject),
    inline: deps.inlineEngine ?? deps.engine,
  };
  await app.register(healthRoutes, ctx);
  await app.register(agencyRoutes, { ...ctx, prefix: '/v1' });
  await app.register(sealRoutes, { ...ctx, prefix: '/v1' });
  await app.register(sealingRoutes, { ...ctx, prefix: '/v1' });
  await app.register(verifyRoutes, { ...ctx, prefix: '/v1' });
  await app.register(pkiRoutes, { ...ctx, prefix: '/v1' });
  await app.register(logRoutes, { ...ctx, prefix: '/v1' });
  await app.register(cnRoutes, { ...ctx, prefix: '/v1' });
  // The public verification page (apps/api/src/web) with its QR landing lookup.
  if (deps.web !== false) await app.register(webPlugin, { registry: deps.registry });
  for (const extra of deps.plugins ?? []) await app.register(extra.plugin, extra.options ?? {});

  app.addHook('onClose', async () => {
    await deps.engine.close?.();
  });
  return app;
}
