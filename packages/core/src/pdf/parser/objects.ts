/**
 * The PDF object model (ISO 32000-2 §7.3). Arrays are plain JS arrays; everything else is a
 * small class so that `instanceof` tells the types apart. Values are immutable once parsed:
 * code that builds a modified object makes a new PdfDict (see PdfDict.with()).
 */

export type PdfObject = null | boolean | number | PdfName | PdfString | PdfRef | PdfArray | PdfDict | PdfStream;
export type PdfArray = PdfObject[];

const NAMES = new Map<string, PdfName>();

/** A name object, without the leading slash and with #xx escapes decoded. Interned: compare with ===. */
export class PdfName {
  private constructor(readonly name: string) {}
  static of(name: string): PdfName {
    let n = NAMES.get(name);
    if (n === undefined) {
      n = new PdfName(name);
      if (NAMES.size < 100_000) NAMES.set(name, n);
    }
    return n;
  }
  toString(): string {
    return `/${this.name}`;
  }
}

/** A string object (literal or hex) as raw bytes; `offset`/`end` locate its token in the file (if parsed from one). */
export class PdfString {
  constructor(
    readonly bytes: Uint8Array,
    readonly hex = false,
    readonly offset = -1,
    readonly end = -1,
  ) {}
  /** Latin-1/UTF-16BE (with BOM) or UTF-8 (with BOM) decoding, as text strings are stored. */
  text(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
      let s = '';
      for (let i = 2; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return s;
    }
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return new TextDecoder().decode(b.subarray(3));
    let s = '';
    for (const c of b) s += String.fromCharCode(c);
    return s;
  }
}

/** An indirect reference `num gen R`. */
export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
  get key(): string {
    return `${this.num} ${this.gen}`;
  }
  equals(o: unknown): boolean {
    return o instanceof PdfRef && o.num === this.num && o.gen === this.gen;
  }
  toString(): string {
    return `${this.num} ${this.gen} R`;
  }
}

/** A dictionary. Keys are names without the slash; insertion order is kept for serialisation. */
export class PdfDict {
  readonly map: Map<string, PdfObject>;
  constructor(entries?: Iterable<[string, PdfObject]>) {
    this.map = new Map(entries);
  }
  get(key: string): PdfObject | undefined {
    return this.map.get(key);
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  get size(): number {
    return this.map.size;
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  entries(): IterableIterator<[string, PdfObject]> {
    return this.map.entries();
  }
  /** A copy with `key` set (or removed when `value` is undefined). */
  with(key: string, value: PdfObject | undefined): PdfDict {
    const d = new PdfDict(this.map);
    if (value === undefined) d.map.delete(key);
    else d.map.set(key, value);
    return d;
  }
  /** The value of `key` if it is a name, its string; else undefined. */
  getName(key: string): string | undefined {
    const v = this.map.get(key);
    return v instanceof PdfName ? v.name : undefined;
  }
}

/**
 * A stream: its dictionary and where its raw (still encoded) bytes lie. `raw` is a view into the
 * file (no copy) or, for streams built in memory, their own bytes.
 */
export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    readonly raw: Uint8Array,
    /** Byte offset of the data in the file, or -1 for streams built in memory. */
    readonly dataOffset = -1,
  ) {}
}

export function isDict(o: PdfObject | undefined): o is PdfDict {
  return o instanceof PdfDict;
}
export function isArray(o: PdfObject | undefined): o is PdfArray {
  return Array.isArray(o);
}
export function isName(o: PdfObject | undefined, name?: string): o is PdfName {
  return o instanceof PdfName && (name === undefined || o.name === name);
}
export function isRef(o: PdfObject | undefined): o is PdfRef {
  return o instanceof PdfRef;
}
export function isNumber(o: PdfObject | undefined): o is number {
  return typeof o === 'number';
}
export function isInt(o: PdfObject | undefined): o is number {
  return typeof o === 'number' && Number.isInteger(o);
}

/** A located indirect object: its reference, value and byte span in the file. */
export interface PdfIndirectObject {
  ref: PdfRef;
  value: PdfObject;
  /** Offset of `N G obj` in the file, or of the containing object stream's `N G obj` for compressed objects. */
  offset: number;
  /** For objects stored in an object stream: the stream's object number; else undefined. */
  inObjectStream?: number;
}
