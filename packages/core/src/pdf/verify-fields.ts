/**
 * Locating signatures in a parsed PDF: walk the AcroForm field tree (bounded, cycle-safe) for
 * signature fields and their /V dictionaries, and read the DSS. Used by verifyPdf and the diff
 * analysis. No crypto.
 */
import { PdfMalformedError } from '../errors/index.js';
import { Lexer, PdfDict, PdfRef, PdfStream, PdfString, isArray, isInt, isRef, lastIndexOfAscii, type PdfObject } from './parser/index.js';
import { isWhite } from './parser/lexer.js';
import type { PdfDocument } from './parser/index.js';

export interface FieldInfo {
  ref: PdfRef | null;
  dict: PdfDict;
  /** Fully qualified name (T of ancestors joined with '.'). */
  name: string;
  /** Inherited field type. */
  ft: string | undefined;
  /** The value /V as stored (a reference for signature fields, normally). */
  v: PdfObject | undefined;
  depth: number;
}

const MAX_FIELDS = 100_000;

/** All terminal and non-terminal fields of the AcroForm as of revision `rev`, parents first. */
export function listFields(doc: PdfDocument, rev?: number): FieldInfo[] {
  const out: FieldInfo[] = [];
  const catalog = doc.catalog(rev);
  const acro = doc.resolveDict(catalog.get('AcroForm'), rev);
  if (!acro) return out;
  const fields = doc.resolve(acro.get('Fields'), rev);
  if (!isArray(fields)) return out;
  const seen = new Set<string>();
  const walk = (items: PdfObject[], parentName: string, parentFt: string | undefined, depth: number): void => {
    if (depth > 32) throw new PdfMalformedError('malformed PDF: form field tree too deep');
    for (const item of items) {
      if (out.length >= MAX_FIELDS) throw new PdfMalformedError('malformed PDF: too many form fields');
      const ref = isRef(item) ? item : null;
      if (ref) {
        if (seen.has(ref.key)) continue;
        seen.add(ref.key);
      }
      const dict = doc.resolveDict(item, rev);
      if (!dict) continue;
      const t = doc.resolve(dict.get('T'), rev);
      const partial = t instanceof PdfString ? t.text() : '';
      const name = partial ? (parentName ? `${parentName}.${partial}` : partial) : parentName;
      const ftObj = doc.resolve(dict.get('FT'), rev);
      const ft = ftObj && typeof ftObj === 'object' && 'name' in ftObj ? String((ftObj as { name: string }).name) : parentFt;
      out.push({ ref, dict, name, ft, v: dict.get('V'), depth });
      const kids = doc.resolve(dict.get('Kids'), rev);
      if (isArray(kids)) walk(kids, name, ft, depth + 1);
    }
  };
  walk(fields, '', undefined, 0);
  return out;
}

export interface SignatureField {
  field: FieldInfo;
  sigRef: PdfRef | null;
  sig: PdfDict;
}

/** Signature fields whose /V is a signature dictionary (newest revision). */
export function listSignatures(doc: PdfDocument): SignatureField[] {
  const out: SignatureField[] = [];
  const seen = new Set<string>();
  for (const f of listFields(doc)) {
    if (f.ft !== 'Sig' || f.v === undefined || f.v === null) continue;
    const sigRef = isRef(f.v) ? f.v : null;
    if (sigRef) {
      if (seen.has(sigRef.key)) {
        // two fields pointing to one signature dictionary: report it twice, integrity decides
      }
      seen.add(sigRef.key);
    }
    const sig = doc.resolveDict(f.v);
    if (!sig) continue;
    out.push({ field: f, sigRef, sig });
  }
  return out;
}

export interface DssData {
  certs: Uint8Array[];
  crls: Uint8Array[];
  ocsps: Uint8Array[];
}

/** Certificates, CRLs and OCSP responses from the catalog's /DSS (newest revision). Bad entries are skipped. */
export function readDss(doc: PdfDocument, rev?: number): DssData | null {
  const dss = doc.resolveDict(doc.catalog(rev).get('DSS'), rev);
  if (!dss) return null;
  const take = (key: string): Uint8Array[] => {
    const arr = doc.resolve(dss.get(key), rev);
    if (!isArray(arr)) return [];
    const out: Uint8Array[] = [];
    for (const item of arr.slice(0, 10_000)) {
      try {
        const s = doc.resolve(item, rev);
        if (s instanceof PdfStream) out.push(doc.decode(s, rev));
      } catch {
        // unreadable DSS entry: ignored (it can only add evidence, never remove a failure)
      }
    }
    return out;
  };
  return { certs: take('Certs'), crls: take('CRLs'), ocsps: take('OCSPs') };
}

/** The four integers of /ByteRange, or null when it is not exactly four non-negative integers. */
export function readByteRange(doc: PdfDocument, sig: PdfDict): [number, number, number, number] | null {
  const br = doc.resolve(sig.get('ByteRange'));
  if (!isArray(br) || br.length !== 4) return null;
  const vals = br.map((x) => doc.resolve(x));
  if (!vals.every((x) => isInt(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER)) return null;
  return vals as [number, number, number, number];
}

/**
 * Some writers record wrong byte offsets in an incremental update's xref (DSS's test files have
 * one). Readers repair by looking for `N G obj`; we do the same, but only inside the bytes of the
 * revision that defines the entry, so a repaired object is still attributed to its own revision.
 * Bounded: at most 200,000 entries are checked. Returns the number of entries fixed.
 */
export function repairStaleOffsets(doc: PdfDocument): number {
  const b = doc.bytes;
  let checked = 0;
  let fixed = 0;
  for (let i = 1; i < doc.revisions.length; i++) {
    const rev = doc.revisions[i]!;
    const start = doc.revisions[i - 1]!.end;
    for (const [num, e] of rev.entries) {
      if (e.type !== 1) continue;
      if (++checked > 200_000) return fixed;
      if (objectAt(b, e.offset + doc.offsetShift, num, e.gen)) continue;
      const needle = `${num} ${e.gen} obj`;
      let p = lastIndexOfAscii(b, needle, rev.end - needle.length);
      while (p >= start && !(p === 0 || isWhite(b[p - 1]!))) p = lastIndexOfAscii(b, needle, p - 1);
      if (p >= start && objectAt(b, p, num, e.gen)) {
        rev.entries.set(num, { type: 1, offset: p - doc.offsetShift, gen: e.gen });
        fixed++;
      }
    }
  }
  return fixed;
}

function objectAt(b: Uint8Array, off: number, num: number, gen: number): boolean {
  if (off < 0 || off >= b.length) return false;
  try {
    const lx = new Lexer(b, off);
    return lx.readUint() === num && lx.readUint() === gen && lx.tryKeyword('obj');
  } catch {
    return false;
  }
}
