/**
 * The incremental writer: the original bytes stay untouched and form a prefix of the output; new
 * and changed objects, a cross-reference section in the style of the file's last one (classic
 * table or xref stream) and a trailer with /Prev and /Size are appended. It knows nothing of CMS
 * or keys (pyHanko's incremental_writer, in spirit).
 */
import { PdfMalformedError } from '../../errors/index.js';
import { PdfEncryptedError } from '../errors.js';
import type { PdfDocument } from '../parser/document.js';
import { PdfDict, PdfName, PdfRef, PdfStream, type PdfObject } from '../parser/objects.js';
import { Chunks, serializeObject } from './serialize.js';

/** Trailer keys that describe a section rather than the document; never copied forward. */
const SECTION_KEYS = new Set(['Prev', 'XRefStm', 'Type', 'W', 'Index', 'Filter', 'DecodeParms', 'Length', 'DL', 'F', 'FFilter', 'FDecodeParms']);

export interface IncrementalResult {
  /** The input, unchanged (the same bytes, not a copy). */
  input: Uint8Array;
  /** The appended update; the output file is `input` followed by `update`. */
  update: Uint8Array;
  /** Byte offset (in the whole output) of each written object's `N G obj`, by object number. */
  offsets: Map<number, number>;
  /** Length of the input = offset of the update in the output. */
  inputLength: number;
}

/** input + update as one new buffer (one copy; write the two parts to a file instead where possible). */
export function concatOutput(input: Uint8Array, update: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(input.length + update.length);
  out.set(input, 0);
  out.set(update, input.length);
  return out;
}

export class IncrementalUpdate {
  private readonly objects = new Map<number, { ref: PdfRef; value: PdfObject }>();
  private next: number;

  constructor(readonly doc: PdfDocument) {
    if (doc.repaired) throw new PdfMalformedError('malformed PDF: its cross-reference is broken and needs repair; refusing to append to it');
    if (!doc.lastRevision.hasEof) throw new PdfMalformedError('malformed PDF: no %%EOF after the last cross-reference (truncated file?)');
    if (doc.encrypted) throw new PdfEncryptedError();
    this.next = Math.max(doc.size, 1);
  }

  /** A fresh object number for a new object. */
  allocate(): PdfRef {
    return new PdfRef(this.next++, 0);
  }

  /** Write (or overwrite) object `ref` in the update. */
  set(ref: PdfRef, value: PdfObject): void {
    this.objects.set(ref.num, { ref, value });
  }

  /** Add a new object and return its reference. */
  add(value: PdfObject): PdfRef {
    const ref = this.allocate();
    this.set(ref, value);
    return ref;
  }

  /** The value this update gives `ref`, else the document's (resolved). */
  current(ref: PdfRef): PdfObject | undefined {
    return this.objects.get(ref.num)?.value ?? this.doc.resolve(ref);
  }

  /** Serialise the update after the input bytes. */
  write(): IncrementalResult {
    const doc = this.doc;
    const input = doc.bytes;
    const last = doc.lastRevision;
    const shift = doc.offsetShift;
    const body = new Chunks();
    const needsEol = input.length > 0 && input[input.length - 1] !== 0x0a && input[input.length - 1] !== 0x0d;
    if (needsEol) body.text('\n');
    const base = input.length;
    const offsets = new Map<number, number>();
    const nums = [...this.objects.keys()].sort((a, b) => a - b);
    for (const n of nums) {
      const { ref, value } = this.objects.get(n)!;
      offsets.set(n, base + body.length);
      body.text(`${ref.num} ${ref.gen} obj\n`);
      serializeObject(value, body);
      body.text('\nendobj\n');
    }
    const trailer = new PdfDict([...last.trailer.entries()].filter(([k]) => !SECTION_KEYS.has(k)));
    const prev = last.xrefOffset - shift;
    const xrefAt = base + body.length;
    if (last.kind === 'stream') {
      const xrefRef = this.allocate();
      offsets.set(xrefRef.num, xrefAt);
      const size = Math.max(doc.size, this.next);
      const entries = [...nums, xrefRef.num].sort((a, b) => a - b);
      const maxOff = Math.max(...entries.map((n) => offsets.get(n)! - shift));
      const w1 = maxOff < 2 ** 32 ? 4 : 6;
      const gens = entries.map((n) => this.objects.get(n)?.ref.gen ?? 0);
      const w2 = gens.some((g) => g > 255) ? 2 : 1;
      const rowLen = 1 + w1 + w2;
      const data = new Uint8Array(entries.length * rowLen);
      entries.forEach((n, i) => {
        let p = i * rowLen;
        data[p++] = 1;
        const off = offsets.get(n)! - shift;
        for (let k = w1 - 1; k >= 0; k--) data[p++] = Math.floor(off / 2 ** (8 * k)) & 0xff;
        const g = gens[i]!;
        for (let k = w2 - 1; k >= 0; k--) data[p++] = (g >> (8 * k)) & 0xff;
      });
      const dict = new PdfDict([
        ...trailer.entries(),
        ['Type', PdfName.of('XRef')],
        ['Size', size],
        ['Index', runs(entries).flatMap(([a, c]) => [a, c])],
        ['W', [1, w1, w2]],
        ['Prev', prev],
      ]);
      body.text(`${xrefRef.num} 0 obj\n`);
      serializeObject(new PdfStream(dict, data), body);
      body.text('\nendobj\n');
    } else {
      const size = Math.max(doc.size, this.next);
      body.text('xref\n0 1\n0000000000 65535 f \n');
      for (const [first, count] of runs(nums)) {
        body.text(`${first} ${count}\n`);
        for (let n = first; n < first + count; n++) {
          const gen = this.objects.get(n)!.ref.gen;
          body.text(`${String(offsets.get(n)! - shift).padStart(10, '0')} ${String(gen).padStart(5, '0')} n \n`);
        }
      }
      body.text('trailer\n');
      serializeObject(trailer.with('Size', size).with('Prev', prev), body);
      body.text('\n');
    }
    body.text(`startxref\n${xrefAt - shift}\n%%EOF\n`);
    return { input, update: body.toBytes(), offsets, inputLength: input.length };
  }
}

/** Consecutive runs [first, count] of sorted numbers. */
function runs(sorted: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const n of sorted) {
    const lastRun = out[out.length - 1];
    if (lastRun && lastRun[0] + lastRun[1] === n) lastRun[1]++;
    else out.push([n, 1]);
  }
  return out;
}
