/**
 * The public verification page as a Fastify plugin. Register it at the root of the API:
 *
 *   await app.register(webPlugin, { lookupEntry: (id) => ... })
 *
 * Routes: GET / (the page), GET /v/:entryId (the QR landing page, same page in record mode),
 * GET /v/:entryId/record?sha256=HEX (the registry's record of a usage-log entry, JSON, only to
 * a caller who knows the document's digest, i.e. holds the QR link), GET /web/* (assets).
 * The page itself calls POST /v1/verify/pdf and /v1/verify/json, which the API owns.
 * Assets are plain files read once at registration: no build step, no CDN, works offline on a LAN.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SealError } from '@seal/core';
import { problemSchema as sharedProblemSchema } from '@seal/client';

export { verificationUrl, verificationUrlForDocument, parseVerificationUrl, type VerificationLink } from './verification-url.js';

/** What the QR landing page shows about one usage-log entry. Extra fields are dropped. */
export interface EntryRecordView {
  entryId: string;
  /** ISO-8601 time of sealing. */
  sealedAt: string | null;
  /** 'pdf' | 'json' | ... */
  format?: string | null;
  /**
   * Lower-case hex SHA-256 of the document as submitted for sealing (the digest in the QR link).
   * The record is shown only to a request that names this digest; it is never sent back.
   */
  documentSha256: string;
  agency: { id: string; name: string };
  seal: {
    id: string;
    name: string;
    /** A data:image/... URL or a path on this service; anything else is not shown. */
    image?: string | null;
  };
  /** The seal's status now. */
  status: {
    state: 'active' | 'suspended' | 'revoked' | 'expired';
    /** ISO-8601 time of the suspension or revocation. */
    since?: string | null;
    /** RFC 5280 reason name (keyCompromise, superseded, ...). */
    reason?: string | null;
  };
}

export interface WebPluginOptions {
  /**
   * The registry: gives the QR landing page its records (through entryLookupFromRegistry) and
   * serves seal pictures at GET /web/seals/:sealId/picture. Ignored for records when
   * `lookupEntry` is given.
   */
  registry?: EntryRegistryReader;
  /**
   * Look up a usage-log entry for the QR landing page; null when there is none. Without it,
   * GET /v/:entryId/record answers 404 and the page says the record is unknown.
   */
  lookupEntry?: (entryId: string) => Promise<EntryRecordView | null> | EntryRecordView | null;
}

const ENTRY_ID = /^[A-Za-z0-9_-][A-Za-z0-9._~-]{0,127}$/;

const ASSETS: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'i18n.js': 'text/javascript; charset=utf-8',
  'verdict.js': 'text/javascript; charset=utf-8',
  'sha256.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'seal.svg': 'image/svg+xml',
};

/** The page runs no inline code and talks to this origin only. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function loadAssets(): { html: Buffer; files: Map<string, Buffer> } {
  const dir = new URL('./assets/', import.meta.url);
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) files.set(name, readFileSync(new URL(name, dir)));
  return { html: readFileSync(new URL('index.html', dir)), files };
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

function notFound(reply: FastifyReply, detail: string): FastifyReply {
  return reply
    .code(404)
    .type('application/problem+json')
    .send({ type: '/problems/not-found', title: 'Not found', status: 404, code: 'ERR_NOT_FOUND', detail });
}

const recordSchema = {
  type: 'object',
  required: ['entryId', 'sealedAt', 'agency', 'seal', 'status'],
  properties: {
    entryId: { type: 'string' },
    sealedAt: { type: ['string', 'null'] },
    format: { type: ['string', 'null'] },
    agency: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
    seal: {
      type: 'object',
      required: ['id', 'name'],
      properties: { id: { type: 'string' }, name: { type: 'string' }, image: { type: ['string', 'null'] } },
    },
    status: {
      type: 'object',
      required: ['state'],
      properties: {
        state: { type: 'string', enum: ['active', 'suspended', 'revoked', 'expired'] },
        since: { type: ['string', 'null'] },
        reason: { type: ['string', 'null'] },
      },
    },
  },
} as const;

/** The service's problem+json shape, inline: this plugin also runs in a Fastify without the shared schemas. */
const { $id: _problemId, ...problemSchema } = sharedProblemSchema;

function digestEquals(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'latin1');
  const y = Buffer.from(b.toLowerCase(), 'latin1');
  return x.length === 32 * 2 && x.length === y.length && timingSafeEqual(x, y);
}

type MaybePromise<T> = T | Promise<T>;

/**
 * The reads of the registry (@seal/registry `Registry`, the API's RegistryPort) that the page
 * needs, typed structurally. `getSeal` may throw for an unknown seal (treated as "no record").
 */
export interface EntryRegistryReader {
  usageLog: {
    getEntry(index: number): MaybePromise<UsageEntryView | null>;
    /** Lookup by the random entry id the QR link names (registry schema 3). */
    getEntryById?(entryId: string): MaybePromise<UsageEntryView | null>;
  };
  getSeal(id: string): MaybePromise<{
    id: string;
    name: string;
    state: string;
    stateChangedAt: string;
    hasPicture?: boolean;
    revocation: { reason: string; revokedAt: string } | null;
  } | null>;
  getAgency(id: string): MaybePromise<{ id: string; name: string } | null>;
  getSealPicture?(id: string): MaybePromise<Uint8Array | null>;
}

type UsageEntryView = { at: string; sealId: string; agencyId: string; documentKind: string; documentSha256: string };

/** Random usage-log entry ids (128 bits, hex): what new QR links name. */
const RANDOM_ENTRY_ID = /^[0-9a-f]{32}$/;
/** Decimal usage-log indexes: what older links and the `seal-log-entry` header name. */
const ENTRY_INDEX = /^(0|[1-9][0-9]{0,15})$/;

async function sealOrNull(registry: EntryRegistryReader, id: string): Promise<Awaited<ReturnType<EntryRegistryReader['getSeal']>>> {
  try {
    return await registry.getSeal(id);
  } catch (e) {
    if (e instanceof SealError && (e.code === 'ERR_SEAL_NOT_FOUND' || e.code === 'ERR_NOT_FOUND')) return null;
    throw e;
  }
}

/** Picture bytes to a media type the page may show; null for anything else. */
export function pictureType(b: Uint8Array): 'image/png' | 'image/jpeg' | null {
  if (b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  return null;
}

/**
 * The lookup the QR landing page needs, over the registry: an entry id is either the entry's
 * random id (32 hex digits, `seal-log-entry-id`, what the sealing route draws into the QR code)
 * or its usage-log index in decimal (`seal-log-entry`). Both are answered only together with
 * the document's digest (GET /v/:entryId/record), so guessable indexes enumerate nothing.
 */
export function entryLookupFromRegistry(registry: EntryRegistryReader): (entryId: string) => Promise<EntryRecordView | null> {
  return async (entryId) => {
    let entry: UsageEntryView | null;
    if (RANDOM_ENTRY_ID.test(entryId)) {
      const byId = registry.usageLog.getEntryById;
      entry = byId === undefined ? null : await byId.call(registry.usageLog, entryId);
    } else if (ENTRY_INDEX.test(entryId) && Number.isSafeInteger(Number(entryId))) {
      entry = await registry.usageLog.getEntry(Number(entryId));
    } else {
      return null;
    }
    if (entry === null) return null;
    const seal = await sealOrNull(registry, entry.sealId);
    const agency = await registry.getAgency(entry.agencyId);
    if (seal === null || agency === null) return null;
    const state = seal.state === 'suspended' || seal.state === 'revoked' || seal.state === 'expired' ? seal.state : 'active';
    return {
      entryId,
      sealedAt: entry.at,
      format: entry.documentKind,
      documentSha256: entry.documentSha256.toLowerCase(),
      agency: { id: agency.id, name: agency.name },
      seal: { id: seal.id, name: seal.name, image: seal.hasPicture === true ? `/web/seals/${encodeURIComponent(seal.id)}/picture` : null },
      status: {
        state,
        since: state === 'revoked' ? (seal.revocation?.revokedAt ?? seal.stateChangedAt) : state === 'active' ? null : seal.stateChangedAt,
        reason: state === 'revoked' ? (seal.revocation?.reason ?? null) : null,
      },
    };
  };
}

/** Fastify plugin serving the verification page; see the module comment for the routes. */
export async function webPlugin(app: FastifyInstance, opts: WebPluginOptions = {}): Promise<void> {
  const { html, files } = loadAssets();
  const registry = opts.registry;
  const lookupEntry = opts.lookupEntry ?? (registry ? entryLookupFromRegistry(registry) : undefined);

  const page = async (_req: unknown, reply: FastifyReply) =>
    secure(reply).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);

  app.get('/', { schema: { hide: true } }, page);

  app.get<{ Params: { entryId: string } }>(
    '/v/:entryId',
    { schema: { hide: true, params: { type: 'object', properties: { entryId: { type: 'string' } } } } },
    async (req, reply) => {
      if (!ENTRY_ID.test(req.params.entryId)) return notFound(secure(reply), 'no such sealing record');
      return page(req, reply);
    },
  );

  app.get<{ Params: { entryId: string }; Querystring: { sha256: string } }>(
    '/v/:entryId/record',
    {
      schema: {
        summary: 'Public record of a usage-log entry for the QR verification link; needs the document digest',
        params: { type: 'object', required: ['entryId'], properties: { entryId: { type: 'string', maxLength: 128 } } },
        querystring: {
          type: 'object',
          required: ['sha256'],
          additionalProperties: false,
          properties: { sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } },
        },
        response: { 200: recordSchema, 404: problemSchema },
      },
    },
    async (req, reply) => {
      const id = req.params.entryId;
      if (!ENTRY_ID.test(id) || lookupEntry === undefined) return notFound(reply, 'no such sealing record');
      const rec = await lookupEntry(id);
      // Same answer for "no entry" and "wrong digest": entries cannot be enumerated without their documents.
      if (rec === null || !digestEquals(rec.documentSha256, req.query.sha256)) return notFound(reply, 'no such sealing record');
      return reply.header('cache-control', 'no-store').send(rec);
    },
  );

  // Seal pictures are printed on every sealed page, so they are public like the page itself.
  app.get<{ Params: { sealId: string } }>('/web/seals/:sealId/picture', { schema: { hide: true } }, async (req, reply) => {
    const id = req.params.sealId;
    if (registry?.getSealPicture === undefined || !ENTRY_ID.test(id)) return notFound(reply, 'no such picture');
    const seal = await sealOrNull(registry, id);
    const pic = seal === null ? null : await registry.getSealPicture(id);
    const type = pic ? pictureType(pic) : null;
    if (pic === null || type === null) return notFound(reply, 'no such picture');
    return secure(reply).header('cache-control', 'public, max-age=300').type(type).send(Buffer.from(pic));
  });

  app.get<{ Params: { name: string } }>('/web/:name', { schema: { hide: true } }, async (req, reply) => {
    const name = req.params.name;
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    const body = files.get(name);
    if (type === undefined || body === undefined) return notFound(reply, 'no such asset');
    return secure(reply).header('cache-control', 'public, max-age=300').type(type).send(body);
  });
}

export default webPlugin;
