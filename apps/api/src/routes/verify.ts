/**
 * Public verification: the same report as `seal ... verify --json`, plus what the registry knows
 * about each signer certificate (seal, agency, current status with revocation date and reason).
 */
import type { FastifyInstance } from 'fastify';
import { SealError, type VerificationReport } from '@seal/core';
import type { RegistryView, VerifyResult } from '@seal/client';
import type { RouteContext } from '../app.js';
import type { TrustInput } from '../deps.js';
import { checkDepth } from './sealing.js';
import { problemResponses } from './route-schemas.js';

const problems = problemResponses(400, 413, 415, 429, 503);

/**
 * Which of our CAs (the issuing CA or the SM2 CA) a signer's issuer name is, by its id; null for
 * others. Serial numbers are only unique per issuer: without this check a foreign certificate with
 * a copied serial would borrow our seal's name.
 */
function ourCaId(ctx: RouteContext, issuer: string): string | null {
  const dn = normaliseDn(issuer);
  if (dn === ctx.caSubject) return ctx.deps.registry.caId;
  const sm2 = ctx.deps.registry.sm2;
  return sm2 !== null && dn === ctx.sm2CaSubject ? sm2.id : null;
}

export function normaliseDn(dn: string): string {
  return dn
    .split(/\n|,(?=\s*[A-Za-z0-9.]+=)/)
    .filter((rdn) => rdn.trim() !== '')
    .map((rdn) => rdn.trim().replace(/\s*=\s*/, '=').toLowerCase())
    .sort()
    .join(',');
}

/**
 * Trust anchors plus the registry's current CRLs (the issuing CA's, and the SM2 CA's when there is
 * one): a revocation shows in the next verification.
 */
export async function trustFor(ctx: RouteContext): Promise<TrustInput> {
  const registry = ctx.deps.registry;
  const crls: Uint8Array[] = [];
  for (const caId of registry.crlIssuerIds) crls.push((await registry.currentCrl(caId)).der);
  const extra = ctx.deps.extraCrls ? await ctx.deps.extraCrls() : [];
  return { trustAnchors: [...ctx.deps.trustAnchors], crls: [...crls, ...extra] };
}

export async function registryViews(ctx: RouteContext, report: VerificationReport): Promise<RegistryView[]> {
  const views: RegistryView[] = [];
  for (const [i, sig] of report.signatures.entries()) {
    const signer = sig.signer;
    const caId = signer ? ourCaId(ctx, signer.issuer) : null;
    const status = signer && caId !== null ? ctx.deps.registry.lookupSealBySerial(signer.serialNumber, caId) : null;
    if (status === null) {
      views.push({ signature: i, seal: null, agency: null, status: null });
      continue;
    }
    const seal = ctx.deps.registry.getSeal(status.sealId);
    const agency = ctx.deps.registry.getAgency(status.agencyId);
    views.push({
      signature: i,
      seal: { id: seal.id, name: seal.name, kind: seal.kind, algorithm: seal.algorithm },
      agency: agency === null ? null : { id: agency.id, name: agency.name },
      status: { state: status.state, revokedAt: status.revocation?.revokedAt ?? null, reason: status.revocation?.reason ?? null },
    });
  }
  return views;
}

export async function verifyRoutes(app: FastifyInstance, opts: RouteContext): Promise<void> {
  const { engine } = opts.deps;

  app.post(
    '/verify/pdf',
    {
      bodyLimit: opts.limits.pdfBodyLimit,
      schema: {
        tags: ['verification'],
        summary: 'Verify a sealed PDF (public)',
        body: { content: { 'application/pdf': { schema: { description: 'The PDF document' } } } },
        response: { 200: { $ref: 'VerifyResult#' }, ...problems },
      },
    },
    async (request): Promise<VerifyResult> => {
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) throw new SealError('ERR_INPUT_INVALID', 'send the PDF as application/pdf');
      const report = await engine.verifyPdf(request.body, await trustFor(opts));
      return { report, registry: await registryViews(opts, report) };
    },
  );

  app.post<{ Body: { jws: unknown; payload?: string } }>(
    '/verify/json',
    {
      bodyLimit: opts.limits.pdfBodyLimit,
      schema: {
        tags: ['verification'],
        summary: 'Verify a JSON seal (public): compact JWS string or JWS JSON object; `payload` (base64) for detached ones',
        body: {
          type: 'object',
          required: ['jws'],
          additionalProperties: false,
          properties: {
            jws: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }] },
            payload: { type: 'string', contentEncoding: 'base64' },
          },
        },
        response: { 200: { $ref: 'VerifyResult#' }, ...problems },
      },
    },
    async (request): Promise<VerifyResult> => {
      const payload = request.body.payload === undefined ? null : Buffer.from(request.body.payload, 'base64');
      if (typeof request.body.jws !== 'string') checkDepth(request.body.jws);
      const jws = typeof request.body.jws === 'string' ? request.body.jws : JSON.stringify(request.body.jws);
      const report = await engine.verifyJson(jws, payload, await trustFor(opts));
      return { report, registry: await registryViews(opts, report) };
    },
  );
}
