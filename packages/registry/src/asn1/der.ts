/**
 * A minimal DER writer and reader for the structures this package builds by hand (CRLs, OCSP).
 * Writing is plain concatenation of tag-length-value; big CRLs stay fast because nothing is
 * modelled as objects. Reading is strict: definite lengths only, bounds checked, and any
 * malformed input throws ERR_ASN1_INVALID (never a crash or a partial result).
 */
import { SealError } from '@seal/core';

export class Asn1InvalidError extends SealError {
  static readonly code = 'ERR_ASN1_INVALID';
  constructor(message = 'malformed DER') {
    super('ERR_ASN1_INVALID', message);
    this.name = 'Asn1InvalidError';
  }
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function lengthBytes(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const out: number[] = [];
  let v = n;
  while (v > 0) {
    out.unshift(v & 0xff);
    v = Math.floor(v / 256);
  }
  return Uint8Array.from([0x80 | out.length, ...out]);
}

/** Concatenate byte arrays into one. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Tag-length-value for one element whose content is the concatenation of `content`. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const c of content) len += c.length;
  const l = lengthBytes(len);
  const out = new Uint8Array(1 + l.length + len);
  out[0] = tag;
  out.set(l, 1);
  let off = 1 + l.length;
  for (const c of content) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

export const seq = (...content: Uint8Array[]): Uint8Array => tlv(TAG.SEQUENCE, ...content);
export const octets = (bytes: Uint8Array): Uint8Array => tlv(TAG.OCTET_STRING, bytes);
export const explicit = (n: number, ...content: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...content);
export const NULL_DER = Uint8Array.of(0x05, 0x00);

/** BIT STRING with no unused bits. */
export const bitString = (bytes: Uint8Array): Uint8Array => tlv(TAG.BIT_STRING, Uint8Array.of(0), bytes);

/** INTEGER from unsigned big-endian magnitude bytes (leading zeros trimmed, sign byte added). */
export function uintBytes(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.subarray(i);
  if (v.length === 0) v = Uint8Array.of(0);
  if ((v[0] as number) & 0x80) v = concat([Uint8Array.of(0), v]);
  return tlv(TAG.INTEGER, v);
}

export function uint(n: number | bigint): Uint8Array {
  let v = BigInt(n);
  if (v < 0n) throw new RangeError('negative integer');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  return uintBytes(Uint8Array.from(bytes));
}

export function enumerated(n: number): Uint8Array {
  return tlv(TAG.ENUMERATED, Uint8Array.of(n));
}

export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map((p) => Number(p));
  const [a, b, ...rest] = parts;
  if (a === undefined || b === undefined) throw new RangeError('bad OID');
  const out: number[] = [a * 40 + b];
  for (const p of rest) {
    const chunk: number[] = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      chunk.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...chunk);
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** GeneralizedTime, UTC, whole seconds (RFC 5280 4.1.2.5.2). */
export function generalizedTime(d: Date): Uint8Array {
  const s = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return tlv(TAG.GENERALIZED_TIME, new TextEncoder().encode(s));
}

/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 2050. */
export function x509Time(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  if (y < 1950 || y >= 2050) return generalizedTime(d);
  const s = `${pad(y % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return tlv(TAG.UTC_TIME, new TextEncoder().encode(s));
}

/** One parsed element: tag, its content bytes and the whole encoding. */
export interface DerNode {
  readonly tag: number;
  readonly content: Uint8Array;
  readonly raw: Uint8Array;
}

/** Read one element at `offset`; returns it and the offset after it. */
export function readNode(buf: Uint8Array, offset = 0): { node: DerNode; next: number } {
  if (offset + 2 > buf.length) throw new Asn1InvalidError();
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new Asn1InvalidError('high tag numbers are not supported');
  let len = buf[offset + 1] as number;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Asn1InvalidError('bad DER length');
    if (p + n > buf.length) throw new Asn1InvalidError();
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p + i] as number);
    if (len < 0x80 || (n > 1 && buf[p] === 0)) throw new Asn1InvalidError('non-minimal DER length');
    p += n;
  }
  if (p + len > buf.length) throw new Asn1InvalidError('DER length beyond input');
  return { node: { tag, content: buf.subarray(p, p + len), raw: buf.subarray(offset, p + len) }, next: p + len };
}

/** Parse exactly one element filling the whole buffer. */
export function parseDer(buf: Uint8Array): DerNode {
  const { node, next } = readNode(buf, 0);
  if (next !== buf.length) throw new Asn1InvalidError('trailing bytes after DER');
  return node;
}

/** The children of a constructed element. */
export function children(node: DerNode): DerNode[] {
  if ((node.tag & 0x20) === 0) throw new Asn1InvalidError('expected a constructed element');
  const out: DerNode[] = [];
  let off = 0;
  while (off < node.content.length) {
    const { node: child, next } = readNode(node.content, off);
    out.push(child);
    off = next;
  }
  return out;
}

export function expectTag(node: DerNode | undefined, tag: number): DerNode {
  if (node === undefined || node.tag !== tag) throw new Asn1InvalidError();
  return node;
}

export function decodeOid(node: DerNode): string {
  expectTag(node, TAG.OID);
  const c = node.content;
  if (c.length === 0) throw new Asn1InvalidError();
  const first = c[0] as number;
  const parts: number[] = [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80];
  let v = 0;
  for (let i = 1; i < c.length; i++) {
    const b = c[i] as number;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Unsigned magnitude of an INTEGER as lower-case hex without a sign byte. */
export function integerHex(node: DerNode): string {
  expectTag(node, TAG.INTEGER);
  let c = node.content;
  if (c.length === 0) throw new Asn1InvalidError();
  while (c.length > 1 && c[0] === 0) c = c.subarray(1);
  return Buffer.from(c).toString('hex');
}

/** Convert an ECDSA signature from raw r||s (PKCS#11, WebCrypto) to DER SEQUENCE { r, s }. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new Asn1InvalidError('bad raw ECDSA signature');
  const half = raw.length / 2;
  return seq(uintBytes(raw.subarray(0, half)), uintBytes(raw.subarray(half)));
}

/** Convert a DER ECDSA signature to raw r||s with each half `size` bytes long. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array {
  const [r, s] = children(expectTag(parseDer(der), TAG.SEQUENCE));
  const out = new Uint8Array(size * 2);
  for (const [i, n] of [r, s].entries()) {
    const hex = integerHex(expectTag(n, TAG.INTEGER));
    const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
    if (bytes.length > size) throw new Asn1InvalidError('bad ECDSA signature');
    out.set(bytes, i * size + size - bytes.length);
  }
  return out;
}
