/**
 * The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2): an incremental
 * update that adds /DSS to the catalog with /Certs, /CRLs and /OCSPs (arrays of streams holding
 * DER certificates, CRLs and OCSPResponses) and /VRI entries keyed by the uppercase hex SHA-1 of
 * each signature's /Contents. An existing DSS is merged: every entry it has is kept, new data is
 * added once (deduplicated by content), VRI entries for the same key are united.
 */
import { createHash } from 'node:crypto';
import { PdfMalformedError } from '../../errors/index.js';
import type { PdfDocument } from '../parser/document.js';
import { PdfDict, PdfName, PdfRef, PdfStream, isArray, isRef, type PdfObject } from '../parser/objects.js';
import { IncrementalUpdate } from '../writer/incremental.js';

/** Validation data for one signature (its VRI entry). */
export interface VriData {
  certs: readonly Uint8Array[];
  crls: readonly Uint8Array[];
  ocsps: readonly Uint8Array[];
}

/** What a DSS update adds: document-wide data plus VRI entries (key: uppercase hex SHA-1 of /Contents). */
export interface DssAddition extends VriData {
  vri?: ReadonlyMap<string, VriData>;
}

export interface DssUpdateResult {
  /** The input, unchanged; the output is `input` followed by `update`. */
  input: Uint8Array;
  update: Uint8Array;
  /** How many new streams were written (0 when everything was already in the DSS). */
  added: number;
}

type Kind = 'Certs' | 'CRLs' | 'OCSPs';
const KINDS: readonly Kind[] = ['Certs', 'CRLs', 'OCSPs'];
const VRI_KINDS: Record<Kind, string> = { Certs: 'Cert', CRLs: 'CRL', OCSPs: 'OCSP' };

/** The VRI key of a signature: uppercase hex SHA-1 of its /Contents string bytes (as stored, padding included). */
export function vriKey(contents: Uint8Array): string {
  return createHash('sha1').update(contents).digest('hex').toUpperCase();
}

const digestOf = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Append a DSS update to `doc` (merged with its current DSS). */
export function addDss(doc: PdfDocument, add: DssAddition): DssUpdateResult {
  const upd = new IncrementalUpdate(doc);
  const catalogRef = doc.trailer.get('Root');
  if (!isRef(catalogRef)) throw new PdfMalformedError('malformed PDF: trailer /Root is not a reference');
  const catalog = doc.catalog();
  const oldDss = doc.resolveDict(catalog.get('DSS'));

  // existing streams by content digest, per kind (so the same bytes are never stored twice)
  const known: Record<Kind, Map<string, PdfRef>> = { Certs: new Map(), CRLs: new Map(), OCSPs: new Map() };
  const arrays: Record<Kind, PdfObject[]> = { Certs: [], CRLs: [], OCSPs: [] };
  for (const kind of KINDS) {
    const arr = oldDss ? doc.resolve(oldDss.get(kind)) : undefined;
    if (!isArray(arr)) continue;
    for (const item of arr) {
      arrays[kind].push(item);
      if (!isRef(item)) continue;
      try {
        const s = doc.resolve(item);
        if (s instanceof PdfStream) known[kind].set(digestOf(doc.decode(s)), item);
      } catch {
        // an unreadable old entry is kept as it is, only not used for deduplication
      }
    }
  }
  let added = 0;
  const refFor = (kind: Kind, der: Uint8Array): PdfRef => {
    const d = digestOf(der);
    const hit = known[kind].get(d);
    if (hit) return hit;
    const ref = upd.add(new PdfStream(new PdfDict(), der));
    known[kind].set(d, ref);
    arrays[kind].push(ref);
    added++;
    return ref;
  };
  for (const der of add.certs) refFor('Certs', der);
  for (const der of add.crls) refFor('CRLs', der);
  for (const der of add.ocsps) refFor('OCSPs', der);

  // VRI: old entries kept; same key -> union of references
  let vri = oldDss ? (doc.resolveDict(oldDss.get('VRI')) ?? new PdfDict()) : new PdfDict();
  for (const [key, data] of add.vri ?? []) {
    if (!/^[0-9A-F]{40}$/.test(key)) throw new PdfMalformedError('invalid VRI key');
    const old = doc.resolveDict(vri.get(key));
    let entry = old ?? new PdfDict();
    for (const kind of KINDS) {
      const list = kind === 'Certs' ? data.certs : kind === 'CRLs' ? data.crls : data.ocsps;
      if (list.length === 0) continue;
      const prev = doc.resolve(entry.get(VRI_KINDS[kind]));
      const refs: PdfObject[] = isArray(prev) ? [...prev] : [];
      const have = new Set(refs.filter(isRef).map((r) => r.key));
      for (const der of list) {
        const r = refFor(kind, der);
        if (!have.has(r.key)) {
          refs.push(r);
          have.add(r.key);
        }
      }
      entry = entry.with(VRI_KINDS[kind], refs);
    }
    if (!entry.has('Type')) entry = entry.with('Type', PdfName.of('VRI'));
    vri = vri.with(key, entry);
  }

  let dss = new PdfDict([['Type', PdfName.of('DSS')]]);
  if (oldDss) for (const [k, v] of oldDss.entries()) if (!KINDS.includes(k as Kind) && k !== 'VRI') dss = dss.with(k, v);
  for (const kind of KINDS) if (arrays[kind].length > 0) dss = dss.with(kind, arrays[kind]);
  if ([...vri.keys()].length > 0) dss = dss.with('VRI', vri);

  // the DSS dictionary: rewritten in place when it is an indirect object, else a new object
  const oldRef = catalog.get('DSS');
  if (isRef(oldRef) && oldDss) {
    upd.set(oldRef, dss);
  } else {
    upd.set(catalogRef, catalog.with('DSS', upd.add(dss)));
  }
  const res = upd.write();
  return { input: res.input, update: res.update, added };
}
