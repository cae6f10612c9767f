import { describe, expect, it } from 'vitest';
import { SealError } from '@seal/core';
import { createHash } from 'node:crypto';
import { parseVerificationUrl, verificationUrl, verificationUrlForDocument } from './verification-url.js';

const HEX = 'ab'.repeat(32);

function codeOf(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    return e instanceof SealError ? e.code : 'not-a-seal-error';
  }
}

describe('verificationUrl', () => {
  it('puts the entry id in the path and the digest in the fragment', () => {
    expect(verificationUrl('https://seal.example.gov.cn', '42', HEX)).toBe(`https://seal.example.gov.cn/v/42#sha256=${HEX}`);
  });

  it('keeps a path prefix, drops trailing slashes and lower-cases the digest', () => {
    expect(verificationUrl('http://10.0.0.5:8080/seal/', 'a1B2-c3', HEX.toUpperCase())).toBe(`http://10.0.0.5:8080/seal/v/a1B2-c3#sha256=${HEX}`);
  });

  it('verificationUrlForDocument puts the SHA-256 of the submitted bytes in the fragment', () => {
    const doc = new TextEncoder().encode('%PDF-1.7 ...');
    const url = verificationUrlForDocument('http://127.0.0.1:8080', '9', doc);
    expect(parseVerificationUrl(url).sha256Hex).toBe(createHash('sha256').update(doc).digest('hex'));
  });

  it('round-trips through parseVerificationUrl', () => {
    const url = verificationUrl('http://127.0.0.1:8080/x', '7', HEX);
    expect(parseVerificationUrl(url)).toEqual({ baseUrl: 'http://127.0.0.1:8080/x', entryId: '7', sha256Hex: HEX });
  });

  it.each([
    ['ftp://host', '1', HEX],
    ['javascript:alert(1)', '1', HEX],
    ['not a url', '1', HEX],
    ['https://host/?q=1', '1', HEX],
    ['https://host/#f', '1', HEX],
    ['https://user:pw@host', '1', HEX],
    ['https://host', '', HEX],
    ['https://host', '../admin', HEX],
    ['https://host', 'a/b', HEX],
    ['https://host', 'x'.repeat(129), HEX],
    ['https://host', '1', 'ab'.repeat(31)],
    ['https://host', '1', 'zz'.repeat(32)],
  ])('refuses %s / %s / %s with ERR_INPUT_INVALID', (base, id, hex) => {
    expect(codeOf(() => verificationUrl(base, id, hex))).toBe('ERR_INPUT_INVALID');
  });

  it('parseVerificationUrl refuses other links', () => {
    expect(codeOf(() => parseVerificationUrl('https://host/v/1'))).toBe('ERR_INPUT_INVALID');
    expect(codeOf(() => parseVerificationUrl(`https://host/w/1#sha256=${HEX}`))).toBe('ERR_INPUT_INVALID');
    expect(codeOf(() => parseVerificationUrl(`https://host/v/1?x=1#sha256=${HEX}`))).toBe('ERR_INPUT_INVALID');
    expect(codeOf(() => parseVerificationUrl('garbage'))).toBe('ERR_INPUT_INVALID');
  });
});
