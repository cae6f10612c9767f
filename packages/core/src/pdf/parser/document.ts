/**
 * parsePdf: the file's header, cross-reference sections (classic tables, xref streams, hybrid
 * files), the /Prev chain grouped into revisions, and lazy object resolution (object streams
 * included). Nothing is parsed before it is needed, so sealing a 12 MB file reads only its tail,
 * the catalog, one page and the AcroForm.
 *
 * Hostile input: every loop is bounded (sections, objects, nesting, decoded sizes), reference
 * cycles are detected, and a file whose xref cannot be read is either repaired by scanning for
 * `N G obj` (as readers do; `repaired` is then true) or rejected with PdfMalformedError.
 */
import { PdfMalformedError, SealError } from '../../errors/index.js';
import { PdfEncryptedError } from '../errors.js';
import { decodeStream, DEFAULT_MAX_DECODED } from './filters.js';
import { Lexer, indexOfAscii, isWhite, lastIndexOfAscii } from './lexer.js';
import {
  PdfDict,
  PdfName,
  PdfRef,
  PdfStream,
  isArray,
  isDict,
  isInt,
  isRef,
  type PdfIndirectObject,
  type PdfObject,
} from './objects.js';

/** One cross-reference entry: type 0 free, 1 in use at a byte offset, 2 compressed in an object stream. */
export interface XrefEntry {
  type: 0 | 1 | 2;
  /** Type 1: byte offset of `N G obj`. Type 2: object number of the object stream. Type 0: next free. */
  offset: number;
  /** Type 1/0: generation number. Type 2: index inside the object stream. */
  gen: number;
}

/** One cross-reference section as found in the file. */
export interface XrefSection {
  /** Byte offset of the `xref` keyword or of the xref stream's `N G obj`. */
  offset: number;
  kind: 'table' | 'stream';
  /** The trailer dictionary (for an xref stream: the stream's dictionary). */
  trailer: PdfDict;
  entries: Map<number, XrefEntry>;
  /** Byte offset just after the trailer dictionary / the xref stream object. */
  end: number;
  /** Hybrid files: offset of the /XRefStm stream whose entries were merged in. */
  xrefStm?: number;
}

/** One revision: the original file, or one incremental update. */
export interface PdfRevision {
  /** 0 for the original document, then 1, 2 ... in file order. */
  index: number;
  /** The xref sections of this revision, in chain order (two for the first revision of linearized files). */
  sections: XrefSection[];
  /** The offset a `startxref` for this revision names (the first section of the chain). */
  xrefOffset: number;
  /** Style of the revision's (first) section. */
  kind: 'table' | 'stream';
  /** The revision's trailer (linearized: first-page trailer merged over the main one). */
  trailer: PdfDict;
  /** The entries this revision defines (sections merged, earlier-in-chain sections win). */
  entries: Map<number, XrefEntry>;
  /** Byte offset just after this revision's `%%EOF` and its end-of-line (file length if none). */
  end: number;
  /** True when this revision's startxref pointed elsewhere and the section was found by a search. */
  startxrefFixed: boolean;
  /** False when no `%%EOF` follows the revision's xref (a truncated file). */
  hasEof: boolean;
  /** Offset just after the `%%EOF` marker itself (before its end-of-line); = end when there is none. */
  eofMarkerEnd: number;
}

export interface ParsePdfOptions {
  /** Cap on one decoded stream (bytes); default 64 MiB. */
  maxDecodedStream?: number;
  /** Repair a broken xref by scanning objects (default true). When false, PdfMalformedError instead. */
  repair?: boolean;
}

const MAX_SECTIONS = 10_000;
const MAX_OBJECT_NUMBER = 10_000_000;
const MAX_REF_HOPS = 32;
const MAX_PAGES = 1_000_000;

/** Parse a PDF's structure. Objects are read lazily through `resolve()` / `getObject()`. */
export function parsePdf(bytes: Uint8Array, options: ParsePdfOptions = {}): PdfDocument {
  return new PdfDocument(bytes, options);
}

interface ObjStmCache {
  data: Uint8Array;
  first: number;
  /** Pairs: object number, offset (relative to first). */
  index: number[];
}

export class PdfDocument {
  readonly bytes: Uint8Array;
  /** Offset of `%PDF-` (non-zero when junk precedes the header). */
  readonly headerOffset: number;
  /** Header version, e.g. '1.7' (the catalog's /Version may raise it). */
  readonly version: string;
  /** Revisions, oldest first. */
  readonly revisions!: PdfRevision[];
  /**
   * What the file's own offsets are relative to: 0 (file start, per ISO 32000) or headerOffset
   * (junk before %PDF- that the writer did not count). New offsets must follow the same rule.
   */
  offsetShift = 0;
  /** True when the xref was rebuilt by scanning the file (the revision list then has one entry). */
  readonly repaired: boolean;
  private readonly maxDecoded: number;
  private readonly cache = new Map<string, PdfIndirectObject>();
  private readonly objStms = new Map<number, ObjStmCache>();
  private readonly resolving = new Set<string>();

  constructor(bytes: Uint8Array, options: ParsePdfOptions = {}) {
    this.bytes = bytes;
    this.maxDecoded = options.maxDecodedStream ?? DEFAULT_MAX_DECODED;
    const header = indexOfAscii(bytes, '%PDF-', 0, Math.min(bytes.length, 1024 + 5));
    if (header < 0) throw new PdfMalformedError('not a PDF file (no %PDF- header)');
    this.headerOffset = header;
    const m = /^%PDF-(\d\.\d)/.exec(latin1(bytes, header, header + 8));
    this.version = m?.[1] ?? '1.0';
    let revisions: PdfRevision[] | undefined;
    try {
      revisions = this.readRevisions();
    } catch (err) {
      if (!(err instanceof PdfMalformedError) || options.repair === false) throw err;
    }
    if (revisions) {
      this.revisions = revisions;
      this.repaired = false;
      // An xref that does not even lead to the catalog (empty or stale sections) is broken: readers
      // rebuild it, and so do we.
      if (!this.catalogReadable()) {
        if (options.repair === false) throw new PdfMalformedError('malformed PDF: the cross-reference does not lead to the catalog');
        revisions = undefined;
      }
    }
    if (revisions) {
      this.repaired = false;
    } else {
      this.revisions = [this.repair()];
      this.repaired = true;
    }
  }

  private catalogReadable(): boolean {
    try {
      this.catalog();
      return true;
    } catch (err) {
      // Objects read through a broken xref must not survive into the repaired view.
      this.cache.clear();
      this.objStms.clear();
      if (err instanceof SealError && err.code === 'ERR_PDF_MALFORMED') return false;
      return true; // encrypted and similar: the structure is fine
    }
  }

  /** The newest revision. */
  get lastRevision(): PdfRevision {
    return this.revisions[this.revisions.length - 1]!;
  }

  /** The newest trailer. */
  get trailer(): PdfDict {
    return this.lastRevision.trailer;
  }

  /** True when the newest trailer has /Encrypt. */
  get encrypted(): boolean {
    const e = this.trailer.get('Encrypt');
    return e !== undefined && e !== null;
  }

  /** The xref entry for object `num` as of revision `rev` (default newest). */
  lookup(num: number, rev = this.revisions.length - 1): XrefEntry | undefined {
    for (let i = Math.min(rev, this.revisions.length - 1); i >= 0; i--) {
      const e = this.revisions[i]!.entries.get(num);
      if (e) return e;
    }
    return undefined;
  }

  /** Highest object number + 1 over all revisions (at least every trailer's /Size). */
  get size(): number {
    let size = 0;
    for (const r of this.revisions) {
      const s = r.trailer.get('Size');
      if (isInt(s) && s > size) size = s;
      for (const n of r.entries.keys()) if (n + 1 > size) size = n + 1;
    }
    return size;
  }

  /**
   * The located indirect object `ref` as of revision `rev` (default newest); undefined for free or
   * missing objects (which read as null). Throws PdfMalformedError when the object is corrupt.
   */
  getObject(ref: PdfRef, rev = this.revisions.length - 1): PdfIndirectObject | undefined {
    const e = this.lookup(ref.num, rev);
    if (!e || e.type === 0) return undefined;
    if (e.type === 1) {
      if (e.gen !== ref.gen) return undefined;
      const key = `o${e.offset}`;
      const hit = this.cache.get(key);
      if (hit) return hit;
      return this.guard(key, () => {
        const obj = this.readIndirectAt(e.offset, ref.num, rev);
        if (obj.num !== ref.num) throw new PdfMalformedError(`malformed PDF: object ${ref.num} not found at its xref offset`);
        const located: PdfIndirectObject = { ref: new PdfRef(obj.num, obj.gen), value: obj.value, offset: obj.offset };
        this.cache.set(key, located);
        return located;
      });
    }
    if (ref.gen !== 0) return undefined;
    if (this.encrypted) throw new PdfEncryptedError('the PDF is encrypted: its object streams cannot be read');
    const key = `s${e.offset}:${e.gen}:${ref.num}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    return this.guard(key, () => {
      const stm = this.objStm(e.offset, rev);
      let off = -1;
      // The index is authoritative; fall back to searching the number when the index slot disagrees.
      if (stm.index[2 * e.gen] === ref.num) off = stm.index[2 * e.gen + 1]!;
      else for (let i = 0; i < stm.index.length; i += 2) if (stm.index[i] === ref.num) off = stm.index[i + 1]!;
      if (off < 0) throw new PdfMalformedError(`malformed PDF: object ${ref.num} missing from its object stream`);
      const lx = new Lexer(stm.data, stm.first + off);
      const value = lx.parseObject();
      const objStmEntry = this.lookup(e.offset, rev);
      const located: PdfIndirectObject = {
        ref,
        value,
        offset: objStmEntry?.type === 1 ? objStmEntry.offset : -1,
        inObjectStream: e.offset,
      };
      this.cache.set(key, located);
      return located;
    });
  }

  /** Follow `obj` if it is a reference (as of revision `rev`); other values come back unchanged. Missing objects read as null. */
  resolve(obj: PdfObject | undefined, rev = this.revisions.length - 1): PdfObject | undefined {
    let o = obj;
    for (let hops = 0; o instanceof PdfRef; hops++) {
      if (hops >= MAX_REF_HOPS) throw new PdfMalformedError('malformed PDF: reference chain too long');
      o = this.getObject(o, rev)?.value ?? null;
    }
    return o;
  }

  /** resolve() that must give a dictionary (a stream's dictionary counts when `allowStream`). */
  resolveDict(obj: PdfObject | undefined, rev?: number): PdfDict | undefined {
    const o = this.resolve(obj, rev);
    if (o instanceof PdfDict) return o;
    return undefined;
  }

  /** Decoded data of a stream (through its filters), capped in size. */
  decode(stream: PdfStream, rev?: number): Uint8Array {
    if (this.encrypted) throw new PdfEncryptedError('the PDF is encrypted: its streams cannot be decoded');
    return decodeStream(stream, { maxOutput: this.maxDecoded, deref: (o) => this.resolve(o, rev) });
  }

  /** The document catalog (/Root) as of revision `rev`. */
  catalog(rev = this.revisions.length - 1): PdfDict {
    const root = this.revisions[rev]?.trailer.get('Root');
    const cat = this.resolve(root, rev);
    if (!(cat instanceof PdfDict)) throw new PdfMalformedError('malformed PDF: no document catalog');
    return cat;
  }

  /** The pages in order, with their references, as of revision `rev`. */
  pages(rev = this.revisions.length - 1): { ref: PdfRef; dict: PdfDict }[] {
    const out: { ref: PdfRef; dict: PdfDict }[] = [];
    const seen = new Set<string>();
    const root = this.catalog(rev).get('Pages');
    if (!isRef(root)) throw new PdfMalformedError('malformed PDF: /Pages is not an indirect reference');
    const walk = (ref: PdfRef, depth: number): void => {
      if (depth > 64) throw new PdfMalformedError('malformed PDF: page tree too deep');
      if (seen.has(ref.key)) throw new PdfMalformedError('malformed PDF: cycle in the page tree');
      seen.add(ref.key);
      const node = this.resolve(ref, rev);
      if (!(node instanceof PdfDict)) throw new PdfMalformedError('malformed PDF: page tree node is not a dictionary');
      const kids = this.resolve(node.get('Kids'), rev);
      const type = node.getName('Type');
      if (type === 'Pages' || (type === undefined && isArray(kids))) {
        if (!isArray(kids)) throw new PdfMalformedError('malformed PDF: /Kids is not an array');
        for (const k of kids) {
          if (!isRef(k)) throw new PdfMalformedError('malformed PDF: page tree kid is not a reference');
          walk(k, depth + 1);
        }
      } else {
        if (out.length >= MAX_PAGES) throw new PdfMalformedError('malformed PDF: too many pages');
        out.push({ ref, dict: node });
      }
    };
    walk(root, 0);
    return out;
  }

  /**
   * Page `index` (0-based) found by descending the page tree with /Count, so only one branch is
   * read; falls back to the full walk when a /Count is missing or wrong. Undefined if out of range.
   */
  pageAt(index: number, rev = this.revisions.length - 1): { ref: PdfRef; dict: PdfDict } | undefined {
    const root = this.catalog(rev).get('Pages');
    if (!isRef(root)) throw new PdfMalformedError('malformed PDF: /Pages is not an indirect reference');
    let node: PdfRef = root;
    let i = index;
    for (let depth = 0; depth < 64; depth++) {
      const d = this.resolveDict(node, rev);
      if (!d) break;
      const kids = this.resolve(d.get('Kids'), rev);
      if (!isArray(kids)) return undefined;
      let next: PdfRef | undefined;
      for (const k of kids) {
        if (!isRef(k)) break;
        const kd = this.resolveDict(k, rev);
        if (!kd) break;
        const kk = this.resolve(kd.get('Kids'), rev);
        const isNode = kd.getName('Type') === 'Pages' || (kd.getName('Type') === undefined && isArray(kk));
        const count = isNode ? this.resolve(kd.get('Count'), rev) : 1;
        if (!isInt(count) || count < 0) return this.pages(rev)[index];
        if (i < count) {
          next = k;
          break;
        }
        i -= count;
      }
      if (!next) return index < this.pageCount(rev) ? this.pages(rev)[index] : undefined;
      const nd = this.resolveDict(next, rev);
      if (nd && nd.getName('Type') !== 'Pages' && !isArray(this.resolve(nd.get('Kids'), rev))) return i === 0 ? { ref: next, dict: nd } : this.pages(rev)[index];
      node = next;
    }
    return this.pages(rev)[index];
  }

  /** Number of pages per the root /Count (falls back to walking the tree). */
  pageCount(rev = this.revisions.length - 1): number {
    const root = this.resolveDict(this.catalog(rev).get('Pages'), rev);
    const c = this.resolve(root?.get('Count'), rev);
    return isInt(c) && c >= 0 && c <= MAX_PAGES ? c : this.pages(rev).length;
  }

  /** Object numbers defined in any revision up to `rev` (in use or free). */
  objectNumbers(rev = this.revisions.length - 1): number[] {
    const s = new Set<number>();
    for (let i = 0; i <= rev && i < this.revisions.length; i++) for (const n of this.revisions[i]!.entries.keys()) s.add(n);
    return [...s].sort((a, b) => a - b);
  }

  // ---------------------------------------------------------------------------------------------

  private guard<T>(key: string, fn: () => T): T {
    if (this.resolving.has(key)) throw new PdfMalformedError('malformed PDF: reference cycle');
    if (this.resolving.size > 64) throw new PdfMalformedError('malformed PDF: references nested too deeply');
    this.resolving.add(key);
    try {
      return fn();
    } finally {
      this.resolving.delete(key);
    }
  }

  private objStm(num: number, rev: number): ObjStmCache {
    const hit = this.objStms.get(num);
    if (hit) return hit;
    const e = this.lookup(num, rev);
    if (!e || e.type !== 1) throw new PdfMalformedError('malformed PDF: object stream not found');
    const stream = this.resolve(new PdfRef(num, e.gen), rev);
    if (!(stream instanceof PdfStream)) throw new PdfMalformedError('malformed PDF: object stream is not a stream');
    const n = this.resolve(stream.dict.get('N'), rev);
    const first = this.resolve(stream.dict.get('First'), rev);
    if (!isInt(n) || !isInt(first) || n < 0 || first < 0 || n > 1_000_000) {
      throw new PdfMalformedError('malformed PDF: bad object stream header');
    }
    const data = this.decode(stream, rev);
    if (first > data.length) throw new PdfMalformedError('malformed PDF: bad object stream /First');
    const lx = new Lexer(data.subarray(0, first), 0);
    const index: number[] = [];
    for (let i = 0; i < n; i++) {
      const objNum = lx.readUint();
      const off = lx.readUint();
      if (objNum < 0 || off < 0) break;
      index.push(objNum, off);
    }
    const c: ObjStmCache = { data, first, index };
    this.objStms.set(num, c);
    return c;
  }

  /** Parse `N G obj ... endobj` at `offset` (or, failing that, at offset + headerOffset). */
  private readIndirectAt(offset: number, expectNum: number, rev: number): { num: number; gen: number; value: PdfObject; offset: number } {
    const tryAt = (off: number) => {
      if (off < 0 || off >= this.bytes.length) return undefined;
      const lx = new Lexer(this.bytes, off);
      const num = lx.readUint();
      const gen = lx.readUint();
      if (num < 0 || gen < 0 || !lx.tryKeyword('obj')) return undefined;
      if (expectNum >= 0 && num !== expectNum) return undefined;
      return { lx, num, gen };
    };
    const at = tryAt(offset) ?? (this.headerOffset > 0 ? tryAt(offset + this.headerOffset) : undefined);
    if (!at) throw new PdfMalformedError(`malformed PDF: no object ${expectNum} at byte ${offset}`);
    const start = at.lx.pos;
    const value = this.parseBody(at.lx, rev);
    return { num: at.num, gen: at.gen, value, offset: start };
  }

  /** Parse an object body and, for dictionaries followed by `stream`, the stream. */
  private parseBody(lx: Lexer, rev: number): PdfObject {
    const value = lx.parseObject();
    if (!(value instanceof PdfDict)) return value;
    const save = lx.pos;
    if (!lx.tryKeyword('stream')) {
      lx.pos = save;
      return value;
    }
    const b = this.bytes;
    let p = lx.pos;
    if (b[p] === 0x0d && b[p + 1] === 0x0a) p += 2;
    else if (b[p] === 0x0a || b[p] === 0x0d) p += 1;
    const dataStart = p;
    let len = value.get('Length');
    if (isRef(len) && (this.revisions as PdfRevision[] | undefined) !== undefined) {
      // Length in another object: resolve it (cycle-checked); a stream's Length cannot be a stream.
      try {
        len = this.resolve(len, rev) ?? undefined;
      } catch (err) {
        if (err instanceof SealError && err.code !== 'ERR_PDF_MALFORMED') throw err;
        len = undefined;
      }
    }
    let dataEnd = -1;
    if (isInt(len) && len >= 0 && dataStart + len <= b.length) {
      const q = new Lexer(b, dataStart + len);
      if (q.tryKeyword('endstream')) dataEnd = dataStart + len;
    }
    if (dataEnd < 0) {
      // Wrong or missing /Length: find endstream as readers do.
      const k = indexOfAscii(b, 'endstream', dataStart);
      if (k < 0) throw new PdfMalformedError('malformed PDF: stream without endstream');
      dataEnd = k;
      if (b[dataEnd - 1] === 0x0a) dataEnd--;
      if (b[dataEnd - 1] === 0x0d) dataEnd--;
      if (dataEnd < dataStart) dataEnd = dataStart;
    }
    lx.pos = dataEnd;
    lx.tryKeyword('endstream');
    return new PdfStream(value, b.subarray(dataStart, dataEnd), dataStart);
  }

  // --- cross-reference sections ----------------------------------------------------------------

  private readRevisions(): PdfRevision[] {
    const b = this.bytes;
    const sx = lastIndexOfAscii(b, 'startxref');
    if (sx < 0) throw new PdfMalformedError('malformed PDF: no startxref (truncated file?)');
    const lx = new Lexer(b, sx + 9);
    const start = lx.readUint();
    if (start < 0) throw new PdfMalformedError('malformed PDF: bad startxref value');

    const sections: XrefSection[] = [];
    const fixed = new Set<XrefSection>();
    const seen = new Set<number>();
    let next: number | undefined = start;
    let searchFrom = sx;
    while (next !== undefined) {
      if (sections.length >= MAX_SECTIONS) throw new PdfMalformedError('malformed PDF: too many xref sections');
      let sec: XrefSection | undefined = this.readSection(next);
      if (!sec && this.headerOffset > 0) {
        sec = this.readSection(next + this.headerOffset);
        if (sec) this.offsetShift = this.headerOffset;
      }
      if (!sec) {
        // A stale startxref / Prev (ExifTool and friends): take the nearest xref before the startxref
        // keyword that governs it, as readers do.
        const found = this.searchSectionBefore(searchFrom);
        if (found && !seen.has(found.offset)) {
          sec = found;
          fixed.add(sec);
        }
      }
      if (!sec) throw new PdfMalformedError(`malformed PDF: no cross-reference section at byte ${next}`);
      if (seen.has(sec.offset)) throw new PdfMalformedError('malformed PDF: loop in the /Prev chain');
      seen.add(sec.offset);
      sections.push(sec);
      const prev: PdfObject | undefined = sec.trailer.get('Prev');
      next = isInt(prev) && prev >= 0 ? prev : undefined;
      // Where a stale Prev should be searched from: before this section.
      searchFrom = sec.offset;
    }

    // Group into revisions (newest first in `sections`). A section whose /Prev points forward is the
    // first-page section of a linearized file: it belongs to the same revision as its /Prev target.
    const groups: XrefSection[][] = [];
    for (let i = 0; i < sections.length; i++) {
      const sec = sections[i]!;
      const nextSec = sections[i + 1];
      if (nextSec && nextSec.offset > sec.offset && isLinearizedFirstPage(sec, nextSec)) {
        groups.push([sec, nextSec]);
        i++;
      } else groups.push([sec]);
    }
    groups.reverse();
    const revisions = groups.map((secs, index) => this.makeRevision(index, secs, secs.some((s) => fixed.has(s))));
    // Revision ends must increase; a file whose revisions overlap is not one we can reason about.
    for (let i = 1; i < revisions.length; i++) {
      if (revisions[i]!.end <= revisions[i - 1]!.end) {
        // Keep the structure; later sections physically before earlier ones happen with odd writers.
        revisions[i]!.end = Math.max(revisions[i]!.end, revisions[i - 1]!.end);
      }
    }
    if (!revisions.length) throw new PdfMalformedError('malformed PDF: no cross-reference');
    const last = revisions[revisions.length - 1]!;
    if (!(this.resolveTrailerRoot(last.trailer))) throw new PdfMalformedError('malformed PDF: trailer has no /Root');
    return revisions;
  }

  private resolveTrailerRoot(trailer: PdfDict): boolean {
    return isRef(trailer.get('Root'));
  }

  private makeRevision(index: number, secs: XrefSection[], startxrefFixed: boolean): PdfRevision {
    const entries = new Map<number, XrefEntry>();
    let trailer = new PdfDict();
    for (let i = secs.length - 1; i >= 0; i--) {
      const s = secs[i]!;
      for (const [k, v] of s.entries) entries.set(k, v);
      trailer = new PdfDict([...trailer.entries(), ...s.trailer.entries()]);
    }
    const maxEnd = Math.max(...secs.map((s) => s.end));
    const eof = this.findEofAfter(maxEnd);
    return {
      index,
      sections: secs,
      xrefOffset: secs[0]!.offset,
      kind: secs[0]!.kind,
      trailer,
      entries,
      end: eof < 0 ? this.bytes.length : eof,
      startxrefFixed,
      hasEof: eof >= 0,
      eofMarkerEnd: eof < 0 ? this.bytes.length : this.eofMarkerEndBefore(eof),
    };
  }

  /** The offset after `startxref N %%EOF<EOL>` following `from` (-1 if not found). */
  private findEofAfter(from: number): number {
    const b = this.bytes;
    const sx = indexOfAscii(b, 'startxref', from);
    const eof = indexOfAscii(b, '%%EOF', sx >= 0 ? sx : from);
    if (eof < 0) return -1;
    let p = eof + 5;
    if (b[p] === 0x0d) p++;
    if (b[p] === 0x0a) p++;
    return p;
  }

  private eofMarkerEndBefore(end: number): number {
    let p = end;
    if (this.bytes[p - 1] === 0x0a) p--;
    if (this.bytes[p - 1] === 0x0d) p--;
    return p;
  }

  private searchSectionBefore(limit: number): XrefSection | undefined {
    const b = this.bytes;
    let p = limit;
    for (let tries = 0; tries < 16; tries++) {
      const k = lastIndexOfAscii(b, 'xref', p - 4);
      if (k < 0) return undefined;
      p = k;
      const before = b[k - 1];
      if (before !== undefined && !isWhite(before)) continue; // 'startxref'
      const sec = this.readSection(k);
      if (sec) return sec;
    }
    return undefined;
  }

  /** Read the xref section (table or stream) at `offset`; undefined if there is none there. */
  private readSection(offset: number): XrefSection | undefined {
    if (offset < 0 || offset >= this.bytes.length) return undefined;
    const lx = new Lexer(this.bytes, offset);
    lx.skipWs();
    const save = lx.pos;
    if (lx.tryKeyword('xref')) return this.readTable(lx, save);
    lx.pos = save;
    const num = lx.readUint();
    const gen = lx.readUint();
    if (num < 0 || gen < 0 || !lx.tryKeyword('obj')) return undefined;
    return this.readXrefStream(lx, save);
  }

  private readTable(lx: Lexer, offset: number): XrefSection {
    const b = this.bytes;
    const entries = new Map<number, XrefEntry>();
    for (;;) {
      lx.skipWs();
      if (lx.pos >= b.length) throw new PdfMalformedError('malformed PDF: xref table without trailer');
      if (b[lx.pos] === 0x74 /* t */) {
        lx.expectKeyword('trailer');
        break;
      }
      const first = lx.readUint();
      const count = lx.readUint();
      if (first < 0 || count < 0 || first + count > MAX_OBJECT_NUMBER) throw new PdfMalformedError('malformed PDF: bad xref subsection header');
      for (let i = 0; i < count; i++) {
        const off = lx.readUint();
        const gen = lx.readUint();
        lx.skipWs();
        const t = b[lx.pos];
        if (off < 0 || gen < 0 || (t !== 0x6e && t !== 0x66)) throw new PdfMalformedError('malformed PDF: bad xref entry');
        lx.pos++;
        const num = first + i;
        if (!entries.has(num)) entries.set(num, t === 0x6e ? { type: 1, offset: off, gen } : { type: 0, offset: off, gen });
      }
    }
    const trailer = lx.parseObject();
    if (!(trailer instanceof PdfDict)) throw new PdfMalformedError('malformed PDF: trailer is not a dictionary');
    const sec: XrefSection = { offset, kind: 'table', trailer, entries, end: lx.pos };
    // In-use entries pointing at offset 0 are a known writer bug: treat them as free.
    for (const [k, v] of entries) if (v.type === 1 && v.offset === 0 && k !== 0) entries.set(k, { type: 0, offset: 0, gen: v.gen });
    const stm = trailer.get('XRefStm');
    if (isInt(stm)) {
      const s = this.readSection(stm) ?? (this.headerOffset > 0 ? this.readSection(stm + this.headerOffset) : undefined);
      if (s && s.kind === 'stream') {
        sec.xrefStm = s.offset;
        for (const [k, v] of s.entries) {
          const mine = entries.get(k);
          if (!mine || mine.type === 0) entries.set(k, v);
        }
      }
    }
    return sec;
  }

  private readXrefStream(lx: Lexer, offset: number): XrefSection | undefined {
    let value: PdfObject;
    try {
      value = this.parseBody(lx, 0);
    } catch (err) {
      if (err instanceof PdfMalformedError) return undefined;
      throw err;
    }
    if (!(value instanceof PdfStream) || value.dict.getName('Type') !== 'XRef') return undefined;
    const dict = value.dict;
    const w = dict.get('W');
    const size = dict.get('Size');
    if (!isArray(w) || w.length < 3 || !w.every((x) => isInt(x) && x >= 0 && x <= 8) || !isInt(size) || size < 0 || size > MAX_OBJECT_NUMBER) {
      throw new PdfMalformedError('malformed PDF: bad xref stream dictionary');
    }
    const [w0, w1, w2] = w as number[];
    const rowLen = w0! + w1! + w2!;
    if (rowLen === 0) throw new PdfMalformedError('malformed PDF: bad xref stream /W');
    const idx = dict.get('Index') ?? [0, size];
    if (!isArray(idx) || idx.length % 2 !== 0 || !idx.every((x) => isInt(x) && x >= 0)) throw new PdfMalformedError('malformed PDF: bad xref stream /Index');
    // An xref stream's filters and parameters are direct (ISO 32000-2 §7.5.8.2).
    const data = decodeStream(value, { maxOutput: Math.min(this.maxDecoded, (MAX_OBJECT_NUMBER + 1) * rowLen) });
    const entries = new Map<number, XrefEntry>();
    let p = 0;
    const read = (width: number): number => {
      let v = 0;
      for (let i = 0; i < width; i++) v = v * 256 + data[p++]!;
      return v;
    };
    for (let i = 0; i < idx.length; i += 2) {
      const first = idx[i] as number;
      const count = idx[i + 1] as number;
      if (first + count > MAX_OBJECT_NUMBER) throw new PdfMalformedError('malformed PDF: bad xref stream /Index');
      for (let k = 0; k < count; k++) {
        if (p + rowLen > data.length) throw new PdfMalformedError('malformed PDF: xref stream shorter than its /Index');
        const type = w0 === 0 ? 1 : read(w0!);
        const f2 = read(w1!);
        const f3 = read(w2!);
        const num = first + k;
        if (entries.has(num)) continue;
        if (type === 0) entries.set(num, { type: 0, offset: f2, gen: f3 });
        else if (type === 1) entries.set(num, { type: 1, offset: f2, gen: f3 });
        else if (type === 2) entries.set(num, { type: 2, offset: f2, gen: f3 });
        // Other types are reserved: readers treat them as null objects.
      }
    }
    return { offset, kind: 'stream', trailer: dict, entries, end: lx.pos };
  }

  // --- repair -----------------------------------------------------------------------------------

  /** Rebuild one revision by scanning for `N G obj` and a trailer, as PDF readers do. */
  private repair(): PdfRevision {
    const b = this.bytes;
    const text = latin1(b, 0, b.length);
    const entries = new Map<number, XrefEntry>();
    const re = /(?<![0-9])(\d{1,8})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]+obj(?![A-Za-z0-9])/g;
    let m: RegExpExecArray | null;
    let count = 0;
    while ((m = re.exec(text)) !== null) {
      if (++count > 5_000_000) throw new PdfMalformedError('malformed PDF: too many objects to repair');
      entries.set(Number(m[1]), { type: 1, offset: m.index, gen: Number(m[2]) });
    }
    if (entries.size === 0) throw new PdfMalformedError('malformed PDF: no objects found (not a PDF or truncated)');
    const rev: PdfRevision = {
      index: 0,
      sections: [],
      xrefOffset: -1,
      kind: 'table',
      trailer: new PdfDict(),
      entries,
      end: b.length,
      startxrefFixed: false,
      hasEof: false,
      eofMarkerEnd: b.length,
    };
    // Temporarily install the revision so resolve() works while we look for the trailer.
    (this as { revisions: PdfRevision[] }).revisions = [rev];
    // Objects inside object streams.
    for (const [num, e] of [...entries]) {
      let v: PdfObject | undefined;
      try {
        v = this.getObject(new PdfRef(num, e.gen))?.value;
      } catch (err) {
        if (err instanceof SealError && err.code !== 'ERR_PDF_MALFORMED') throw err;
        entries.delete(num);
        continue;
      }
      if (v instanceof PdfStream && v.dict.getName('Type') === 'ObjStm') {
        try {
          const stm = this.objStm(num, 0);
          for (let i = 0; i < stm.index.length; i += 2) {
            const n = stm.index[i]!;
            if (!entries.has(n)) entries.set(n, { type: 2, offset: num, gen: i / 2 });
          }
        } catch (err) {
          if (err instanceof SealError && err.code !== 'ERR_PDF_MALFORMED') throw err;
        }
      }
    }
    let trailer: PdfDict | undefined;
    for (let k = text.lastIndexOf('trailer'); k >= 0 && !trailer; k = text.lastIndexOf('trailer', k - 1)) {
      try {
        const t = new Lexer(b, k + 7).parseObject();
        if (t instanceof PdfDict && isRef(t.get('Root'))) trailer = t;
      } catch {
        /* keep searching */
      }
    }
    if (!trailer) {
      for (const [num, e] of entries) {
        if (e.type !== 1) continue;
        const v = this.getObject(new PdfRef(num, e.gen))?.value;
        const d = v instanceof PdfStream ? v.dict : v;
        if (d instanceof PdfDict && d.getName('Type') === 'XRef' && isRef(d.get('Root'))) trailer = d;
        if (d instanceof PdfDict && d.getName('Type') === 'Catalog' && !trailer) trailer = new PdfDict([['Root', new PdfRef(num, e.gen)]]);
      }
    }
    if (!trailer) throw new PdfMalformedError('malformed PDF: no trailer or catalog found');
    const t = new PdfDict([...trailer.entries()].filter(([k]) => !['Prev', 'XRefStm', 'Type', 'W', 'Index', 'Filter', 'DecodeParms', 'Length'].includes(k)));
    let maxNum = 0;
    for (const n of entries.keys()) maxNum = Math.max(maxNum, n);
    rev.trailer = t.with('Size', maxNum + 1);
    this.cache.clear();
    return rev;
  }
}

function isLinearizedFirstPage(first: XrefSection, main: XrefSection): boolean {
  // The first-page section comes early in the file and its trailer's /Prev names the main section.
  return first.trailer.get('Prev') === main.offset;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, Math.max(0, Math.min(end, b.length) - start)).toString('latin1');
}

