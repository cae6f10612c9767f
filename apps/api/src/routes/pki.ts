/**
 * PKI endpoints: CRLs (DER; of the issuing CA and, when configured, the SM2 CA), OCSP (RFC 6960 over HTTP, POST and GET), time stamps (RFC 3161).
 * Public: relying parties fetch them from the URLs in the seal certificates.
 */
import type { FastifyInstance } from 'fastify';
import { SealError } from '@seal/core';
import type { RouteContext } from '../app.js';
import { notFound } from '../auth.js';
import { problemResponses } from './route-schemas.js';

const problems = problemResponses(400, 404, 413, 415, 429, 503);
const der = (type: string, description: string) => ({ description, content: { [type]: { schema: { type: 'string', format: 'binary' } } } });
const SMALL = 64 * 1024;

export async function pkiRoutes(app: FastifyInstance, opts: RouteContext): Promise<void> {
  const { registry, tsa } = opts.deps;

  app.get<{ Params: { caId: string } }>(
    '/crl/:caId',
    {
      schema: {
        tags: ['pki'],
        summary: 'Current CRL of an issuing CA (DER): the main issuing CA, or the SM2 CA (SM2-with-SM3)',
        params: { type: 'object', required: ['caId'], properties: { caId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } } },
        response: { 200: der('application/pkix-crl', 'DER CRL'), ...problems },
      },
    },
    async (request, reply) => {
      const caId = request.params.caId.replace(/\.crl$/, '');
      if (!registry.crlIssuerIds.includes(caId)) throw notFound('CA');
      const crl = await registry.currentCrl(caId);
      return reply.type('application/pkix-crl').header('cache-control', 'max-age=60').send(Buffer.from(crl.der));
    },
  );

  const answerOcsp = async (req: Uint8Array) => Buffer.from(await registry.respondOcsp(req));

  app.post(
    '/ocsp',
    {
      bodyLimit: SMALL,
      schema: {
        tags: ['pki'],
        summary: 'OCSP (RFC 6960), POST form',
        body: { content: { 'application/ocsp-request': { schema: { description: 'DER OCSPRequest' } } } },
        response: { 200: der('application/ocsp-response', 'DER OCSPResponse'), ...problems },
      },
    },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) throw new SealError('ERR_INPUT_INVALID', 'send a DER OCSP request');
      return reply.type('application/ocsp-response').send(await answerOcsp(request.body));
    },
  );

  app.get<{ Params: { '*': string } }>(
    '/ocsp/*',
    {
      schema: {
        tags: ['pki'],
        summary: 'OCSP (RFC 6960), GET form: base64 of the DER request, URL-encoded',
        params: { type: 'object', properties: { '*': { type: 'string', maxLength: 8192 } } },
        response: { 200: der('application/ocsp-response', 'DER OCSPResponse'), ...problems },
      },
    },
    async (request, reply) => {
      let b64: string;
      try {
        b64 = decodeURIComponent(request.params['*']);
      } catch {
        throw new SealError('ERR_INPUT_INVALID', 'malformed OCSP GET request');
      }
      if (!/^[A-Za-z0-9+/=_-]+$/.test(b64)) throw new SealError('ERR_INPUT_INVALID', 'malformed OCSP GET request');
      const body = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
      if (body.length === 0) throw new SealError('ERR_INPUT_INVALID', 'malformed OCSP GET request');
      return reply.type('application/ocsp-response').header('cache-control', 'max-age=60').send(await answerOcsp(body));
    },
  );

  app.post(
    '/tsa',
    {
      bodyLimit: SMALL,
      schema: {
        tags: ['pki'],
        summary: 'Time-stamp authority (RFC 3161)',
        body: { content: { 'application/timestamp-query': { schema: { description: 'DER TimeStampReq' } } } },
        response: { 200: der('application/timestamp-reply', 'DER TimeStampResp'), ...problems },
      },
    },
    async (request, reply) => {
      if (tsa === undefined) throw new SealError('ERR_KEY_UNAVAILABLE', 'no time-stamp authority configured');
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) throw new SealError('ERR_INPUT_INVALID', 'send a DER time-stamp query');
      return reply.type('application/timestamp-reply').send(Buffer.from(await tsa.respond(request.body)));
    },
  );
}
