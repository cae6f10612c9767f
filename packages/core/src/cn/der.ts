/**
 * A small, strict DER reader and writer for the GB/T 38540 structures. The reader keeps every
 * element's exact byte span, because SES signatures cover the original encodings (DER(sealInfo),
 * DER(TBS_Sign)) and re-encoding a third party's object could change what was signed.
 * Bad input throws ERR_ASN1_INVALID; nesting depth and element counts are bounded.
 */
import { SealError } from '../errors/index.js';

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export interface DerNode {
  /** The identifier octet (single-byte tags only). */
  readonly tag: number;
  readonly constructed: boolean;
  /** Offset of the identifier octet within the outermost buffer. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the element. */
  readonly end: number;
  /** The whole element (tag, length, content), a view into the input. */
  readonly raw: Uint8Array;
  /** The content octets, a view into the input. */
  readonly content: Uint8Array;
  /** Children of a constructed element. */
  readonly children: readonly DerNode[];
}

const MAX_DEPTH = 32;

export function asn1Error(message: string): SealError {
  return new SealError('ERR_ASN1_INVALID', message);
}

/** Parse exactly one DER element covering the whole of `bytes`. */
export function parseDer(bytes: Uint8Array): DerNode {
  const node = parseAt(bytes, 0, bytes.length, 0);
  if (node.end !== bytes.length) throw asn1Error('trailing bytes after the DER element');
  return node;
}

function parseAt(buf: Uint8Array, pos: number, limit: number, depth: number): DerNode {
  if (depth > MAX_DEPTH) throw asn1Error('DER nesting too deep');
  if (pos + 2 > limit) throw asn1Error('truncated DER element');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw asn1Error('multi-byte DER tags are not supported');
  let p = pos + 1;
  const first = buf[p++]!;
  let len: number;
  if (first < 0x80) {
    len = first;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw asn1Error('indefinite length is not DER');
    if (n > 4) throw asn1Error('DER length too large');
    if (p + n > limit) throw asn1Error('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
    if (len < 0x80 || (n > 1 && buf[p - n] === 0)) throw asn1Error('non-minimal DER length');
  }
  const contentStart = p;
  const end = contentStart + len;
  if (end > limit) throw asn1Error('DER element runs past its container');
  const constructed = (tag & 0x20) !== 0;
  const children: DerNode[] = [];
  if (constructed) {
    let q = contentStart;
    while (q < end) {
      const child = parseAt(buf, q, end, depth + 1);
      children.push(child);
      q = child.end;
    }
  }
  return {
    tag,
    constructed,
    start: pos,
    contentStart,
    end,
    raw: buf.subarray(pos, end),
    content: buf.subarray(contentStart, end),
    children,
  };
}

// ---------- typed readers (throw ERR_ASN1_INVALID on the wrong shape) ----------

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined) throw asn1Error(`${what}: missing`);
  if (node.tag !== tag) throw asn1Error(`${what}: unexpected tag 0x${node.tag.toString(16)}`);
  return node;
}

export function readSequence(node: DerNode | undefined, what: string, min = 0, max = Infinity): readonly DerNode[] {
  const n = expectTag(node, TAG.SEQUENCE, what);
  if (n.children.length < min || n.children.length > max) throw asn1Error(`${what}: wrong number of fields`);
  return n.children;
}

export function readInteger(node: DerNode | undefined, what: string): bigint {
  const n = expectTag(node, TAG.INTEGER, what);
  if (n.content.length === 0) throw asn1Error(`${what}: empty INTEGER`);
  let v = 0n;
  for (const b of n.content) v = (v << 8n) | BigInt(b);
  if ((n.content[0]! & 0x80) !== 0) v -= 1n << BigInt(8 * n.content.length);
  return v;
}

export function readSmallInt(node: DerNode | undefined, what: string): number {
  const v = readInteger(node, what);
  if (v < -0x7fffffffn || v > 0x7fffffffn) throw asn1Error(`${what}: INTEGER out of range`);
  return Number(v);
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function readString(node: DerNode | undefined, what: string, tags: readonly number[] = [TAG.UTF8_STRING, TAG.IA5_STRING, TAG.PRINTABLE_STRING]): string {
  if (node === undefined) throw asn1Error(`${what}: missing`);
  if (!tags.includes(node.tag)) throw asn1Error(`${what}: not a string`);
  try {
    return textDecoder.decode(node.content);
  } catch {
    throw asn1Error(`${what}: invalid UTF-8`);
  }
}

export function readOctets(node: DerNode | undefined, what: string): Uint8Array {
  return expectTag(node, TAG.OCTET_STRING, what).content;
}

/** BIT STRING content without the unused-bits octet (which must be 0). */
export function readBitString(node: DerNode | undefined, what: string): Uint8Array {
  const n = expectTag(node, TAG.BIT_STRING, what);
  if (n.content.length === 0 || n.content[0] !== 0) throw asn1Error(`${what}: BIT STRING with unused bits`);
  return n.content.subarray(1);
}

export function readOid(node: DerNode | undefined, what: string): string {
  const n = expectTag(node, TAG.OID, what);
  const c = n.content;
  if (c.length === 0 || (c[c.length - 1]! & 0x80) !== 0) throw asn1Error(`${what}: bad OBJECT IDENTIFIER`);
  const arcs: bigint[] = [];
  let v = 0n;
  for (const b of c) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** UTCTime or GeneralizedTime (Z only; fractional seconds allowed in GeneralizedTime). */
export function readTime(node: DerNode | undefined, what: string): Date {
  if (node === undefined) throw asn1Error(`${what}: missing`);
  const s = readString({ ...node, tag: TAG.IA5_STRING }, what, [TAG.IA5_STRING]);
  let m: RegExpMatchArray | null;
  let year: number;
  let rest: string[];
  if (node.tag === TAG.UTC_TIME) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (m === null) throw asn1Error(`${what}: bad UTCTime`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = m.slice(2, 7);
  } else if (node.tag === TAG.GENERALIZED_TIME) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/.exec(s);
    if (m === null) throw asn1Error(`${what}: bad GeneralizedTime`);
    year = Number(m[1]);
    rest = m.slice(2, 7);
    const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
    const d = new Date(Date.UTC(year, Number(rest[0]) - 1, Number(rest[1]), Number(rest[2]), Number(rest[3]), Number(rest[4]), ms));
    if (Number.isNaN(d.getTime())) throw asn1Error(`${what}: bad time`);
    return d;
  } else {
    throw asn1Error(`${what}: not a time`);
  }
  const d = new Date(Date.UTC(year, Number(rest[0]) - 1, Number(rest[1]), Number(rest[2]), Number(rest[3]), Number(rest[4])));
  if (Number.isNaN(d.getTime())) throw asn1Error(`${what}: bad time`);
  return d;
}

// ---------- writer ----------

function encodeLength(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const bytes: number[] = [];
  let v = len;
  while (v > 0) {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  }
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
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

export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(tag), encodeLength(content.length), content]);
}

export function derSequence(items: readonly Uint8Array[]): Uint8Array {
  return derTlv(TAG.SEQUENCE, concatBytes(items));
}

export function derSet(items: readonly Uint8Array[]): Uint8Array {
  const sorted = [...items].sort((a, b) => {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  return derTlv(TAG.SET, concatBytes(sorted));
}

export function derInteger(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  const bytes: number[] = [];
  if (v === 0n) bytes.push(0);
  const negative = v < 0n;
  if (negative) throw asn1Error('negative INTEGER encoding not supported');
  while (v > 0n) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  if ((bytes[0]! & 0x80) !== 0) bytes.unshift(0);
  return derTlv(TAG.INTEGER, Uint8Array.from(bytes));
}

/** An INTEGER from unsigned big-endian bytes (serial numbers). */
export function derUnsignedInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const b = bytes.subarray(i);
  return derTlv(TAG.INTEGER, (b[0]! & 0x80) !== 0 ? concatBytes([Uint8Array.of(0), b]) : b);
}

export function derOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw asn1Error('bad OID');
  const out: number[] = [];
  const all = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  for (const arc of all) {
    const chunk: number[] = [];
    let v = arc;
    do {
      chunk.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return derTlv(TAG.OID, Uint8Array.from(out));
}

const enc = new TextEncoder();

export function derUtf8(s: string): Uint8Array {
  return derTlv(TAG.UTF8_STRING, enc.encode(s));
}

export function derIa5(s: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(s)) throw asn1Error('IA5String must be ASCII');
  return derTlv(TAG.IA5_STRING, enc.encode(s));
}

export function derPrintable(s: string): Uint8Array {
  return derTlv(TAG.PRINTABLE_STRING, enc.encode(s));
}

export function derOctets(b: Uint8Array): Uint8Array {
  return derTlv(TAG.OCTET_STRING, b);
}

export function derBitString(b: Uint8Array): Uint8Array {
  return derTlv(TAG.BIT_STRING, concatBytes([Uint8Array.of(0), b]));
}

export function derBoolean(v: boolean): Uint8Array {
  return derTlv(TAG.BOOLEAN, Uint8Array.of(v ? 0xff : 0));
}

export function derNull(): Uint8Array {
  return Uint8Array.of(0x05, 0x00);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** GeneralizedTime in whole seconds, Z. */
export function derGeneralizedTime(d: Date): Uint8Array {
  const s = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return derTlv(TAG.GENERALIZED_TIME, enc.encode(s));
}

/** UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5280 rule for certificates). */
export function derX509Time(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  if (y < 1950 || y > 2049) return derGeneralizedTime(d);
  const s = `${pad(y % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return derTlv(TAG.UTC_TIME, enc.encode(s));
}

/** [n] EXPLICIT wrapper. */
export function derExplicit(n: number, inner: Uint8Array): Uint8Array {
  return derTlv(0xa0 | n, inner);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(h: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(h)) throw asn1Error('bad hex');
  return new Uint8Array(Buffer.from(h, 'hex'));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
