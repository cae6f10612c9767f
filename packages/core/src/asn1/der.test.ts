import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SealError } from '../errors/index.js';
import {
  STRICT_TREE,
  TAG,
  bitStringBytes,
  bytesEqual,
  children,
  ctx,
  decodeBitString,
  decodeBoolean,
  decodeInteger,
  decodeOctetString,
  decodeOid,
  decodeSmallInt,
  decodeString,
  decodeTime,
  ecdsaDerToRaw,
  ecdsaRawToDer,
  encodedOf,
  enumerated,
  fieldsOf,
  fromHex,
  generalizedTime,
  ia5String,
  integer,
  integerHex,
  namedBits,
  octetString,
  octetStringValue,
  oid,
  parseDer,
  readNode,
  seq,
  setOf,
  tlv,
  toHex,
  utf8String,
  x509Time,
} from './der.js';

const asn1Invalid = expect.objectContaining({ code: 'ERR_ASN1_INVALID' });

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
      enumerated(1),
      enumerated(200),
      ia5String('ES'),
      oid('2.25.329800735698586629295641978511506172918'),
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
    expect(out).toMatch(/ENUMERATED +:01\n/);
    expect(out).toMatch(/ENUMERATED +:C8\n/);
    expect(out).toMatch(/IA5STRING +:ES\n/);
    expect(out).toContain(':2.25.329800735698586629295641978511506172918');
  });

  it('refuses what it cannot encode with a SealError', () => {
    for (const bad of ['1', '1.2.', '1.x', '3.1', '1.40', '']) expect(() => oid(bad)).toThrow(asn1Invalid);
    expect(() => ia5String('Siegel für')).toThrow(asn1Invalid);
    expect(() => generalizedTime(new Date(Number.NaN))).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    expect(() => x509Time(new Date(Number.NaN))).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });

  it('encodes unsigned magnitudes (serials, ECDSA r and s) as positive minimal INTEGERs', () => {
    expect(toHex(integer(Uint8Array.of()))).toBe('020100');
    expect(toHex(integer(Uint8Array.of(0, 0)))).toBe('020100');
    expect(toHex(integer(Uint8Array.of(0, 0x7f)))).toBe('02017f');
    expect(toHex(integer(Uint8Array.of(0xff)))).toBe('020200ff');
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

  it('converts ECDSA signatures between raw r||s and DER as node:crypto reads them', () => {
    for (const [curve, size] of [['P-256', 32], ['P-384', 48], ['P-521', 66]] as const) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      for (let i = 0; i < 8; i++) {
        const data = Buffer.from(`message ${i}`);
        const raw = new Uint8Array(nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
        const der = ecdsaRawToDer(raw);
        expect(nodeVerify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
        expect(toHex(ecdsaDerToRaw(der, size))).toBe(toHex(raw));
        const fromNode = new Uint8Array(nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' }));
        expect(nodeVerify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, ecdsaDerToRaw(fromNode, size))).toBe(true);
      }
    }
    expect(() => ecdsaRawToDer(Uint8Array.of(1, 2, 3))).toThrow(asn1Invalid);
    expect(() => ecdsaRawToDer(Uint8Array.of())).toThrow(asn1Invalid);
    expect(() => ecdsaDerToRaw(seq(integer(1)), 32)).toThrow(asn1Invalid);
    expect(() => ecdsaDerToRaw(seq(integer(1), integer(2), integer(3)), 32)).toThrow(asn1Invalid);
    expect(() => ecdsaDerToRaw(seq(integer(1), integer(new Uint8Array(33).fill(1))), 32)).toThrow(asn1Invalid);
    expect(() => ecdsaDerToRaw(Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00), 32)).toThrow(asn1Invalid);
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
    ['non-minimal two-byte length', [0x04, 0x82, 0x00, 0x80, ...new Array<number>(0x80).fill(0)]],
    ['indefinite length on a primitive', [0x04, 0x80, 0x00, 0x00]],
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

  it('checks the whole tree up front only when asked (STRICT_TREE), with nesting <= 32', () => {
    // a constructed [0] whose content is not a sequence of TLVs
    const lying = seq(integer(1), tlv(0xa0, Uint8Array.of(0x04, 0x05, 0x01)));
    const node = parseDer(lying);
    expect(children(node)).toHaveLength(2);
    expect(() => parseDer(lying, STRICT_TREE)).toThrow(asn1Invalid);
    expect(() => parseDer(lying, { deep: true })).toThrow(asn1Invalid);
    let nested = octetString(Uint8Array.of(1));
    for (let i = 0; i < 32; i++) nested = seq(nested);
    expect(parseDer(nested, STRICT_TREE).end).toBe(nested.length);
    expect(() => parseDer(seq(nested), STRICT_TREE)).toThrow(asn1Invalid);
    expect(parseDer(seq(nested), { deep: true }).end).toBe(nested.length + 2);
  });

  it('keeps exact views of what was read', () => {
    const inner = seq(utf8String('印章'), octetString(Uint8Array.of(9, 8)));
    const outer = Uint8Array.from([0xff, ...seq(inner), 0xee]).subarray(1, -1);
    const [n] = children(parseDer(outer, STRICT_TREE));
    const enc = encodedOf(n!);
    expect(bytesEqual(enc, inner)).toBe(true);
    expect(enc.buffer).toBe(outer.buffer);
    const [s, o] = fieldsOf(n, 'pair', 2, 2);
    expect(decodeString(s, 'name')).toBe('印章');
    expect(toHex(decodeOctetString(o, 'value'))).toBe('0908');
  });

  it('typed readers refuse the wrong shape with ERR_ASN1_INVALID', () => {
    const pair = parseDer(seq(integer(1), integer(2)));
    expect(fieldsOf(pair, 'pair', 2, 2)).toHaveLength(2);
    expect(() => fieldsOf(pair, 'pair', 3)).toThrow(asn1Invalid);
    expect(() => fieldsOf(pair, 'pair', 0, 1)).toThrow(asn1Invalid);
    expect(() => fieldsOf(parseDer(setOf([integer(1)])), 'pair')).toThrow(asn1Invalid);
    expect(() => fieldsOf(undefined, 'pair')).toThrow(asn1Invalid);
    expect(toHex(decodeBitString(parseDer(bitStringBytes(Uint8Array.of(0xab)))))).toBe('ab');
    expect(() => decodeBitString(parseDer(namedBits([1])))).toThrow(asn1Invalid);
    expect(() => decodeBitString(parseDer(Uint8Array.of(TAG.BIT_STRING, 0)))).toThrow(asn1Invalid);
    expect(() => decodeString(parseDer(tlv(TAG.UTF8_STRING, Uint8Array.of(0xc3, 0x28))))).toThrow(asn1Invalid);
    expect(() => decodeString(parseDer(ia5String('ES')), 'id', [TAG.UTF8_STRING])).toThrow(asn1Invalid);
    expect(decodeString(parseDer(ia5String('ES')), 'id', [TAG.IA5_STRING])).toBe('ES');
    expect(decodeSmallInt(parseDer(integer(0x7fffffff)))).toBe(0x7fffffff);
    expect(() => decodeSmallInt(parseDer(integer(0x80000000)))).toThrow(asn1Invalid);
    expect(() => decodeSmallInt(parseDer(integer(-1)))).toThrow(asn1Invalid);
    expect(() => decodeInteger(parseDer(Uint8Array.of(TAG.INTEGER, 0)))).toThrow(asn1Invalid);
    expect(() => decodeInteger(undefined)).toThrow(asn1Invalid);
    expect(integerHex(parseDer(integer(Uint8Array.of(0x80, 1))))).toBe('8001');
    expect(integerHex(parseDer(integer(0)))).toBe('00');
    expect(decodeBoolean(parseDer(Uint8Array.of(TAG.BOOLEAN, 1, 0xff)))).toBe(true);
    expect(() => decodeBoolean(parseDer(Uint8Array.of(TAG.BOOLEAN, 2, 0, 0)))).toThrow(asn1Invalid);
    expect(() => decodeTime(parseDer(utf8String('20240101000000Z')))).toThrow(asn1Invalid);
    expect(() => decodeTime(parseDer(tlv(TAG.UTC_TIME, Buffer.from('2401010000Z'))))).toThrow(asn1Invalid);
    expect(() => decodeOctetString(parseDer(ctx(0, octetString(Uint8Array.of(1)))))).toThrow(asn1Invalid);
    // OIDs: empty, truncated last arc, non-minimal arc, arc beyond exact number range
    for (const c of [[], [0x2a, 0x86], [0x2a, 0x80, 0x01], [0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]]) {
      expect(() => decodeOid(parseDer(tlv(TAG.OID, Uint8Array.from(c))))).toThrow(asn1Invalid);
    }
  });

  it('hex and byte helpers', () => {
    expect(toHex(fromHex('00ABff'))).toBe('00abff');
    expect(() => fromHex('abc')).toThrow(asn1Invalid);
    expect(() => fromHex('zz')).toThrow(asn1Invalid);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1))).toBe(false);
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
        try {
          const node = readNode(bytes, 0, bytes.length, ber ? { ber, deep: true } : STRICT_TREE);
          expect(node.end).toBeLessThanOrEqual(bytes.length);
        } catch (err) {
          expect(err).toBeInstanceOf(SealError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
