/** Serialise PDF objects to bytes (ISO 32000-2 §7.3). Used for the objects an update appends. */
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfObject } from '../parser/objects.js';

const DELIM = new Set('()<>[]{}/%#'.split('').map((c) => c.charCodeAt(0)));

export function serializeName(name: string): string {
  let s = '/';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i) & 0xff;
    if (c < 0x21 || c > 0x7e || DELIM.has(c)) s += `#${c.toString(16).padStart(2, '0')}`;
    else s += name[i];
  }
  return s;
}

export function serializeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError('PDF numbers must be finite');
  if (Number.isInteger(n)) return String(n);
  let s = n.toFixed(5);
  s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/** A literal string with (, ), \ and non-printable bytes escaped. */
export function serializeLiteral(bytes: Uint8Array): string {
  let s = '(';
  for (const c of bytes) {
    if (c === 0x28 || c === 0x29 || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c < 0x20 || c > 0x7e) s += `\\${c.toString(8).padStart(3, '0')}`;
    else s += String.fromCharCode(c);
  }
  return `${s})`;
}

export function serializeHex(bytes: Uint8Array): string {
  return `<${Buffer.from(bytes).toString('hex')}>`;
}

/** Text string: ASCII stays PDFDocEncoding-compatible; anything else is UTF-16BE with a BOM. */
export function textString(text: string): PdfString {
  if (/^[\x20-\x7e]*$/.test(text)) return new PdfString(Buffer.from(text, 'latin1'));
  const b = Buffer.alloc(2 + text.length * 2);
  b[0] = 0xfe;
  b[1] = 0xff;
  for (let i = 0; i < text.length; i++) b.writeUInt16BE(text.charCodeAt(i), 2 + 2 * i);
  return new PdfString(b, true);
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

const zeroHexCache = new Map<number, Uint8Array>();
/** `<00...00>` for n zero bytes (signature placeholders), cached: callers only copy it. */
function zeroHex(n: number): Uint8Array {
  let z = zeroHexCache.get(n);
  if (!z) {
    z = Buffer.alloc(2 * n + 2, 0x30);
    z[0] = 0x3c;
    z[z.length - 1] = 0x3e;
    if (zeroHexCache.size > 16) zeroHexCache.clear();
    zeroHexCache.set(n, z);
  }
  return z;
}

/** Serialise a direct object (a stream is written with its dictionary and data). Output is latin1 text plus stream bytes. */
export function serializeObject(o: PdfObject, out: Chunks = new Chunks()): Chunks {
  if (o === null) out.text('null');
  else if (o === true) out.text('true');
  else if (o === false) out.text('false');
  else if (typeof o === 'number') out.text(serializeNumber(o));
  else if (o instanceof PdfName) out.text(serializeName(o.name));
  else if (o instanceof PdfString) {
    if (o.hex && o.bytes.length >= 512 && isZero(o.bytes)) out.bytes(zeroHex(o.bytes.length));
    else out.text(o.hex ? serializeHex(o.bytes) : serializeLiteral(o.bytes));
  }
  else if (o instanceof PdfRef) out.text(`${o.num} ${o.gen} R`);
  else if (Array.isArray(o)) {
    out.text('[');
    o.forEach((x, i) => {
      if (i) out.text(' ');
      serializeObject(x, out);
    });
    out.text(']');
  } else if (o instanceof PdfDict) {
    out.text('<<');
    for (const [k, v] of o.entries()) {
      out.text(serializeName(k));
      out.text(' ');
      serializeObject(v, out);
    }
    out.text('>>');
  } else if (o instanceof PdfStream) {
    serializeObject(o.dict.with('Length', o.raw.length), out);
    out.text('\nstream\n');
    out.bytes(o.raw);
    out.text('\nendstream');
  }
  return out;
}

/** An append-only byte builder: latin1 text and raw byte chunks. */
export class Chunks {
  private readonly parts: Uint8Array[] = [];
  private pending = '';
  length = 0;
  text(s: string): this {
    this.pending += s;
    this.length += s.length;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.flush();
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  private flush(): void {
    if (this.pending) {
      this.parts.push(Buffer.from(this.pending, 'latin1'));
      this.pending = '';
    }
  }
  /** Copy everything into `target` at `offset`. */
  copyInto(target: Uint8Array, offset: number): void {
    this.flush();
    let p = offset;
    for (const part of this.parts) {
      target.set(part, p);
      p += part.length;
    }
  }
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    this.copyInto(out, 0);
    return out;
  }
}
