import { describe, expect, it } from 'vitest';
import { ERROR_TABLE, KeyPasswordError, SealError, toSealError } from './index.js';

describe('errors', () => {
  it('input errors are exit 65 and HTTP 4xx, as the CLI contract says', () => {
    for (const code of ['ERR_INPUT_INVALID', 'ERR_PDF_MALFORMED', 'ERR_JWS_INVALID', 'ERR_KEY_PASSWORD'] as const) {
      expect(ERROR_TABLE[code].exit).toBe(65);
      expect(ERROR_TABLE[code].http).toBeGreaterThanOrEqual(400);
      expect(ERROR_TABLE[code].http).toBeLessThan(500);
    }
    expect(ERROR_TABLE.ERR_INPUT_TOO_LARGE.http).toBe(413);
    expect(ERROR_TABLE.ERR_USAGE.exit).toBe(64);
  });

  it('every code has a distinct problem slug', () => {
    const slugs = Object.values(ERROR_TABLE).map((m) => m.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
  });

  it('keeps typed errors and wraps foreign ones as internal', () => {
    const e = new KeyPasswordError();
    expect(toSealError(e)).toBe(e);
    expect(e.exitCode).toBe(65);
    const wrapped = toSealError(new TypeError('boom'));
    expect(wrapped).toBeInstanceOf(SealError);
    expect(wrapped.code).toBe('ERR_INTERNAL');
    expect(wrapped.httpStatus).toBe(500);
  });
});
