import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enumerated, generalizedTime, integer, octetString, oid, seq, x509Time } from '@seal/core/asn1';
import { encodeEntries, type CrlEntry } from './build-crl.js';

/** The obvious, slow encoding of one entry with the generic DER helpers. */
function reference(e: CrlEntry): Uint8Array {
  const exts: Uint8Array[] = [];
  if (e.reason !== 0) exts.push(seq(oid('2.5.29.21'), octetString(enumerated(e.reason))));
  if (e.invalidityDate !== null) exts.push(seq(oid('2.5.29.24'), octetString(generalizedTime(e.invalidityDate))));
  const serial = integer(Buffer.from(e.serial.length % 2 ? `0${e.serial}` : e.serial, 'hex'));
  return exts.length === 0 ? seq(serial, x509Time(e.revokedAt)) : seq(serial, x509Time(e.revokedAt), seq(...exts));
}

const entry = fc.record({
  serial: fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex')),
  reason: fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 8, 9, 10),
  revokedAt: fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
  invalidityDate: fc.option(fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }), { nil: null }),
});

describe('fast CRL entry encoder', () => {
  it('matches the generic DER encoding byte for byte (UTCTime/GeneralizedTime switch, sign bytes, reasons)', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), (list) => {
        const fast = Buffer.from(encodeEntries(list));
        const slow = Buffer.concat(list.map(reference));
        return fast.equals(slow);
      }),
      { numRuns: 300 },
    );
    const edge: CrlEntry[] = [
      { serial: '80', reason: 1, revokedAt: new Date('2049-12-31T23:59:59Z'), invalidityDate: null },
      { serial: '0000ff', reason: 0, revokedAt: new Date('2050-01-01T00:00:00Z'), invalidityDate: new Date('2024-02-29T12:00:00Z') },
      { serial: '7f'.repeat(20), reason: 10, revokedAt: new Date('1950-01-01T00:00:00Z'), invalidityDate: null },
    ];
    expect(Buffer.from(encodeEntries(edge)).equals(Buffer.concat(edge.map(reference)))).toBe(true);
  });

  it('grows its buffer past the initial size and refuses bad input', () => {
    const many: CrlEntry[] = Array.from({ length: 5000 }, (_, i) => ({ serial: (i + 1).toString(16), reason: i % 6, revokedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i % 60)), invalidityDate: i % 3 ? null : new Date(Date.UTC(2024, 11, 31)) }));
    expect(Buffer.from(encodeEntries(many)).equals(Buffer.concat(many.map(reference)))).toBe(true);
    expect(() => encodeEntries([{ serial: 'zz', reason: 0, revokedAt: new Date(), invalidityDate: null }])).toThrow();
    expect(() => encodeEntries([{ serial: '01', reason: 7, revokedAt: new Date(), invalidityDate: null }])).toThrow();
    expect(() => encodeEntries([{ serial: '01'.repeat(21), reason: 0, revokedAt: new Date(), invalidityDate: null }])).toThrow();
  });
});
