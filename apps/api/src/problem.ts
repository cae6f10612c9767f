/**
 * Every error leaves the API as RFC 9457 application/problem+json with the stable `code` of
 * the SealError tree. ERR_INTERNAL details are logged, never sent.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_TABLE, SealError, type ErrorCode } from '@seal/core';
import type { Problem } from '@seal/client';

const TITLES: Partial<Record<ErrorCode, string>> = {
  ERR_INPUT_INVALID: 'Invalid input',
  ERR_INPUT_TOO_LARGE: 'Request body too large',
  ERR_UNAUTHENTICATED: 'Missing or invalid API key',
  ERR_FORBIDDEN: 'Not allowed for this account',
  ERR_NOT_FOUND: 'Not found',
  ERR_SEAL_NOT_FOUND: 'Seal not found',
  ERR_SEAL_STATE: 'Seal cannot be used in its current state',
  ERR_RATE_LIMITED: 'Too many requests',
  ERR_INTERNAL: 'Internal error',
};

export function problem(code: ErrorCode, detail?: string, status?: number): Problem {
  const m = ERROR_TABLE[code];
  const p: Problem = { type: `/problems/${m.slug}`, title: TITLES[code] ?? m.slug.replace(/-/g, ' '), status: status ?? m.http, code };
  if (detail !== undefined) p.detail = detail;
  return p;
}

/** Translate anything thrown in a route into a problem document. */
export function toProblem(err: unknown): { problem: Problem; internal: boolean } {
  if (err instanceof SealError) {
    if (err.code === 'ERR_INTERNAL') return { problem: problem('ERR_INTERNAL'), internal: true };
    return { problem: problem(err.code, err.message), internal: false };
  }
  const fe = err as Partial<FastifyError> & { validation?: unknown };
  if (fe && typeof fe === 'object') {
    if (fe.validation !== undefined) return { problem: problem('ERR_INPUT_INVALID', fe.message ?? 'request does not match the schema'), internal: false };
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
      case 'FST_REQ_FILE_TOO_LARGE':
      case 'FST_FILES_LIMIT':
      case 'FST_PARTS_LIMIT':
      case 'FST_FIELDS_LIMIT':
        return { problem: problem('ERR_INPUT_TOO_LARGE', 'request body exceeds the limit'), internal: false };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return { problem: problem('ERR_INPUT_INVALID', 'unsupported content type', 415), internal: false };
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return { problem: problem('ERR_JSON_INVALID', 'body is not valid JSON'), internal: false };
      case 'FST_ERR_CTP_EMPTY_TYPE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      case 'FST_PROTO_VIOLATION':
        return { problem: problem('ERR_INPUT_INVALID', 'malformed request body'), internal: false };
      default:
        break;
    }
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status === 413) return { problem: problem('ERR_INPUT_TOO_LARGE', 'request body exceeds the limit'), internal: false };
    if (status === 429) return { problem: problem('ERR_RATE_LIMITED', 'rate limit exceeded'), internal: false };
    if (status === 408) return { problem: problem('ERR_INPUT_INVALID', 'request timed out', 408), internal: false };
    if (status >= 400 && status < 500) return { problem: problem('ERR_INPUT_INVALID', 'malformed request', status), internal: false };
  }
  return { problem: problem('ERR_INTERNAL'), internal: true };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { problem: p, internal } = toProblem(err);
  if (internal) {
    // Static message plus the cause; the caller gets nothing of it.
    request.log.error({ err }, 'internal error');
  } else {
    request.log.info({ code: p.code, status: p.status }, 'request refused');
  }
  p.instance = request.url.split('?')[0] ?? request.url;
  return sendProblem(reply, p);
}
