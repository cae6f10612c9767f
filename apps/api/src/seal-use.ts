/**
 * One use of a seal: check ownership and role, get the Signer, seal, append the use to the usage
 * log (durably) and only then answer. Shared by the single-document and batch routes.
 */
import { createHash } from 'node:crypto';
import { SealError } from '@seal/core';
import type { LogEntryRef, PdfSealOptions } from '@seal/client';
import type { RouteContext } from './app.js';
import type { Signer } from '@seal/core';
import { newEntryId, type Registry } from '@seal/registry';
import type { Principal, SealJsonInput, SealPdfInput } from './deps.js';
import { verificationUrl } from './web/verification-url.js';
import { ownSeal } from './routes/seals.js';

/**
 * Signer objects per seal, reused across requests: the sealers cache per-Signer work (parsed
 * chain, size estimates) in WeakMaps, so a fresh object per request would redo it every time.
 * Every use still goes through getSealSigner, which checks the account and the seal's state.
 */
const signers = new WeakMap<Registry, Map<string, Signer>>();

async function signerFor(ctx: RouteContext, principal: Principal, sealId: string): Promise<Signer> {
  const fresh = await ctx.deps.registry.getSealSigner(principal, sealId);
  let cache = signers.get(ctx.deps.registry);
  if (cache === undefined) {
    cache = new Map();
    signers.set(ctx.deps.registry, cache);
  }
  const cached = cache.get(sealId);
  const leaf = fresh.certificateChain[0];
  if (cached !== undefined && leaf !== undefined && cached.certificateChain[0] !== undefined && Buffer.from(cached.certificateChain[0]).equals(leaf)) return cached;
  if (cache.size >= 1000) cache.clear();
  cache.set(sealId, fresh);
  return fresh;
}

/** JSON documents up to this size are sealed without the worker pool. */
export const INLINE_JSON_MAX = 64 * 1024;

function sha256Hex(data: Uint8Array): string {
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
  ownSeal(ctx, principal, sealId);
  const signer = await signerFor(ctx, principal, sealId);
  // The entry id is chosen before sealing so the QR link drawn into the seal can name the entry;
  // the link carries the same digest the log records (SHA-256 of the PDF as submitted).
  const entryId = newEntryId();
  const documentSha256 = sha256Hex(pdf);
  const input: SealPdfInput = { pdf, options };
  if (options.qr === true && ctx.deps.baseUrl !== undefined) input.qrUrl = verificationUrl(ctx.deps.baseUrl, entryId, documentSha256);
  const sealed = await ctx.deps.engine.signPdf(input, signer);
  const logEntry = await ctx.deps.registry.recordUsage(principal, {
    sealId,
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
  ownSeal(ctx, principal, sealId);
  const signer = await signerFor(ctx, principal, sealId);
  // Small documents are sealed on the main thread (a worker round trip costs more than the
  // signature); big ones, whose canonicalisation and hashing take time, go to the pool.
  const engine = input.payload.length <= INLINE_JSON_MAX ? ctx.inline : ctx.deps.engine;
  const sealed = await engine.signJson(input, signer);
  const entryId = newEntryId();
  const logEntry = await ctx.deps.registry.recordUsage(principal, {
    sealId,
    documentKind: 'json',
    documentSha256: sha256Hex(input.payload),
    signatureSha256: sha256Hex(sealed.signatureValue),
    entryId,
  });
  return { signature: sealed.signature, logEntry: { ...logEntry, entryId } };
}
