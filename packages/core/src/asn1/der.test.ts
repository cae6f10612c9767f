import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SealError } from '../errors/index.js';
import {
  TAG,
  children,
  decodeInteger,
  decodeOid,
  decodeTime,
  generalizedTime,
  integer,
  namedBits,
  octetStringValue,
  oid,
  parseDer,
  readNode,
  seq,
  setOf,
  tlv,
  x509Time,
} from './der.js';

/** openssl's reading of a DER value (an independent parser). */
function asn1parse(der: Uint8Array): string {
  const r = spawnSync('openssl', ['asn1parse', '-inform', 'DER'], { input: Buffer.from(der) });
  expect(r.status).toBe(0);
  return r.stdout.toString();
}

describe('DER writer', () => {
  it('encodes OIDs, integers, times and bit strings as openssl reads them', () => {
    const value = seq(
      oid('1.2.840.113549.1.9.16.2.47'),
      oid('2.999.3'),
      oid('1.3.6.1.4.1.55555.123456789.1'),
      integer(0),
      integer(127),
      integer(128),
      integer(-129),
      integer(2n ** 70n),
      integer(Uint8Array.of(0, 0, 0x80, 1)),
      generalizedTime(new Date('2031-02-03T04:05:06.780Z'), true),
      x509Time(new Date('2049-12-31T23:59:59Z')),
      x509Time(new Date('2050-01-01T00:00:00Z')),
      namedBits([5]),
      tlv(TAG.OCTET_STRING, new Uint8Array(300)),
    );
    const out = asn1parse(value);
    expect(out).toContain(':id-smime-aa-signingCertificateV2');
    expect(out).toContain(':1.3.6.1.4.1.55555.123456789.1');
    expect(out).toContain(':2.999.3');
    expect(out).toMatch(/INTEGER +:00\n/);
    expect(out).toMatch(/INTEGER +:7F\n/);
    expect(out).toMatch(/INTEGER +:80\n/);
    expect(out).toMatch(/INTEGER +:-81\n/);
    expect(out).toMatch(/INTEGER +:400000000000000000\n/);
    expect(out).toMatch(/INTEGER +:8001\n/);
    expect(out).toContain('GENERALIZEDTIME   :20310203040506.78Z');
    expect(out).toContain('UTCTIME           :491231235959Z');
    expect(out).toContain('GENERALIZEDTIME   :20500101000000Z');
    expect(out).toContain('l= 300 prim');
  });

  it('sorts SET OF by encoding', () => {
    const s = setOf([Uint8Array.of(4, 1, 2), Uint8Array.of(4, 1, 1), Uint8Array.of(2, 1, 9)]);
    expect(Buffer.from(s).toString('hex')).toBe('3109020109040101040102');
  });

  it('round-trips integers and OIDs through the reader', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), (v) => {
        expect(decodeInteger(parseDer(integer(v)))).toBe(v);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.nat(), { maxLength: 6 }), (a, b, rest) => {
        const dotted = [a, b, ...rest].join('.');
        expect(decodeOid(parseDer(oid(dotted)))).toBe(dotted);
      }),
    );
  });

  it('decodes times', () => {
    expect(decodeTime(parseDer(generalizedTime(new Date('2031-02-03T04:05:06.789Z'), true))).toISOString()).toBe('2031-02-03T04:05:06.789Z');
    expect(decodeTime(parseDer(x509Time(new Date('1999-01-02T03:04:05Z')))).toISOString()).toBe('1999-01-02T03:04:05.000Z');
  });
});

describe('DER reader', () => {
  const bad: Array<[string, number[]]> = [
    ['truncated header', [0x30]],
    ['content past the end', [0x04, 0x05, 1, 2]],
    ['non-minimal length', [0x04, 0x81, 0x01, 0x00]],
    ['indefinite length in DER', [0x30, 0x80, 0x00, 0x00]],
    ['trailing bytes', [0x05, 0x00, 0x00]],
    ['high tag number', [0x1f, 0x81, 0x00, 0x00]],
    ['length too large', [0x04, 0x85, 1, 0, 0, 0, 0]],
  ];
  it.each(bad)('refuses %s with ERR_ASN1_INVALID', (_name, bytes) => {
    expect(() => parseDer(Uint8Array.from(bytes))).toThrow(expect.objectContaining({ code: 'ERR_ASN1_INVALID' }));
  });

  it('reads BER indefinite lengths and constructed OCTET STRINGs only when asked', () => {
    const ber = Uint8Array.from([0x30, 0x80, 0x24, 0x80, 0x04, 0x01, 0xaa, 0x04, 0x02, 0xbb, 0xcc, 0x00, 0x00, 0x00, 0x00]);
    expect(() => parseDer(ber)).toThrow(SealError);
    const node = parseDer(ber, { ber: true });
    const [os] = children(node, { ber: true });
    expect(Buffer.from(octetStringValue(os!, { ber: true })).toString('hex')).toBe('aabbcc');
  });

  it('never throws anything but a SealError on random input, and never reads past its input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, ber) => {
        try {
          const node = readNode(bytes, 0, bytes.length, { ber });
          expect(node.end).toBeLessThanOrEqual(bytes.length);
          if (node.constructed) children(node, { ber });
        } catch (err) {
          expect(err).toBeInstanceOf(SealError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
