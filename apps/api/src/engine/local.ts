/**
 * The in-process engine: @seal/core's sealing and verification functions behind EnginePort.
 * Used inside the pool's workers, and directly when no pool is wanted (tests, small tools).
 */
import { concatOutput, NotImplementedError, signJson, signPdfParts, verifyJson, verifyPdf, type SignPdfOptions, type Signer, type VerificationReport } from '@seal/core';
import type { EnginePort, SealJsonInput, SealPdfInput, TrustInput } from '../deps.js';

export interface LocalEngineOptions {
  /** Where the verification page lives; a `qr` seal links to it. */
  baseUrl?: string;
  /** TSA URL for PAdES B-T. */
  tsaUrl?: string;
}

export function createLocalEngine(options: LocalEngineOptions = {}): EnginePort {
  return {
    async signPdf(input: SealPdfInput, signer: Signer): Promise<{ pdf: Uint8Array; signatureValue: Uint8Array }> {
      const o = input.options;
      const opts: SignPdfOptions = {};
      if (o.level !== undefined) {
        if (o.level !== 'B-B' && o.level !== 'B-T') throw new NotImplementedError(`PAdES ${o.level} through the API`, 'issue 3');
        opts.level = o.level;
        if (o.level === 'B-T' && options.tsaUrl !== undefined) opts.tsaUrl = options.tsaUrl;
      }
      if (o.reason !== undefined) opts.reason = o.reason;
      if (o.location !== undefined) opts.location = o.location;
      if (o.certify !== undefined) opts.certify = o.certify;
      if (o.visible || o.rect !== undefined || o.page !== undefined || o.qr) {
        const visible: NonNullable<typeof opts.visible> = { page: o.page ?? 1, rect: o.rect ?? [36, 36, 180, 90] };
        if (o.qr && input.qrUrl !== undefined) visible.qr = input.qrUrl;
        else if (o.qr && options.baseUrl !== undefined) visible.qr = `${options.baseUrl}/`;
        opts.visible = visible;
      }
      const sealed = await signPdfParts(input.pdf, signer, opts);
      // The usage log records the hash of the signature value: for PAdES, the CMS SignedData.
      return { pdf: concatOutput(sealed.input, sealed.update), signatureValue: sealed.cms };
    },
    async signJson(input: SealJsonInput, signer: Signer): Promise<{ signature: unknown; signatureValue: Uint8Array }> {
      const r = await signJson(input.payload, { signer, format: input.format, detached: input.detached, canonical: input.canonical });
      const signature: unknown = r.format === 'json' ? JSON.parse(r.jws) : r.jws;
      return { signature, signatureValue: new TextEncoder().encode(r.jws) };
    },
    async verifyPdf(pdf: Uint8Array, trust: TrustInput): Promise<VerificationReport> {
      return verifyPdf(pdf, { trustAnchors: trust.trustAnchors, crls: trust.crls });
    },
    async verifyJson(jws: string, payload: Uint8Array | null, trust: TrustInput): Promise<VerificationReport> {
      const o: { payload?: Uint8Array; trustAnchors: Uint8Array[]; crls: Uint8Array[] } = { trustAnchors: trust.trustAnchors, crls: trust.crls };
      if (payload !== null) o.payload = payload;
      return verifyJson(jws, o);
    },
  };
}

