/**
 * The one DER codec of the service: a small, strict reader and a fast writer, shared by CMS/TSA,
 * PKCS#12, the GB/T 38540 (SES/OFD/SM2) code and the registry (CRLs, OCSP, CA).
 *
 * The reader never throws anything but a SealError ERR_ASN1_INVALID, checks every length against
 * its parent, and refuses indefinite lengths and non-minimal length encodings unless asked for
 * BER (`{ ber: true }`, for PKCS#12 files from Windows/Java and TSA answers from the wild).
 * Nodes are views: `contentOf`/`encodedOf` give the exact bytes read, never a re-encoding (SES
 * and CMS signatures cover the original encodings). `{ deep: true }` checks the whole tree up
 * front (every constructed value's children exactly fill it); the SES code parses with
 * STRICT_TREE (deep, nesting <= 32).
 * The writer builds TLVs from Uint8Array parts; it is what the CMS and TSA encoders use on the
 * hot path, so it does no validation beyond computing lengths.
 */
import { SealError } from '../errors/index.js';

export interface DerNode {
  /** The identifier octet (class | constructed | number); only low tag numbers (< 31) are supported. */
  readonly tag: number;
  /** The buffer this node was read from. */
  readonly buf: Uint8Array;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet (for indefinite BER: before the end-of-contents). */
  readonly contentEnd: number;
  /** Offset just past the whole TLV (including an end-of-contents marker). */
  readonly end: number;
  readonly constructed: boolean;
  readonly indefinite: boolean;
}

export interface ReadOptions {
  /** Accept BER: indefinite lengths and non-minimal length octets. */
  ber?: boolean;
  /** Maximum nesting depth (default 64). */
  maxDepth?: number;
  /**
   * Check the whole tree while reading a node: every constructed value's children must exactly
   * fill it, down to the leaves (and nesting stays within maxDepth). Without it only the node
   * itself is checked and children are read when asked for.
   */
  deep?: boolean;
}

/** Whole-tree DER checking with nesting <= 32: what the GB/T 38540 (SES, GM CMS, SM2) code reads with. */
export const STRICT_TREE: ReadOptions = Object.freeze({ deep: true, maxDepth: 32 });

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export function asn1Error(message: string): SealError {
  return new SealError('ERR_ASN1_INVALID', `malformed ASN.1: ${message}`);
}

/** Read one TLV at `offset` within `[offset, limit)`. */
export function readNode(buf: Uint8Array, offset = 0, limit = buf.length, options: ReadOptions = {}, depth = 0): DerNode {
  if (depth > (options.maxDepth ?? 64)) throw asn1Error('nesting too deep');
  if (offset + 2 > limit) throw asn1Error('truncated header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw asn1Error('high tag numbers are not supported');
  const constructed = (tag & 0x20) !== 0;
  let pos = offset + 1;
  const first = buf[pos++]!;
  let length: number;
  let indefinite = false;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    if (!options.ber) throw asn1Error('indefinite length in DER');
    if (!constructed) throw asn1Error('indefinite length on a primitive');
    indefinite = true;
    length = -1;
  } else {
    const n = first & 0x7f;
    if (n > 4 || n === 0x7f) throw asn1Error('length too large');
    if (pos + n > limit) throw asn1Error('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!;
    if (!options.ber && (length < 0x80 || buf[pos - n] === 0)) throw asn1Error('non-minimal length');
  }
  const contentStart = pos;
  if (!indefinite) {
    const end = contentStart + length;
    if (end > limit) throw asn1Error('content runs past its container');
    if (options.deep && constructed) {
      let p = contentStart;
      while (p < end) p = readNode(buf, p, end, options, depth + 1).end;
    }
    return { tag, buf, start: offset, contentStart, contentEnd: end, end, constructed, indefinite };
  }
  // Indefinite: walk children until the end-of-contents marker 00 00.
  let p = contentStart;
  for (;;) {
    if (p + 2 > limit) throw asn1Error('missing end-of-contents');
    if (buf[p] === 0 && buf[p + 1] === 0) {
      return { tag, buf, start: offset, contentStart, contentEnd: p, end: p + 2, constructed, indefinite };
    }
    p = readNode(buf, p, limit, options, depth + 1).end;
  }
}

/** Parse a buffer that must hold exactly one TLV. */
export function parseDer(buf: Uint8Array, options: ReadOptions = {}): DerNode {
  const node = readNode(buf, 0, buf.length, options);
  if (node.end !== buf.length) throw asn1Error('trailing bytes after the value');
  return node;
}

/** The children of a constructed node. */
export function children(node: DerNode, options: ReadOptions = {}): DerNode[] {
  if (!node.constructed) throw asn1Error('expected a constructed value');
  const out: DerNode[] = [];
  let p = node.contentStart;
  while (p < node.contentEnd) {
    const child = readNode(node.buf, p, node.contentEnd, options);
    out.push(child);
    p = child.end;
  }
  return out;
}

/** Content octets (a view, no copy). */
export function contentOf(node: DerNode): Uint8Array {
  return node.buf.subarray(node.contentStart, node.contentEnd);
}

/** The whole encoded TLV (a view, no copy). */
export function encodedOf(node: DerNode): Uint8Array {
  return node.buf.subarray(node.start, node.end);
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined) throw asn1Error(`${what} missing`);
  if (node.tag !== tag) throw asn1Error(`${what}: unexpected tag 0x${node.tag.toString(16)}`);
  return node;
}

/** Children of a node that must have the given tag. */
export function childrenOf(node: DerNode | undefined, tag: number, what: string, options: ReadOptions = {}): DerNode[] {
  return children(expectTag(node, tag, what), options);
}

/** The fields of a SEQUENCE, refusing fewer than `min` or more than `max` of them. */
export function fieldsOf(node: DerNode | undefined, what: string, min = 0, max = Infinity): DerNode[] {
  const fields = childrenOf(node, TAG.SEQUENCE, what);
  if (fields.length < min || fields.length > max) throw asn1Error(`${what}: wrong number of fields`);
  return fields;
}

/** Value of an OCTET STRING, concatenating BER constructed segments when reading BER. */
export function octetStringValue(node: DerNode, options: ReadOptions = {}, implicitTag = TAG.OCTET_STRING): Uint8Array {
  if (node.tag === implicitTag) return contentOf(node);
  if (options.ber && node.tag === (implicitTag | 0x20)) {
    const parts = children(node, options).map((c) => octetStringValue(c, options));
    return concat(parts);
  }
  throw asn1Error('expected an OCTET STRING');
}

/** Content of a (primitive, DER) OCTET STRING, a view. */
export function decodeOctetString(node: DerNode | undefined, what = 'OCTET STRING'): Uint8Array {
  return contentOf(expectTag(node, TAG.OCTET_STRING, what));
}

/** Content of a BIT STRING of whole bytes, without the unused-bits octet (which must be 0). */
export function decodeBitString(node: DerNode | undefined, what = 'BIT STRING'): Uint8Array {
  const c = contentOf(expectTag(node, TAG.BIT_STRING, what));
  if (c.length === 0 || c[0] !== 0) throw asn1Error(`${what}: BIT STRING with unused bits`);
  return c.subarray(1);
}

export function decodeOid(node: DerNode | undefined, what = 'OBJECT IDENTIFIER'): string {
  const c = contentOf(expectTag(node, TAG.OID, what));
  if (c.length === 0) throw asn1Error(`${what}: empty OID`);
  const arcs: number[] = [];
  let value = 0;
  let started = false;
  for (let i = 0; i < c.length; i++) {
    const b = c[i]!;
    if (!started && b === 0x80) throw asn1Error(`${what}: non-minimal OID arc`);
    started = true;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 256) throw asn1Error(`${what}: OID arc too large`);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        arcs.push(first, value - first * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
      started = false;
    }
  }
  if (started) throw asn1Error(`${what}: truncated OID`);
  return arcs.join('.');
}

/** INTEGER as bigint (two's complement). */
export function decodeInteger(node: DerNode | undefined, what = 'INTEGER'): bigint {
  const c = contentOf(expectTag(node, TAG.INTEGER, what));
  if (c.length === 0) throw asn1Error(`${what}: empty INTEGER`);
  let v = 0n;
  for (const b of c) v = (v << 8n) | BigInt(b);
  if (c[0]! & 0x80) v -= 1n << BigInt(c.length * 8);
  return v;
}

/** A small non-negative INTEGER as a number (throws above 2^31 - 1 and below 0). */
export function decodeSmallInt(node: DerNode | undefined, what = 'INTEGER'): number {
  const v = decodeInteger(node, what);
  if (v < 0n || v > 0x7fffffffn) throw asn1Error(`${what}: integer out of range`);
  return Number(v);
}

/** The content octets of an INTEGER as lower-case hex, leading zero bytes (the sign byte) removed. */
export function integerHex(node: DerNode | undefined, what = 'INTEGER'): string {
  let c = contentOf(expectTag(node, TAG.INTEGER, what));
  if (c.length === 0) throw asn1Error(`${what}: empty INTEGER`);
  while (c.length > 1 && c[0] === 0) c = c.subarray(1);
  return toHex(c);
}

export function decodeBoolean(node: DerNode | undefined, what = 'BOOLEAN'): boolean {
  const c = contentOf(expectTag(node, TAG.BOOLEAN, what));
  if (c.length !== 1) throw asn1Error(`${what}: bad BOOLEAN`);
  return c[0] !== 0;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** A character string with one of `tags` (default UTF8String, IA5String, PrintableString), decoded as UTF-8. */
export function decodeString(
  node: DerNode | undefined,
  what = 'string',
  tags: readonly number[] = [TAG.UTF8_STRING, TAG.IA5_STRING, TAG.PRINTABLE_STRING],
): string {
  if (node === undefined) throw asn1Error(`${what} missing`);
  if (!tags.includes(node.tag)) throw asn1Error(`${what}: not a string`);
  try {
    return utf8Decoder.decode(contentOf(node));
  } catch {
    throw asn1Error(`${what}: invalid UTF-8`);
  }
}

/** UTCTime or GeneralizedTime (Z form only; fractional seconds in GeneralizedTime) as a Date. */
export function decodeTime(node: DerNode | undefined, what = 'time'): Date {
  if (node === undefined) throw asn1Error(`${what} missing`);
  const s = Buffer.from(contentOf(node)).toString('latin1');
  let m: RegExpExecArray | null;
  let d: Date;
  if (node.tag === TAG.UTC_TIME) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) throw asn1Error(`${what}: bad UTCTime`);
    const yy = Number(m[1]);
    const year = yy >= 50 ? 1900 + yy : 2000 + yy;
    d = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  } else if (node.tag === TAG.GENERALIZED_TIME) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/.exec(s);
    if (!m) throw asn1Error(`${what}: bad GeneralizedTime`);
    const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
    d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms));
  } else {
    throw asn1Error(`${what}: expected a time`);
  }
  if (Number.isNaN(d.getTime())) throw asn1Error(`${what}: bad time`);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Writer

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function headerFor(tag: number, length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(tag, length);
  if (length < 0x100) return Uint8Array.of(tag, 0x81, length);
  if (length < 0x10000) return Uint8Array.of(tag, 0x82, length >> 8, length & 0xff);
  if (length < 0x1000000) return Uint8Array.of(tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff);
  return Uint8Array.of(tag, 0x84, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}

/** Length of a TLV header for a content of `length` bytes. */
export function headerLength(length: number): number {
  return length < 0x80 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : length < 0x1000000 ? 5 : 6;
}

/** One TLV from its content parts. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const h = headerFor(tag, n);
  const out = new Uint8Array(h.length + n);
  out.set(h, 0);
  let o = h.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const seq = (...parts: Uint8Array[]): Uint8Array => tlv(TAG.SEQUENCE, ...parts);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** DER SET OF: elements sorted by their encodings. */
export function setOf(elements: readonly Uint8Array[], tag: number = TAG.SET): Uint8Array {
  return tlv(tag, ...[...elements].sort(compareBytes));
}

/** Context-specific tag number n, constructed (EXPLICIT, or IMPLICIT over a constructed type). */
export const ctx = (n: number, ...parts: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...parts);
/** Context-specific tag number n, primitive (IMPLICIT over a primitive type). */
export const ctxPrim = (n: number, content: Uint8Array): Uint8Array => tlv(0x80 | n, content);

const oidCache = new Map<string, Uint8Array>();

export function oid(dotted: string): Uint8Array {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw asn1Error(`bad OID ${dotted}`);
    return BigInt(a);
  });
  if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! >= 40n)) throw asn1Error(`bad OID ${dotted}`);
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const chunk = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...chunk);
  }
  const out = tlv(TAG.OID, Uint8Array.from(bytes));
  oidCache.set(dotted, out);
  return out;
}

/** INTEGER from a bigint/number, or from unsigned big-endian magnitude bytes. */
export function integer(value: bigint | number | Uint8Array): Uint8Array {
  if (value instanceof Uint8Array) {
    let i = 0;
    while (i < value.length - 1 && value[i] === 0) i++;
    const mag = value.subarray(i);
    if (mag.length === 0) return Uint8Array.of(TAG.INTEGER, 1, 0);
    return mag[0]! & 0x80 ? tlv(TAG.INTEGER, Uint8Array.of(0), mag) : tlv(TAG.INTEGER, mag);
  }
  let v = BigInt(value);
  const bytes: number[] = [];
  if (v === 0n) return Uint8Array.of(TAG.INTEGER, 1, 0);
  if (v > 0n) {
    while (v > 0n) {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    }
    if (bytes[0]! & 0x80) bytes.unshift(0);
  } else {
    let n = 1;
    while (v < -(1n << BigInt(8 * n - 1))) n++;
    let x = (1n << BigInt(8 * n)) + v;
    for (let i = 0; i < n; i++) {
      bytes.unshift(Number(x & 0xffn));
      x >>= 8n;
    }
  }
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}

/** ENUMERATED (encoded like an INTEGER). */
export function enumerated(value: number): Uint8Array {
  const int = integer(value);
  int[0] = TAG.ENUMERATED;
  return int;
}

export const octetString = (content: Uint8Array): Uint8Array => tlv(TAG.OCTET_STRING, content);
export const DER_NULL = Uint8Array.of(TAG.NULL, 0);
export const boolean = (v: boolean): Uint8Array => Uint8Array.of(TAG.BOOLEAN, 1, v ? 0xff : 0);
export const utf8String = (s: string): Uint8Array => tlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));

export function ia5String(s: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(s)) throw asn1Error('IA5String must be ASCII');
  return tlv(TAG.IA5_STRING, Buffer.from(s, 'latin1'));
}

/** BIT STRING from whole bytes (0 unused bits). */
export const bitStringBytes = (content: Uint8Array): Uint8Array => tlv(TAG.BIT_STRING, Uint8Array.of(0), content);

/** A DER named-bit BIT STRING with the given bit numbers set (trailing zero bits removed). */
export function namedBits(bits: readonly number[]): Uint8Array {
  if (bits.length === 0) return Uint8Array.of(TAG.BIT_STRING, 1, 0);
  const max = Math.max(...bits);
  const nbytes = Math.floor(max / 8) + 1;
  const content = new Uint8Array(nbytes);
  for (const b of bits) content[Math.floor(b / 8)]! |= 0x80 >> b % 8;
  const unused = 7 - (max % 8);
  return tlv(TAG.BIT_STRING, Uint8Array.of(unused), content);
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** GeneralizedTime in DER form: UTC, 'Z', fractional seconds without trailing zeros. */
export function generalizedTime(date: Date, withMillis = false): Uint8Array {
  if (Number.isNaN(date.getTime())) throw new SealError('ERR_INPUT_INVALID', 'invalid date');
  let s =
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2);
  const ms = date.getUTCMilliseconds();
  if (withMillis && ms !== 0) s += `.${pad(ms, 3).replace(/0+$/, '')}`;
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${s}Z`, 'latin1'));
}

/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 2050. */
export function x509Time(date: Date): Uint8Array {
  if (Number.isNaN(date.getTime())) throw new SealError('ERR_INPUT_INVALID', 'invalid date');
  const y = date.getUTCFullYear();
  if (y >= 2050 || y < 1950) return generalizedTime(date);
  const s =
    pad(y % 100, 2) +
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2);
  return tlv(TAG.UTC_TIME, Buffer.from(`${s}Z`, 'latin1'));
}

// ---------------------------------------------------------------------------------------------
// ECDSA signature formats

/** ECDSA signature from raw r||s (PKCS#11, WebCrypto) to DER SEQUENCE { r, s }. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw asn1Error('bad raw ECDSA signature');
  const half = raw.length / 2;
  return seq(integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

/** DER ECDSA signature to raw r||s with each half `size` bytes long. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array {
  const [r, s] = fieldsOf(parseDer(der), 'ECDSA signature', 2, 2);
  const out = new Uint8Array(size * 2);
  for (const [i, n] of [r, s].entries()) {
    const bytes = fromHex(integerHex(n, 'ECDSA signature value'));
    if (bytes.length > size) throw asn1Error('bad ECDSA signature');
    out.set(bytes, i * size + size - bytes.length);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Byte helpers

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(h: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(h)) throw asn1Error('bad hex');
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/** Equality without an early exit (digests, signatures). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
