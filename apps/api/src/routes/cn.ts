/**
 * Chinese seals through the API (issue 9):
 *   POST /seals/{id}/ofd   an OFD document (application/ofd or application/octet-stream), sealed
 *                          with the seal's SM2 key and its GB/T 38540 v4 SES_Seal (signOfd); operators
 *                          only; the use is in the usage log (documentKind 'ofd') before the answer.
 *   POST /verify/ofd       verifyOfd: a VerificationReport per signature; the registry's SM2 CA (when
 *                          configured) is the trust anchor and its current CRL the revocation data
 *                          (a revoked SM2 seal shows as revoked). Anonymous, like the other verify routes.
 * PDF sealing with an SM2 seal needs nothing here: POST /seals/{id}/pdf signs with the seal's SM2
 * Signer and writes a GM/T 0010 CMS (core/src/cn/gm-cms.ts).
 */
import type { FastifyInstance } from 'fastify';
import { SealError, readOfdZip, signOfd, verifyOfd } from '@seal/core';
import { LOG_ENTRY_HEADER } from '@seal/client';
import type { RouteContext } from '../app.js';
import { authenticate, principalOf, requireRole } from '../auth.js';
import { sha256Hex, useOwnSeal } from '../seal-use.js';
import { API_KEY_SECURITY, idParam, problemResponses } from './route-schemas.js';

const OFD_TYPES = ['application/ofd', 'application/octet-stream'];
const problems = problemResponses(400, 401, 403, 404, 409, 413, 429);
const sealParams = idParam('sealId');

function body(raw: unknown): Uint8Array {
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new SealError('ERR_INPUT_INVALID', 'send the OFD document as application/ofd');
  return raw;
}


/** The SES_Signature(s) signOfd added: SignedValue files present in the output and not in the input. */
function addedSignatureValues(input: Uint8Array, output: Uint8Array): Uint8Array {
  const before = readOfdZip(input);
  const after = readOfdZip(output);
  const parts: Buffer[] = [];
  for (const [path, data] of after) if (!before.has(path) && /SignedValue\.dat$/i.test(path)) parts.push(Buffer.from(data));
  if (parts.length === 0) throw new SealError('ERR_INTERNAL', 'the sealed OFD carries no new signature value');
  return Buffer.concat(parts);
}

export async function cnRoutes(app: FastifyInstance, opts: RouteContext): Promise<void> {
  const { registry } = opts.deps;
  const limit = opts.limits.pdfBodyLimit;
  app.addContentTypeParser('application/ofd', { parseAs: 'buffer', bodyLimit: limit }, (_req, b, done) => done(null, b));

  app.post<{ Params: { sealId: string } }>(
    '/seals/:sealId/ofd',
    {
      bodyLimit: limit,
      preHandler: [authenticate(registry), requireRole('operator')],
      schema: {
        tags: ['sealing'],
        security: API_KEY_SECURITY,
        summary: 'Seal an OFD document with one of your agency\'s SM2 seals (GB/T 38540 SES_Signature)',
        params: sealParams,
        body: { content: Object.fromEntries(OFD_TYPES.map((t) => [t, { schema: { description: 'The OFD document (ZIP)' } }])) },
        response: { 200: { description: 'The sealed OFD', content: { 'application/ofd': { schema: { type: 'string', format: 'binary' } } } }, ...problems },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const ofd = body(request.body);
      const sealId = request.params.sealId;
      const use = await useOwnSeal(opts, p, sealId);
      if (use.algorithm !== 'SM2') throw new SealError('ERR_ALG_UNSUPPORTED', 'OFD documents are sealed with SM2 seals only');
      const ses = registry.getSesSeal(sealId);
      if (ses === null) throw new SealError('ERR_SEAL_STATE', 'the seal has no SES_Seal');
      const sealed = await signOfd(ofd, { seal: ses, signer: use.signer });
      const logEntry = await use.record({
        documentKind: 'ofd',
        documentSha256: sha256Hex(ofd),
        signatureSha256: sha256Hex(addedSignatureValues(ofd, sealed)),
      });
      return reply
        .header(LOG_ENTRY_HEADER, String(logEntry.index))
        .header('seal-log-leaf-hash', logEntry.leafHash)
        .type('application/ofd')
        .send(Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength));
    },
  );

  app.post(
    '/verify/ofd',
    {
      bodyLimit: limit,
      schema: {
        tags: ['verification'],
        summary: 'Verify the signatures of an OFD document (SES_Signature or bare SM2)',
        body: { content: Object.fromEntries(OFD_TYPES.map((t) => [t, { schema: { description: 'The OFD document (ZIP)' } }])) },
        response: { 200: { description: 'VerificationReport', type: 'object', additionalProperties: true }, ...problems },
      },
    },
    async (request) => {
      const ofd = body(request.body);
      const sm2 = registry.sm2;
      if (sm2 === null) return verifyOfd(ofd, { trustAnchors: [] });
      const crl = await registry.currentCrl(sm2.id);
      return verifyOfd(ofd, { trustAnchors: [sm2.chain[sm2.chain.length - 1]!], crls: [crl.der] });
    },
  );
}
