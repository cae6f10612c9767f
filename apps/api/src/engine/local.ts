/**
 * The in-process engine: @seal/core's sealing and verification functions behind EnginePort.
 * Used inside the pool's workers, and directly when no pool is wanted (tests, small tools).
 *
 * The core functions are looked up on the package namespace at call time, typed by the shapes
 * below: the API keeps working (501 for a missing part) while a part of core is not exported yet.
 */
import * as core from '@seal/core';
import { NotImplementedError, SealError, type Signer, type VerificationReport } from '@seal/core';
import type { EnginePort, SealJsonInput, SealPdfInput, TrustInput } from '../deps.js';

interface CoreSealing {
  signPdf(
    bytes: Uint8Array,
    signer: Signer,
    options?: {
      level?: 'B-B' | 'B-T';
      tsaUrl?: string;
      reason?: string;
      location?: string;
      certify?: 1 | 2 | 3;
      visible?: { page: number; rect: readonly [number, number, number, number]; qr?: string; text?: string };
    },
  ): Promise<Uint8Array>;
  signJson(
    payload: Uint8Array | string | undefined,
    options: { signer: Signer; format?: 'compact' | 'json'; detached?: boolean; canonical?: boolean },
  ): Promise<{ jws: string; format: 'compact' | 'json' }>;
  verifyJson(input: string | Uint8Array, options?: { payload?: Uint8Array; trustAnchors?: readonly Uint8Array[]; crls?: readonly Uint8Array[] }): Promise<VerificationReport>;
  verifyPdf(input: Uint8Array, options?: { trustAnchors?: readonly Uint8Array[]; crls?: readonly Uint8Array[] }): Promise<VerificationReport>;
}

function part<K extends keyof CoreSealing>(name: K, issue: string): CoreSealing[K] {
  const fn = (core as unknown as Partial<CoreSealing>)[name];
  if (typeof fn !== 'function') throw new NotImplementedError(name, issue);
  return fn as CoreSealing[K];
}

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
      const opts: Parameters<CoreSealing['signPdf']>[2] = {};
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
      const pdf = await part('signPdf', 'issue 3')(input.pdf, signer, opts);
      // The usage log records the hash of the signature value: for PAdES, the CMS SignedData.
      return { pdf, signatureValue: newestSignatureContainer(pdf) };
    },
    async signJson(input: SealJsonInput, signer: Signer): Promise<{ signature: unknown; signatureValue: Uint8Array }> {
      const r = await part('signJson', 'issue 5')(input.payload, { signer, format: input.format, detached: input.detached, canonical: input.canonical });
      const signature: unknown = r.format === 'json' ? JSON.parse(r.jws) : r.jws;
      return { signature, signatureValue: new TextEncoder().encode(r.jws) };
    },
    async verifyPdf(pdf: Uint8Array, trust: TrustInput): Promise<VerificationReport> {
      return part('verifyPdf', 'issue 4')(pdf, { trustAnchors: trust.trustAnchors, crls: trust.crls });
    },
    async verifyJson(jws: string, payload: Uint8Array | null, trust: TrustInput): Promise<VerificationReport> {
      const o: { payload?: Uint8Array; trustAnchors: Uint8Array[]; crls: Uint8Array[] } = { trustAnchors: trust.trustAnchors, crls: trust.crls };
      if (payload !== null) o.payload = payload;
      return part('verifyJson', 'issue 5')(jws, o);
    },
  };
}

/**
 * The CMS of the signature this engine just appended: the /Contents hex string in the gap of the
 * file's last /ByteRange, without its zero padding. Only ever applied to our own fresh output.
 */
export function newestSignatureContainer(pdf: Uint8Array): Uint8Array {
  const buf = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const at = buf.lastIndexOf('/ByteRange');
  const m = at < 0 ? null : /^\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(buf.toString('latin1', at, at + 120));
  if (m === null) throw new SealError('ERR_INTERNAL', 'sealed PDF has no signature byte range');
  const start = Number(m[2]) + 1;
  const end = Number(m[3]) - 1;
  if (!(start > 0 && end > start && end <= buf.length)) throw new SealError('ERR_INTERNAL', 'sealed PDF has an impossible byte range');
  const der = Buffer.from(buf.toString('latin1', start, end), 'hex');
  // the DER's own length says where the zero padding starts (the CMS itself may end in 00)
  const l0 = der[1] ?? 0;
  const n = l0 & 0x7f;
  let len = l0;
  if (l0 & 0x80) {
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[2 + i] ?? 0);
  }
  const total = (l0 & 0x80 ? 2 + n : 2) + len;
  if (der[0] !== 0x30 || total > der.length) throw new SealError('ERR_INTERNAL', 'sealed PDF has no DER signature container');
  return new Uint8Array(der.subarray(0, total));
}
