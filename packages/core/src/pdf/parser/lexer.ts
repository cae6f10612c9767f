/**
 * Tokeniser and object parser over the raw file bytes (ISO 32000-2 §7.2-7.3). Work is bounded:
 * nesting depth, string and name sizes are capped, and every malformed token is a
 * PdfMalformedError (never an exception of another kind, never a loop that does not advance).
 */
import { PdfMalformedError } from '../../errors/index.js';
import { PdfDict, PdfName, PdfRef, PdfString, type PdfArray, type PdfObject } from './objects.js';

export const MAX_DEPTH = 100;
const MAX_DICT_ENTRIES = 100_000;

// Character classes: 1 = white space, 2 = delimiter.
const CLASS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) CLASS[c] = 1;
for (const c of '()<>[]{}/%') CLASS[c.charCodeAt(0)] = 2;

export function isWhite(c: number): boolean {
  return CLASS[c] === 1;
}
export function isRegular(c: number): boolean {
  return CLASS[c] === 0;
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Resolves `/Length N 0 R` while a stream is being parsed. */
export type LengthResolver = (ref: PdfRef) => number | undefined;

/** What a parsed `N G obj ... endobj` gave. */
export interface ParsedIndirect {
  num: number;
  gen: number;
  value: PdfObject;
  /** Offset just after the object (after endobj when present). */
  end: number;
}

export class Lexer {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos = 0,
  ) {
    this.pos = pos;
  }

  fail(what: string): never {
    throw new PdfMalformedError(`malformed PDF: ${what} at byte ${this.pos}`);
  }

  /** Skip white space and comments. */
  skipWs(): void {
    const b = this.buf;
    let p = this.pos;
    for (;;) {
      while (p < b.length && CLASS[b[p]!] === 1) p++;
      if (p < b.length && b[p] === 0x25) {
        while (p < b.length && b[p] !== 0x0a && b[p] !== 0x0d) p++;
        continue;
      }
      break;
    }
    this.pos = p;
  }

  peekByte(): number {
    return this.pos < this.buf.length ? this.buf[this.pos]! : -1;
  }

  /** Read a keyword/number token (regular characters); returns '' at a delimiter or EOF. */
  readRegular(): string {
    const b = this.buf;
    const start = this.pos;
    let p = start;
    while (p < b.length && CLASS[b[p]!] === 0) p++;
    if (p - start > 255) this.fail('token too long');
    this.pos = p;
    let s = '';
    for (let i = start; i < p; i++) s += String.fromCharCode(b[i]!);
    return s;
  }

  /** Try to read an unsigned integer at pos (after white space); returns -1 and restores pos if none. */
  readUint(): number {
    this.skipWs();
    const b = this.buf;
    const start = this.pos;
    let p = start;
    let v = 0;
    while (p < b.length && isDigit(b[p]!)) {
      v = v * 10 + (b[p]! - 0x30);
      p++;
      if (p - start > 15) return -1;
    }
    if (p === start || (p < b.length && CLASS[b[p]!] === 0)) {
      this.pos = start;
      return -1;
    }
    this.pos = p;
    return v;
  }

  /** Expect a keyword such as `obj` after white space. */
  expectKeyword(kw: string): void {
    this.skipWs();
    const t = this.readRegular();
    if (t !== kw) this.fail(`expected '${kw}'`);
  }

  /** Test whether `kw` follows (after white space) without consuming it unless it matches. */
  tryKeyword(kw: string): boolean {
    this.skipWs();
    const save = this.pos;
    const t = this.readRegular();
    if (t === kw) return true;
    this.pos = save;
    return false;
  }

  /** Parse one direct object (refs `N G R` recognised). */
  parseObject(depth = 0): PdfObject {
    if (depth > MAX_DEPTH) this.fail('objects nested too deeply');
    this.skipWs();
    const b = this.buf;
    if (this.pos >= b.length) this.fail('unexpected end of file');
    const c = b[this.pos]!;
    switch (c) {
      case 0x2f: // '/'
        return this.parseName();
      case 0x28: // '('
        return this.parseLiteralString();
      case 0x3c: // '<'
        if (b[this.pos + 1] === 0x3c) return this.parseDict(depth);
        return this.parseHexString();
      case 0x5b: {
        // '['
        this.pos++;
        const arr: PdfArray = [];
        for (;;) {
          this.skipWs();
          if (this.pos >= b.length) this.fail('unterminated array');
          if (b[this.pos] === 0x5d) {
            this.pos++;
            return arr;
          }
          if (arr.length >= MAX_DICT_ENTRIES) this.fail('array too large');
          arr.push(this.parseObject(depth + 1));
        }
      }
      default:
        break;
    }
    if (isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e) {
      // number, or `N G R`
      const start = this.pos;
      const t = this.readRegular();
      const n = parseNumber(t);
      if (n === undefined) {
        this.pos = start;
        this.fail('bad number');
      }
      if (/^\d+$/.test(t)) {
        const save = this.pos;
        const gen = this.readUint();
        if (gen >= 0) {
          this.skipWs();
          if (this.buf[this.pos] === 0x52 /* R */ && (this.pos + 1 >= b.length || CLASS[b[this.pos + 1]!] !== 0)) {
            this.pos++;
            return new PdfRef(n, gen);
          }
        }
        this.pos = save;
      }
      return n;
    }
    const t = this.readRegular();
    switch (t) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'null':
        return null;
      case '':
        this.fail(`unexpected character 0x${c.toString(16)}`);
        break;
      default:
        this.fail(`unexpected token '${t.slice(0, 20)}'`);
    }
  }

  parseName(): PdfName {
    const b = this.buf;
    this.pos++; // '/'
    const start = this.pos;
    let p = start;
    while (p < b.length && CLASS[b[p]!] === 0) p++;
    if (p - start > 1024) this.fail('name too long');
    let s = '';
    for (let i = start; i < p; i++) {
      const ch = b[i]!;
      if (ch === 0x23 && i + 2 < p && hexVal(b[i + 1] ?? -1) >= 0 && hexVal(b[i + 2] ?? -1) >= 0) {
        s += String.fromCharCode((hexVal(b[i + 1]!) << 4) | hexVal(b[i + 2]!));
        i += 2;
      } else s += String.fromCharCode(ch);
    }
    this.pos = p;
    return PdfName.of(s);
  }

  parseHexString(): PdfString {
    const b = this.buf;
    const start = this.pos;
    this.pos++;
    const end = b.indexOf(0x3e, this.pos);
    if (end < 0) this.fail('unterminated hex string');
    const out = new Uint8Array((end - this.pos + 1) >> 1);
    let n = 0;
    let hi = -1;
    for (let p = this.pos; p < end; p++) {
      const ch = b[p]!;
      if (CLASS[ch] === 1) continue;
      const v = hexVal(ch);
      if (v < 0) this.fail('bad character in hex string');
      if (hi < 0) hi = v;
      else {
        out[n++] = (hi << 4) | v;
        hi = -1;
      }
    }
    if (hi >= 0) out[n++] = hi << 4;
    this.pos = end + 1;
    return new PdfString(out.subarray(0, n), true, start, this.pos);
  }

  parseLiteralString(): PdfString {
    const b = this.buf;
    const start = this.pos;
    let p = this.pos + 1;
    let depth = 1;
    const out: number[] = [];
    while (p < b.length) {
      const ch = b[p++]!;
      if (ch === 0x5c) {
        // backslash
        if (p >= b.length) break;
        const e = b[p++]!;
        switch (e) {
          case 0x6e: out.push(0x0a); break; // n
          case 0x72: out.push(0x0d); break; // r
          case 0x74: out.push(0x09); break; // t
          case 0x62: out.push(0x08); break; // b
          case 0x66: out.push(0x0c); break; // f
          case 0x0d:
            if (b[p] === 0x0a) p++;
            break;
          case 0x0a:
            break;
          default:
            if (e >= 0x30 && e <= 0x37) {
              let v = e - 0x30;
              for (let k = 0; k < 2 && p < b.length && b[p]! >= 0x30 && b[p]! <= 0x37; k++) v = v * 8 + (b[p++]! - 0x30);
              out.push(v & 0xff);
            } else out.push(e);
        }
        continue;
      }
      if (ch === 0x28) depth++;
      else if (ch === 0x29) {
        depth--;
        if (depth === 0) {
          this.pos = p;
          return new PdfString(Uint8Array.from(out), false, start, p);
        }
      }
      out.push(ch);
      if (out.length > 64 * 1024 * 1024) this.fail('string too long');
    }
    this.pos = start;
    this.fail('unterminated string');
  }

  parseDict(depth: number): PdfDict {
    const b = this.buf;
    this.pos += 2;
    const d = new PdfDict();
    for (;;) {
      this.skipWs();
      if (this.pos >= b.length) this.fail('unterminated dictionary');
      const c = b[this.pos]!;
      if (c === 0x3e) {
        if (b[this.pos + 1] !== 0x3e) this.fail("expected '>>'");
        this.pos += 2;
        return d;
      }
      if (c !== 0x2f) this.fail('dictionary key is not a name');
      const key = this.parseName().name;
      this.skipWs();
      // A key without value directly before '>>' (seen in broken files): treat as null.
      if (b[this.pos] === 0x3e && b[this.pos + 1] === 0x3e) {
        d.map.set(key, null);
        continue;
      }
      const v = this.parseObject(depth + 1);
      if (d.map.size >= MAX_DICT_ENTRIES) this.fail('dictionary too large');
      // ISO 32000: a null value is the same as an absent key; keep it so serialisation is faithful.
      d.map.set(key, v);
    }
  }
}

export function parseNumber(t: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) {
    // Some writers emit '--5' or '5-'; readers treat those leniently, we refuse them.
    return undefined;
  }
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** Find `needle` (ASCII) in buf searching backwards from `from` (inclusive start index). */
export function lastIndexOfAscii(buf: Uint8Array, needle: string, from = buf.length - needle.length): number {
  const n = needle.length;
  const first = needle.charCodeAt(0);
  outer: for (let i = Math.min(from, buf.length - n); i >= 0; i--) {
    if (buf[i] !== first) continue;
    for (let k = 1; k < n; k++) if (buf[i + k] !== needle.charCodeAt(k)) continue outer;
    return i;
  }
  return -1;
}

/** Find `needle` (ASCII) in buf from `from` up to `limit` (exclusive). */
export function indexOfAscii(buf: Uint8Array, needle: string, from = 0, limit = buf.length): number {
  const n = needle.length;
  const first = needle.charCodeAt(0);
  const last = Math.min(limit, buf.length) - n;
  let i = from;
  while (i <= last) {
    i = buf.indexOf(first, i);
    if (i < 0 || i > last) return -1;
    let k = 1;
    while (k < n && buf[i + k] === needle.charCodeAt(k)) k++;
    if (k === n) return i;
    i++;
  }
  return -1;
}
