/**
 * Validation data for PAdES B-LT/B-LTA seals, from the registry itself: its current CRL, an OCSP
 * response of its responder for the seal certificate, the CRLs of the CAs above the issuing CA
 * (`deps.extraCrls`, e.g. the root's) and the seal's issuing chain. Made on the main thread (the
 * engine's workers have no registry) and handed to the engine as DER bytes in `SealPdfInput.ltv`,
 * so a worker never fetches URLs of its own server for it.
 */
import { buildOcspRequest, parseCertificate, type Signer } from '@seal/core';
import type { ApiDeps, EnginePort, LtvMaterial, SealPdfInput } from './deps.js';

export async function ltvMaterialFor(deps: Pick<ApiDeps, 'registry' | 'extraCrls' | 'trustAnchors'>, signer: Signer): Promise<LtvMaterial> {
  const { registry } = deps;
  const chain = signer.certificateChain.map((c) => new Uint8Array(c));
  const crls: Uint8Array[] = [(await registry.currentCrl()).der];
  if (deps.extraCrls !== undefined) crls.push(...(await deps.extraCrls()));
  const ocsps: Uint8Array[] = [];
  const [leaf, issuer] = chain;
  if (leaf !== undefined && issuer !== undefined) {
    // The registry answers like POST /v1/ocsp; an OCSP error response (or a status it does not
    // know) is simply not usable: the engine then relies on the CRL, and refuses if nothing covers.
    ocsps.push(await registry.respondOcsp(buildOcspRequest(parseCertificate(leaf), parseCertificate(issuer))));
  }
  return { crls, ocsps, certificates: chain, trustAnchors: deps.trustAnchors.map((c) => new Uint8Array(c)) };
}

/**
 * The engine as the routes see it: for level B-LT/B-LTA, `signPdf` first adds the registry's
 * validation data to the sealing input (main thread), then hands it to `engine` (local or pool).
 * Every other member (the engines are plain objects, no `this`) is the engine's own.
 */
export function withLtvMaterial(engine: EnginePort, deps: Pick<ApiDeps, 'registry' | 'extraCrls' | 'trustAnchors'>): EnginePort {
  return {
    ...engine,
    async signPdf(input: SealPdfInput, signer: Signer) {
      const level = input.options.level;
      if ((level === 'B-LT' || level === 'B-LTA') && input.ltv === undefined) return engine.signPdf({ ...input, ltv: await ltvMaterialFor(deps, signer) }, signer);
      return engine.signPdf(input, signer);
    },
  };
}
