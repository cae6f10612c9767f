import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { corpusOrReport, corpusPath } from '../../../../test-support/corpus.js';
import { canonicalize, canonicalizeToBytes, canonicalizeValue } from './jcs.js';
import { parseJsonStrict } from './json-parse.js';

const HAVE_CORPUS = corpusOrReport('RFC 8785 JCS vectors');

describe.runIf(HAVE_CORPUS)('JCS: cyberphone/json-canonicalization vectors (byte for byte)', () => {
  const names = HAVE_CORPUS ? readdirSync(corpusPath('json/jcs/input')).filter((f) => f.endsWith('.json')) : [];
  it('finds the six vectors', () => {
    expect(names.length).toBeGreaterThanOrEqual(6);
  });
  for (const name of names) {
    it(name, () => {
      const input = readFileSync(corpusPath(`json/jcs/input/${name}`));
      const expected = readFileSync(corpusPath(`json/jcs/output/${name}`));
      const hex = readFileSync(corpusPath(`json/jcs/outhex/${name.replace(/\.json$/, '.txt')}`), 'utf8').replace(/\s+/g, '');
      const got = canonicalizeToBytes(input);
      expect(Buffer.from(got).equals(expected)).toBe(true);
      expect(Buffer.from(got).toString('hex')).toBe(hex.toLowerCase());
    });
  }
});

describe('JCS: rules', () => {
  it('formats numbers the ECMAScript way', () => {
    const cases: Array<[string, string]> = [
      ['[1E30]', '[1e+30]'],
      ['[4.50]', '[4.5]'],
      ['[2e-3]', '[0.002]'],
      ['[-0]', '[0]'],
      ['[0.000001]', '[0.000001]'],
      ['[1e-7]', '[1e-7]'],
      ['[1e21]', '[1e+21]'],
      ['[123456789012345680000]', '[123456789012345680000]'],
      ['[9007199254740992]', '[9007199254740992]'],
      ['[333333333.33333329]', '[333333333.3333333]'],
      ['[5e-324]', '[5e-324]'],
    ];
    for (const [input, out] of cases) expect(canonicalize(input)).toBe(out);
  });

  it('sorts member names by UTF-16 code units, not code points', () => {
    // U+FB33 (one unit, 0xFB33) sorts after U+1F602 (surrogates 0xD83D 0xDE02).
    expect(canonicalize('{"\\ufb33":1,"\\ud83d\\ude02":2,"a":3}')).toBe('{"a":3,"\u{1F602}":2,"\uFB33":1}');
  });

  it('escapes only what RFC 8785 asks', () => {
    expect(canonicalize('"\\u0041\\/\\u001f\\u007f\\u2028"')).toBe('"A/\\u001f\u007f\u2028"');
  });

  it('rejects duplicate member names, also nested and after unescaping', () => {
    for (const bad of ['{"a":1,"a":2}', '{"x":{"b":1,"b":1}}', '{"a":1,"\\u0061":2}']) {
      expect(() => canonicalize(bad)).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
    }
  });

  it('rejects lone surrogates in strings and names', () => {
    for (const bad of ['"\\ud800"', '"\\udc00"', '{"\\ud83d":1}', '"\\ud83d\\u0041"']) {
      expect(() => canonicalize(bad)).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
    }
    expect(() => canonicalizeValue({ a: '\ud800' })).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
  });

  it('rejects NaN, Infinity and non-JSON numbers', () => {
    for (const bad of ['[NaN]', '[Infinity]', '[-Infinity]', '[1e400]', '[01]', '[1.]', '[.5]', '[+1]', '[0x10]']) {
      expect(() => canonicalize(bad)).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
    }
    expect(() => canonicalizeValue([NaN])).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
    expect(() => canonicalizeValue({ a: Infinity })).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
  });

  it('never lets two different integers beyond 2^53 share a canonical form', () => {
    // 2^53 + 1 rounds to 2^53 as a double: refused instead of silently merged.
    expect(canonicalize('[9007199254740992]')).toBe('[9007199254740992]');
    expect(() => canonicalize('[9007199254740993]')).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
    expect(() => canonicalize('{"id":-9007199254740993}')).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
    expect(() => canonicalize('[12345678901234567890]')).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
    // A big integer written as its own ECMAScript form is kept verbatim; any other spelling of
    // the same double is refused (else "...551616" and "...552000" would share one form).
    expect(canonicalize('[18446744073709552000]')).toBe('[18446744073709552000]');
    expect(() => canonicalize('[18446744073709551616]')).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
    // Property: any two distinct accepted plain integers give distinct canonical forms.
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (a, b) => {
        let ca: string | null = null;
        let cb: string | null = null;
        try { ca = canonicalize(`[${a}]`); } catch { /* refused */ }
        try { cb = canonicalize(`[${b}]`); } catch { /* refused */ }
        if (ca !== null && cb !== null && a !== b) return ca !== cb;
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects malformed JSON, a BOM, invalid UTF-8 and trailing data', () => {
    const bads: Array<string | Uint8Array> = ['{', '[1,]', '{"a":1,}', '{"a" 1}', "{'a':1}", '"\t"', '[1] [2]', 'tru', '"\\x"',
      new Uint8Array([0xef, 0xbb, 0xbf, 0x31]), new Uint8Array([0x22, 0xc3, 0x28, 0x22]), new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22])];
    for (const bad of bads) expect(() => canonicalize(bad)).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
  });

  it('rejects nesting beyond the limit without blowing the stack', () => {
    expect(() => canonicalize('['.repeat(100000) + ']'.repeat(100000))).toThrow(expect.objectContaining({ code: 'ERR_JSON_INVALID' }));
  });

  it('treats __proto__ as a plain member name', () => {
    expect(canonicalize('{"__proto__":{"x":1},"a":2}')).toBe('{"__proto__":{"x":1},"a":2}');
    const v = parseJsonStrict('{"__proto__":1}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
  });

  it('is stable under re-serialisation (spacing, order, escapes) and matches JSON.parse for well-formed input', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const text = JSON.stringify(v);
        const spaced = JSON.stringify(v, null, 3);
        const c = canonicalize(text);
        expect(canonicalize(spaced)).toBe(c);
        expect(canonicalize(c)).toBe(c);
        expect(JSON.parse(c)).toEqual(JSON.parse(text));
        expect(canonicalizeValue(JSON.parse(text))).toBe(c);
      }),
      { numRuns: 300 },
    );
  });
});
