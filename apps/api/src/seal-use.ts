/**
 * One use of a seal: check ownership and role, get the Signer, seal, append the use to the usage
 * log (durably) and only then answer. Shared by the single-document and batch routes.
 */
import { createHash } from 'node:crypto';
import { SealError } from '@seal/core';
import type { LogEntryRef, PdfSealOptions } from '@seal/client';
import type { RouteContext } from './app.js';
import { newEntryId, type SealUse } from '@seal/registry';
import type { Principal, SealJsonInput, SealPdfInput } from './deps.js';
import { verificationUrl } from './web/verification-url.js';
import { sealNotFound } from './auth.js';

/**
 * The registry's permission to seal with `sealId` now. Another agency's seal answers exactly as
 * a seal that does not exist (404), so nothing leaks; a suspended or revoked seal is 409.
 */
export async function useOwnSeal(ctx: RouteContext, principal: Principal, sealId: string): Promise<SealUse> {
  try {
    return await ctx.deps.registry.useSeal(principal, sealId);
  } catch (err) {
    if (err instanceof SealError && (err.code === 'ERR_SEAL_NOT_FOUND' || err.code === 'ERR_FORBIDDEN')) throw sealNotFound();
    throw err;
  }
}

/**
 * JSON documents up to this size, and PDFs up to this size sealed invisibly at B-B or B-T, are
 * sealed on the main thread: handing them to a worker (structured clone, a MessagePort for the
 * signer, the round trips) costs the main thread more than sealing them (~0.5 ms for a 1-page
 * PDF). Visible seals (drawing, ~1-2 ms), B-LT/B-LTA and larger documents go to the pool.
 */
export const INLINE_JSON_MAX = 64 * 1024;
export const INLINE_PDF_MAX = 64 * 1024;

function sealsInline(pdf: Uint8Array, o: PdfSealOptions): boolean {
  return pdf.length <= INLINE_PDF_MAX && !o.visible && o.rect === undefined && o.page === undefined && !o.qr && (o.level === undefined || o.level === 'B-B' || o.level === 'B-T');
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sealPdfFor(
  ctx: RouteContext,
  principal: Principal,
  sealId: string,
  pdf: Uint8Array,
  options: PdfSealOptions,
): Promise<{ pdf: Uint8Array; logEntry: LogEntryRef }> {
  if (pdf.length === 0) throw new SealError('ERR_INPUT_INVALID', 'empty PDF body');
  const use = await useOwnSeal(ctx, principal, sealId);
  const signer = use.signer;
  // The entry id is chosen before sealing so the QR link drawn into the seal can name the entry;
  // the link carries the same digest the log records (SHA-256 of the PDF as submitted).
  const entryId = newEntryId();
  const documentSha256 = sha256Hex(pdf);
  const input: SealPdfInput = { pdf, options };
  if (options.qr === true && ctx.deps.baseUrl !== undefined) input.qrUrl = verificationUrl(ctx.deps.baseUrl, entryId, documentSha256);
  const sealed = await (sealsInline(pdf, options) ? ctx.inline : ctx.deps.engine).signPdf(input, signer);
  const logEntry = await use.record({
    documentKind: 'pdf',
    documentSha256,
    signatureSha256: sha256Hex(sealed.signatureValue),
    entryId,
  });
  return { pdf: sealed.pdf, logEntry: { ...logEntry, entryId } };
}

export async function sealJsonFor(
  ctx: RouteContext,
  principal: Principal,
  sealId: string,
  input: SealJsonInput,
): Promise<{ signature: unknown; logEntry: LogEntryRef }> {
  const use = await useOwnSeal(ctx, principal, sealId);
  // Small documents are sealed on the main thread (a worker round trip costs more than the
  // signature); big ones, whose canonicalisation and hashing take time, go to the pool.
  const engine = input.payload.length <= INLINE_JSON_MAX ? ctx.inline : ctx.deps.engine;
  const sealed = await engine.signJson(input, use.signer);
  const entryId = newEntryId();
  const logEntry = await use.record({
    documentKind: 'json',
    documentSha256: sha256Hex(input.payload),
    signatureSha256: sha256Hex(sealed.signatureValue),
    entryId,
  });
  return { signature: sealed.signature, logEntry: { ...logEntry, entryId } };
}
