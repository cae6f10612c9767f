import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lexer } from '../parser/lexer.js';
import { PdfDict, PdfName, PdfRef, PdfString, type PdfObject } from '../parser/objects.js';
import { serializeNumber, serializeObject, textString } from './serialize.js';

/** Structural equality of parsed objects (strings by bytes, dicts by entries). */
function same(a: PdfObject, b: PdfObject): boolean {
  if (a instanceof PdfString) return b instanceof PdfString && Buffer.from(a.bytes).equals(Buffer.from(b.bytes));
  if (a instanceof PdfRef) return a.equals(b);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]!));
  if (a instanceof PdfDict) return b instanceof PdfDict && a.size === b.size && [...a.entries()].every(([k, v]) => b.has(k) && same(v, b.get(k)!));
  if (typeof a === 'number') return typeof b === 'number' && Math.abs(a - b) < 1e-5;
  return a === b;
}

const leaf: fc.Arbitrary<PdfObject> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 12 }).map((s) => PdfName.of(s.replace(/\0/g, ''))),
  fc.uint8Array({ maxLength: 40 }).map((b) => new PdfString(b)),
  fc.uint8Array({ maxLength: 40 }).map((b) => new PdfString(b, true)),
  fc.tuple(fc.nat(1e6), fc.nat(65535)).map(([n, g]) => new PdfRef(n, g)),
);
const { obj } = fc.letrec<{ obj: PdfObject }>((tie) => ({
  obj: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('obj'), { maxLength: 5 }),
    fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !k.includes('\0')), tie('obj')), { maxLength: 5 }).map((e) => new PdfDict(e)),
  ),
}));

describe('serializeObject', () => {
  it('round-trips through the lexer (names with delimiters, binary strings, nesting)', () => {
    fc.assert(
      fc.property(obj, (o) => {
        const text = serializeObject(o).toBytes();
        const back = new Lexer(text).parseObject();
        expect(same(o, back)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('writes long zero hex strings (signature placeholders) from a cached buffer, byte-exact', () => {
    for (const n of [512, 600, 600, 8192]) {
      const text = serializeObject(new PdfDict([['Contents', new PdfString(new Uint8Array(n), true)]])).toBytes();
      expect(Buffer.from(text).toString('latin1')).toBe(`<</Contents <${'0'.repeat(2 * n)}>>>`);
    }
    const nonZero = new Uint8Array(600);
    nonZero[599] = 1;
    const back = new Lexer(serializeObject(new PdfString(nonZero, true)).toBytes()).parseObject() as PdfString;
    expect(back.bytes[599]).toBe(1);
  });

  it('writes numbers without exponents and text strings as PDFDocEncoding or UTF-16BE', () => {
    expect(serializeNumber(1e-7)).toBe('0');
    expect(serializeNumber(123456789.5)).toBe('123456789.5');
    expect(serializeNumber(-0.25)).toBe('-0.25');
    expect(() => serializeNumber(Infinity)).toThrow();
    expect(textString('Bern').text()).toBe('Bern');
    const zh = textString('北京市 seal');
    expect([...zh.bytes.subarray(0, 2)]).toEqual([0xfe, 0xff]);
    expect(zh.text()).toBe('北京市 seal');
  });
});
