/**
 * Sealing with an agency's own seal: POST /seals/{id}/pdf (application/pdf, or multipart with
 * a `file` part and option fields), POST /seals/{id}/json, POST /seals/{id}/batch.
 * Operators seal; the use is in the usage log before the answer, and the answer names the entry
 * (header `seal-log-entry`, and `logEntry` in JSON answers).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { SealError, parseJsonStrict } from '@seal/core';
import { LOG_ENTRY_HEADER, LOG_ENTRY_ID_HEADER, type BatchDocument, type BatchItemResult, type JsonSealRequest, type PdfSealOptions } from '@seal/client';
import type { RouteContext } from '../app.js';
import { authenticate, principalOf, requireRole } from '../auth.js';
import { toProblem } from '../problem.js';
import { sealJsonFor, sealPdfFor } from '../seal-use.js';
import { API_KEY_SECURITY, idParam, problemResponses } from './route-schemas.js';

const problems = problemResponses(400, 401, 403, 404, 409, 413, 429, 503);
const security = API_KEY_SECURITY;
const sealParams = idParam('sealId');

function bad(message: string): SealError {
  return new SealError('ERR_INPUT_INVALID', message);
}

/** JSON nested deeper than this is refused before anything recurses over it. */
export const MAX_JSON_DEPTH = 256;

/** Iterative depth check (no recursion, so no stack overflow on hostile input). */
export function checkDepth(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > MAX_JSON_DEPTH) throw new SealError('ERR_JSON_INVALID', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
  }
}

/** Options from multipart text fields, validated by hand (they arrive as strings). */
export function parsePdfOptionFields(fields: Record<string, string>): PdfSealOptions {
  const o: PdfSealOptions = {};
  const bool = (name: string, v: string): boolean => {
    if (v === 'true' || v === '1' || v === '') return true;
    if (v === 'false' || v === '0') return false;
    throw bad(`option ${name} must be true or false`);
  };
  for (const [name, v] of Object.entries(fields)) {
    switch (name) {
      case 'visible':
        o.visible = bool(name, v);
        break;
      case 'qr':
        o.qr = bool(name, v);
        break;
      case 'page': {
        if (!/^[1-9][0-9]{0,5}$/.test(v)) throw bad('option page must be a positive integer');
        o.page = Number(v);
        break;
      }
      case 'rect': {
        const parts = v.split(',').map((x) => x.trim());
        if (parts.length !== 4 || parts.some((x) => !/^-?[0-9]+(\.[0-9]+)?$/.test(x))) throw bad('option rect must be x,y,w,h');
        o.rect = parts.map(Number) as [number, number, number, number];
        break;
      }
      case 'level':
        if (v !== 'B-B' && v !== 'B-T' && v !== 'B-LT' && v !== 'B-LTA') throw bad('option level must be B-B, B-T, B-LT or B-LTA');
        o.level = v;
        break;
      case 'certify':
        if (v !== '1' && v !== '2' && v !== '3') throw bad('option certify must be 1, 2 or 3');
        o.certify = Number(v) as 1 | 2 | 3;
        break;
      case 'reason':
      case 'location':
        if (v.length > 512) throw bad(`option ${name} is too long`);
        o[name] = v;
        break;
      default:
        throw bad(`unknown option ${name.slice(0, 40)}`);
    }
  }
  return o;
}

/** Multipart parsing errors (truncated body, bad boundary ...) are the caller's: 400, or 413 for size. */
async function readMultipart(request: FastifyRequest): Promise<{ pdf: Buffer; options: PdfSealOptions }> {
  try {
    return await readMultipartParts(request);
  } catch (err) {
    if (err instanceof SealError) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /LIMIT|TOO_LARGE/.test(code)) throw new SealError('ERR_INPUT_TOO_LARGE', 'request body exceeds the limit');
    throw new SealError('ERR_INPUT_INVALID', 'malformed multipart body', { cause: err });
  }
}

async function readMultipartParts(request: FastifyRequest): Promise<{ pdf: Buffer; options: PdfSealOptions }> {
  let pdf: Buffer | null = null;
  const fields: Record<string, string> = {};
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'file' || pdf !== null) {
        await part.toBuffer().catch(() => undefined);
        throw bad('expected exactly one file part named "file"');
      }
      pdf = await part.toBuffer();
    } else {
      if (typeof part.value !== 'string') throw bad('option fields must be text');
      fields[part.fieldname] = part.value;
    }
  }
  if (pdf === null) throw bad('missing the "file" part');
  return { pdf, options: parsePdfOptionFields(fields) };
}

export async function sealingRoutes(app: FastifyInstance, opts: RouteContext): Promise<void> {
  const { registry } = opts.deps;
  const limit = opts.limits.pdfBodyLimit;
  await app.register(multipart, { limits: { fileSize: limit, files: 1, fields: 16, fieldSize: 4096, parts: 20 }, throwFileSizeLimit: true });
  // What is sealed must be exactly what was sent: JSON.parse would keep the last of two members
  // with one name and round a number a double cannot hold, so the sealed document would differ
  // from the request. The strict parser refuses both (400 ERR_JSON_INVALID), as signJson does.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limit }, (_request, body, done) => {
    try {
      done(null, parseJsonStrict(body as Buffer, { maxDepth: MAX_JSON_DEPTH }));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addHook('preHandler', authenticate(registry));

  app.post<{ Params: { sealId: string } }>(
    '/seals/:sealId/pdf',
    {
      bodyLimit: limit,
      preHandler: requireRole('operator'),
      schema: {
        tags: ['sealing'],
        security,
        summary: 'Seal a PDF with one of your agency\'s seals',
        description: 'Body: the PDF (application/pdf), or multipart/form-data with a `file` part and option fields visible, page, rect (x,y,w,h), level, certify, reason, location, qr.',
        params: sealParams,
        body: {
          content: {
            // Bytes are checked by the sealing engine, the form fields by parsePdfOptionFields.
            'application/pdf': { schema: { description: 'The PDF document' } },
            'multipart/form-data': { schema: { description: 'A `file` part with the PDF and option fields' } },
          },
        },
        response: {
          200: { description: 'The sealed PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } },
          ...problems,
        },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      let pdf: Uint8Array;
      let options: PdfSealOptions = {};
      if (request.isMultipart()) {
        ({ pdf, options } = await readMultipart(request));
      } else if (Buffer.isBuffer(request.body)) {
        pdf = request.body;
      } else {
        throw bad('send the PDF as application/pdf or multipart/form-data');
      }
      const sealed = await sealPdfFor(opts, p, request.params.sealId, pdf, options);
      return reply
        .header(LOG_ENTRY_HEADER, String(sealed.logEntry.index))
        .header(LOG_ENTRY_ID_HEADER, sealed.logEntry.entryId ?? '')
        .header('seal-log-leaf-hash', sealed.logEntry.leafHash)
        .type('application/pdf')
        .send(Buffer.from(sealed.pdf.buffer, sealed.pdf.byteOffset, sealed.pdf.byteLength));
    },
  );

  app.post<{ Params: { sealId: string }; Body: JsonSealRequest }>(
    '/seals/:sealId/json',
    {
      bodyLimit: limit,
      preHandler: requireRole('operator'),
      schema: {
        tags: ['sealing'],
        security,
        summary: 'Seal a JSON document (JAdES)',
        params: sealParams,
        body: {
          type: 'object',
          required: ['payload'],
          additionalProperties: false,
          properties: {
            payload: {},
            format: { type: 'string', enum: ['compact', 'json'] },
            detached: { type: 'boolean' },
            canonical: { type: 'boolean' },
          },
        },
        response: {
          200: { type: 'object', required: ['signature', 'logEntry'], properties: { signature: {}, logEntry: { $ref: 'LogEntryRef#' } } },
          ...problems,
        },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const b = request.body;
      checkDepth(b.payload);
      const sealed = await sealJsonFor(opts, p, request.params.sealId, {
        payload: Buffer.from(JSON.stringify(b.payload), 'utf8'),
        format: b.format ?? 'compact',
        detached: b.detached ?? false,
        canonical: b.canonical ?? true,
      });
      return reply.header(LOG_ENTRY_HEADER, String(sealed.logEntry.index)).header(LOG_ENTRY_ID_HEADER, sealed.logEntry.entryId ?? '').send(sealed);
    },
  );

  app.post<{ Params: { sealId: string }; Body: { documents: BatchDocument[] } }>(
    '/seals/:sealId/batch',
    {
      bodyLimit: limit,
      preHandler: requireRole('operator'),
      schema: {
        tags: ['sealing'],
        security,
        summary: 'Seal many documents in one request; each result stands alone',
        params: sealParams,
        body: {
          type: 'object',
          required: ['documents'],
          additionalProperties: false,
          properties: {
            documents: {
              type: 'array',
              minItems: 1,
              maxItems: opts.limits.batchMaxDocuments,
              items: {
                type: 'object',
                required: ['name', 'contentType', 'data'],
                additionalProperties: false,
                properties: {
                  name: { type: 'string', minLength: 1, maxLength: 255 },
                  contentType: { type: 'string', enum: ['application/pdf', 'application/json'] },
                  data: { type: 'string', contentEncoding: 'base64' },
                  options: { $ref: 'PdfSealOptions#' },
                },
              },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['results'],
            properties: {
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['name', 'ok'],
                  properties: {
                    name: { type: 'string' },
                    ok: { type: 'boolean' },
                    data: { type: 'string' },
                    contentType: { type: 'string' },
                    logEntry: { $ref: 'LogEntryRef#' },
                    error: { $ref: 'Problem#' },
                  },
                },
              },
            },
          },
          ...problems,
        },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const sealId = request.params.sealId;
      const docs = request.body.documents;
      const results: BatchItemResult[] = new Array(docs.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        for (;;) {
          const i = next++;
          if (i >= docs.length) return;
          const d = docs[i]!;
          try {
            const bytes = Buffer.from(d.data, 'base64');
            if (d.contentType === 'application/pdf') {
              const r = await sealPdfFor(opts, p, sealId, bytes, d.options ?? {});
              results[i] = { name: d.name, ok: true, contentType: 'application/pdf', data: Buffer.from(r.pdf).toString('base64'), logEntry: r.logEntry };
            } else {
              // The file's bytes as they are: the JSON sealer parses them strictly and canonicalises.
              const r = await sealJsonFor(opts, p, sealId, { payload: bytes, format: 'json', detached: false, canonical: true });
              const text = typeof r.signature === 'string' ? r.signature : JSON.stringify(r.signature);
              results[i] = { name: d.name, ok: true, contentType: 'application/jose+json', data: Buffer.from(text, 'utf8').toString('base64'), logEntry: r.logEntry };
            }
          } catch (err) {
            const { problem, internal } = toProblem(err);
            if (internal) request.log.error({ err }, 'internal error in batch item');
            results[i] = { name: d.name, ok: false, error: problem };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(4, docs.length) }, worker));
      return { results };
    },
  );
}
