/**
 * Changes after signing: every revision after a signed one is compared with the one before it,
 * object by object, and each changed object must be explained by a whitelist rule that gives the
 * level it is allowed at (pyHanko's order: NONE < LTA_UPDATES < FORM_FILLING < ANNOTATIONS < OTHER;
 * a new signature counts as FORM_FILLING). Anything no rule explains is OTHER and never allowed.
 * Levels allowed after a signature: DocMDP P=1 -> LTA updates only; P=2 -> form filling and
 * signing; P=3 or no certification -> annotations too. FieldMDP locks forbid changing locked fields.
 * Imports the parser and the report types only.
 */
import type { ModificationEntry } from '../report/index.js';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, isArray, isRef, type PdfDocument, type PdfObject } from './parser/index.js';
import { listFields, type FieldInfo } from './verify-fields.js';

export type ChangeLevel = 'lta' | 'signing' | 'form' | 'annotation' | 'other';
const LEVEL_ORDER: Record<ChangeLevel, number> = { lta: 1, signing: 2, form: 3, annotation: 4, other: 5 };

export interface SignedRevision {
  revision: number;
  kind: 'signature' | 'document-timestamp';
  sigRef: PdfRef | null;
  certification: { permissions: 1 | 2 | 3 } | null;
  fieldName: string;
}

interface Change {
  revision: number;
  object: string;
  kind: string;
  level: ChangeLevel;
  description: string;
  /** Field name this change touches (for FieldMDP). */
  field?: string;
}

export interface ChangeAnalysis {
  /** Modifications in the revisions after `revision`, each marked allowed or not for a signature covering `revision`. */
  forSignature(revision: number): ModificationEntry[];
  /** Structural problems (e.g. a certification signature that is not the first signature). */
  errorsFor(revision: number): string[];
  /** A DSS was added or changed in a revision after `revision`. */
  dssAfter(revision: number): boolean;
  /** The document has a DSS as of `revision`. */
  dssBefore(revision: number): boolean;
}

const MAX_CHANGED_OBJECTS = 200_000;
/**
 * After an approval (not certifying) signature: new signatures, time-stamps and LTA data only.
 * Form filling and annotations are reported as disallowed: nothing in such a document permits them,
 * and they are how shadow attacks change what a signed page shows.
 */
const UNCERTIFIED_LEVEL: ChangeLevel = 'signing';

/** Deep equality of PDF objects (streams: dictionary and raw bytes), bounded depth. */
export function pdfEqual(a: PdfObject | undefined, b: PdfObject | undefined, depth = 0): boolean {
  if (depth > 64) return false;
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (a instanceof PdfRef) return b instanceof PdfRef && a.num === b.num && a.gen === b.gen;
  if (a instanceof PdfName) return a === b;
  if (a instanceof PdfString) return b instanceof PdfString && Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes)) === 0;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => pdfEqual(x, b[i], depth + 1));
  if (a instanceof PdfStream) return b instanceof PdfStream && pdfEqual(a.dict, b.dict, depth + 1) && Buffer.compare(Buffer.from(a.raw), Buffer.from(b.raw)) === 0;
  if (a instanceof PdfDict) {
    if (!(b instanceof PdfDict) || a.size !== b.size) return false;
    for (const [k, v] of a.entries()) if (!pdfEqual(v, b.get(k), depth + 1)) return false;
    return true;
  }
  return false;
}

function changedKeys(a: PdfDict, b: PdfDict): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => !pdfEqual(a.get(k), b.get(k)));
}

function refsIn(o: PdfObject | undefined): string[] {
  if (!isArray(o)) return [];
  return o.filter(isRef).map((r) => r.key);
}

interface Roles {
  catalog: string | null;
  acroForm: string | null;
  fieldsArray: string | null;
  pages: Map<string, number>;
  annotsArrays: Map<string, number>;
  annots: Set<string>;
  fields: Map<string, FieldInfo>;
  sigDicts: Set<string>;
  dss: Set<string>;
  info: string | null;
  metadata: string | null;
  hasDss: boolean;
  /** Page tree nodes (/Type /Pages). */
  pageNodes: Set<string>;
  /** Appearance streams -> number of annotations using them. */
  apStreams: Map<string, number>;
  /** Indirect appearance dictionaries (/AP values). */
  apDicts: Set<string>;
  /** Objects referenced from the trailer or from page resources (used beyond one annotation). */
  elsewhere: Set<string>;
  /** Page content streams (and indirect /Contents arrays) -> index of the first page drawing them. */
  contentStreams: Map<string, number>;
}

/** Private application data keys: cannot change what is displayed. */
const PRIVATE_KEYS = new Set(['PieceInfo', 'LastModified', 'ITXT']);
const RESOURCE_CATEGORIES = ['Font', 'XObject', 'ExtGState', 'ColorSpace', 'Pattern', 'Shading', 'Properties'];

function roles(doc: PdfDocument, rev: number): Roles {
  const r: Roles = {
    catalog: null,
    acroForm: null,
    fieldsArray: null,
    pages: new Map(),
    annotsArrays: new Map(),
    annots: new Set(),
    fields: new Map(),
    sigDicts: new Set(),
    dss: new Set(),
    info: null,
    metadata: null,
    hasDss: false,
    pageNodes: new Set(),
    apStreams: new Map(),
    apDicts: new Set(),
    elsewhere: new Set(),
    contentStreams: new Map(),
  };
  for (const [key, v] of doc.revisions[rev]!.trailer.entries()) {
    if (key !== 'Root' && key !== 'Info' && key !== 'Prev' && isRef(v)) r.elsewhere.add(v.key);
  }
  const trailer = doc.revisions[rev]!.trailer;
  const root = trailer.get('Root');
  if (isRef(root)) r.catalog = root.key;
  const info = trailer.get('Info');
  if (isRef(info)) r.info = info.key;
  const cat = doc.catalog(rev);
  const af = cat.get('AcroForm');
  if (isRef(af)) r.acroForm = af.key;
  const md = cat.get('Metadata');
  if (isRef(md)) r.metadata = md.key;
  const afd = doc.resolveDict(af, rev);
  const fa = afd?.get('Fields');
  if (isRef(fa)) r.fieldsArray = fa.key;
  doc.pages(rev).forEach((p, i) => {
    r.pages.set(p.ref.key, i);
    let parent = p.dict.get('Parent');
    for (let n = 0; n < 64 && isRef(parent) && !r.pageNodes.has(parent.key); n++) {
      r.pageNodes.add(parent.key);
      parent = doc.resolveDict(parent, rev)?.get('Parent');
    }
    const annots = p.dict.get('Annots');
    if (isRef(annots)) r.annotsArrays.set(annots.key, i);
    const annotsArr = doc.resolve(annots, rev);
    for (const k of refsIn(annotsArr)) r.annots.add(k);
    // appearance streams of the annotations
    for (const a of isArray(annotsArr) ? annotsArr.slice(0, 10_000) : []) {
      const ad = doc.resolveDict(a, rev);
      const ap = ad?.get('AP');
      if (isRef(ap)) r.apDicts.add(ap.key);
      const apd = doc.resolveDict(ap, rev);
      for (const [, state] of apd ? apd.entries() : []) {
        const targets: PdfObject[] = [];
        if (isRef(state)) {
          const sd = doc.resolve(state, rev);
          if (sd instanceof PdfDict) {
            r.apDicts.add(state.key);
            targets.push(...sd.map.values());
          } else targets.push(state);
        } else if (state instanceof PdfDict) targets.push(...state.map.values());
        for (const t of targets) if (isRef(t)) r.apStreams.set(t.key, (r.apStreams.get(t.key) ?? 0) + 1);
      }
    }
    // the page's content streams, so that a change to one can name the page it shows on
    const contents = p.dict.get('Contents');
    if (isRef(contents) && !r.contentStreams.has(contents.key)) r.contentStreams.set(contents.key, i);
    for (const k of refsIn(doc.resolve(contents, rev))) if (!r.contentStreams.has(k)) r.contentStreams.set(k, i);
    // objects page content can use: they must not be changed under the guise of an appearance update
    const res = p.dict.get('Resources');
    if (isRef(res)) r.elsewhere.add(res.key);
    const resd = doc.resolveDict(res, rev);
    for (const cat of RESOURCE_CATEGORIES) {
      const c = resd?.get(cat);
      if (isRef(c)) r.elsewhere.add(c.key);
      const cd = doc.resolveDict(c, rev);
      if (cd) for (const [, v] of cd.entries()) if (isRef(v)) r.elsewhere.add(v.key);
    }
  });
  for (const f of listFields(doc, rev)) {
    if (f.ref) r.fields.set(f.ref.key, f);
    if (f.ft === 'Sig' && isRef(f.v)) r.sigDicts.add(f.v.key);
  }
  const dssObj = cat.get('DSS');
  if (dssObj !== undefined && dssObj !== null) {
    r.hasDss = true;
    if (isRef(dssObj)) r.dss.add(dssObj.key);
    const dss = doc.resolveDict(dssObj, rev);
    if (dss) {
      for (const key of ['Certs', 'CRLs', 'OCSPs', 'VRI']) {
        const v = dss.get(key);
        if (isRef(v)) r.dss.add(v.key);
      }
      const vri = doc.resolveDict(dss.get('VRI'), rev);
      if (vri) {
        let n = 0;
        for (const [, v] of vri.entries()) {
          if (++n > 10_000) break;
          if (isRef(v)) r.dss.add(v.key);
        }
      }
    }
  }
  return r;
}

function isSigField(doc: PdfDocument, ref: PdfRef, rev: number): boolean {
  const d = doc.resolveDict(ref, rev);
  if (!d) return false;
  const ft = doc.resolve(d.get('FT'), rev);
  if (ft instanceof PdfName) return ft.name === 'Sig';
  const parent = d.get('Parent');
  if (isRef(parent)) {
    const pd = doc.resolveDict(parent, rev);
    const pft = pd ? doc.resolve(pd.get('FT'), rev) : undefined;
    return pft instanceof PdfName && pft.name === 'Sig';
  }
  return false;
}

const sigWidgetCache = new WeakMap<PdfDocument, Map<number, Set<string>>>();
/** Widgets of signature fields as of `rev` (merged field/widget dictionaries and /Kids entries). */
function sigWidgets(doc: PdfDocument, rev: number): Set<string> {
  let m = sigWidgetCache.get(doc);
  if (!m) sigWidgetCache.set(doc, (m = new Map()));
  let set = m.get(rev);
  if (set) return set;
  set = new Set();
  for (const f of listFields(doc, rev)) {
    if (f.ft !== 'Sig') continue;
    if (f.ref) set.add(f.ref.key);
    for (const kid of refsIn(doc.resolve(f.dict.get('Kids'), rev))) set.add(kid);
  }
  m.set(rev, set);
  return set;
}

/** Classify the annotations added to an /Annots array. */
function annotsChange(doc: PdfDocument, oldArr: PdfObject | undefined, newArr: PdfObject | undefined, rev: number, page: number, object: string, out: Change[]): void {
  const oldRefs = refsIn(doc.resolve(oldArr, rev - 1));
  const newRefs = refsIn(doc.resolve(newArr, rev));
  const oldSet = new Set(oldRefs);
  const newSet = new Set(newRefs);
  const removed = oldRefs.filter((k) => !newSet.has(k));
  if (removed.length > 0) out.push({ revision: rev, object, kind: 'annotation-removed', level: 'other', description: `annotation(s) ${removed.join(', ')} removed from page ${page + 1}` });
  const resolvedNew = doc.resolve(newArr, rev);
  const directNew = isArray(resolvedNew) ? resolvedNew.filter((x) => !isRef(x)).length : 0;
  if (directNew > 0) out.push({ revision: rev, object, kind: 'annotation', level: 'other', description: `direct annotation dictionaries on page ${page + 1}` });
  for (const k of newRefs) {
    if (oldSet.has(k)) continue;
    const [num, gen] = k.split(' ').map(Number);
    const ref = new PdfRef(num!, gen!);
    const d = doc.resolveDict(ref, rev);
    const sub = d ? doc.resolve(d.get('Subtype'), rev) : undefined;
    if (sub instanceof PdfName && sub.name === 'Widget' && (isSigField(doc, ref, rev) || sigWidgets(doc, rev).has(k))) {
      out.push({ revision: rev, object: `${k} R`, kind: 'signature-widget', level: 'signing', description: `signature widget added on page ${page + 1}` });
    } else {
      out.push({ revision: rev, object: `${k} R`, kind: 'annotation', level: 'annotation', description: `annotation ${sub instanceof PdfName ? sub.name : '?'} added on page ${page + 1}` });
    }
  }
}

function fieldsChange(doc: PdfDocument, oldArr: PdfObject | undefined, newArr: PdfObject | undefined, rev: number, object: string, out: Change[]): void {
  const oldRefs = refsIn(doc.resolve(oldArr, rev - 1));
  const newRefs = new Set(refsIn(doc.resolve(newArr, rev)));
  const removed = oldRefs.filter((k) => !newRefs.has(k));
  if (removed.length > 0) out.push({ revision: rev, object, kind: 'field-removed', level: 'other', description: `form field(s) ${removed.join(', ')} removed` });
  const oldSet = new Set(oldRefs);
  for (const k of newRefs) {
    if (oldSet.has(k)) continue;
    const [num, gen] = k.split(' ').map(Number);
    const sig = isSigField(doc, new PdfRef(num!, gen!), rev);
    out.push({ revision: rev, object: `${k} R`, kind: sig ? 'signature-field' : 'form-field', level: sig ? 'signing' : 'annotation', description: sig ? 'signature field added' : 'form field added' });
  }
}

const TRAILER_KEYS = new Set(['Size', 'Prev', 'Root', 'Info', 'ID', 'XRefStm', 'Type', 'W', 'Index', 'Filter', 'DecodeParms', 'Length', 'Encrypt']);

function classifyRevision(doc: PdfDocument, k: number, locks: Map<string, number>): Change[] {
  const out: Change[] = [];
  const before = roles(doc, k - 1);
  const revn = doc.revisions[k]!;
  // trailer
  const ot = doc.revisions[k - 1]!.trailer;
  const nt = revn.trailer;
  if (!pdfEqual(ot.get('Root'), nt.get('Root'))) out.push({ revision: k, object: 'trailer', kind: 'catalog', level: 'other', description: 'the trailer points to another document catalog' });
  if (!pdfEqual(ot.get('Encrypt'), nt.get('Encrypt'))) out.push({ revision: k, object: 'trailer', kind: 'encryption', level: 'other', description: 'encryption changed' });
  for (const key of nt.keys()) {
    // other trailer entries cannot change what is displayed (writers add e.g. /AdditionalStreams): reported, allowed
    if (!TRAILER_KEYS.has(key) && !pdfEqual(ot.get(key), nt.get(key))) out.push({ revision: k, object: 'trailer', kind: 'trailer', level: 'lta', description: `trailer entry /${key} added or changed` });
  }
  let count = 0;
  for (const [num, e] of revn.entries) {
    if (++count > MAX_CHANGED_OBJECTS) {
      out.push({ revision: k, object: 'xref', kind: 'other', level: 'other', description: 'too many changed objects' });
      break;
    }
    const prev = doc.lookup(num, k - 1);
    if (e.type === 0) {
      if (prev && prev.type !== 0 && num !== 0) out.push({ revision: k, object: `${num} ${prev.gen} R`, kind: 'freed', level: 'other', description: `object ${num} deleted` });
      continue;
    }
    if (!prev || prev.type === 0) continue; // new object: only matters if a changed object refers to it
    const gen = e.type === 1 ? e.gen : 0;
    const prevGen = prev.type === 1 ? prev.gen : 0;
    const ref = new PdfRef(num, gen);
    const key = ref.key;
    const object = `${key} R`;
    if (gen !== prevGen) {
      out.push({ revision: k, object, kind: 'replaced', level: 'other', description: `object ${num} replaced with a new generation` });
      continue;
    }
    const oldV = doc.getObject(ref, k - 1)?.value;
    const newV = doc.getObject(ref, k)?.value;
    if (newV instanceof PdfStream) {
      const t = newV.dict.get('Type');
      if (t instanceof PdfName && (t.name === 'XRef' || t.name === 'ObjStm') && oldV instanceof PdfStream && oldV.dict.get('Type') === t) continue;
    }
    if (pdfEqual(oldV, newV)) continue;
    out.push(...classifyObject(doc, k, key, object, oldV, newV, before, locks));
  }
  return out;
}

function classifyObject(doc: PdfDocument, k: number, key: string, object: string, oldV: PdfObject | undefined, newV: PdfObject | undefined, before: Roles, locks: Map<string, number>): Change[] {
  const out: Change[] = [];
  const c = (kind: string, level: ChangeLevel, description: string, field?: string): void => {
    out.push({ revision: k, object, kind, level, description, ...(field !== undefined ? { field } : {}) });
  };
  const od = oldV instanceof PdfDict ? oldV : oldV instanceof PdfStream ? oldV.dict : null;
  const nd = newV instanceof PdfDict ? newV : newV instanceof PdfStream ? newV.dict : null;
  if (before.sigDicts.has(key)) return (c('signature', 'other', 'an existing signature dictionary was changed'), out);
  if (od && nd) {
    const oldAp = od.get('AP');
    if (isRef(oldAp) && !pdfEqual(oldAp, nd.get('AP')) && before.elsewhere.has(oldAp.key)) {
      c('appearance', 'other', `an appearance dictionary that is also used elsewhere (${oldAp.key} R) was replaced`);
    }
  }
  if (before.dss.has(key)) return (c('dss', 'lta', 'DSS updated'), out);
  if (key === before.info) return (c('metadata', 'lta', 'document information updated'), out);
  if (key === before.metadata) return (c('metadata', 'lta', 'XMP metadata updated'), out);
  if (key === before.catalog) {
    if (!(od instanceof PdfDict) || !(nd instanceof PdfDict) || oldV instanceof PdfStream || newV instanceof PdfStream) return (c('catalog', 'other', 'catalog replaced'), out);
    for (const ck of changedKeys(od, nd)) {
      if (ck === 'DSS' || ck === 'Extensions' || ck === 'Version') c('dss', 'lta', `catalog /${ck} updated`);
      else if (PRIVATE_KEYS.has(ck)) c('private-data', 'lta', `catalog /${ck} (application data) updated`);
      else if (ck === 'Metadata') c('metadata', 'lta', 'catalog /Metadata updated');
      else if (ck === 'AcroForm') {
        const oa = od.get('AcroForm');
        const na = nd.get('AcroForm');
        if (oa === undefined) c('signature-field', 'signing', 'form added for a signature');
        else if (oa instanceof PdfDict && na instanceof PdfDict) acroFormChange(doc, k, object, oa, na, out);
        else c('catalog', 'other', 'catalog /AcroForm replaced');
      } else c('catalog', 'other', `catalog /${ck} changed`);
    }
    return out;
  }
  if (key === before.acroForm) {
    if (!(od instanceof PdfDict) || !(nd instanceof PdfDict)) return (c('form', 'other', 'AcroForm replaced'), out);
    acroFormChange(doc, k, object, od, nd, out);
    return out;
  }
  if (key === before.fieldsArray) {
    fieldsChange(doc, oldV, newV, k, object, out);
    return out;
  }
  if (before.annotsArrays.has(key)) {
    annotsChange(doc, oldV, newV, k, before.annotsArrays.get(key)!, object, out);
    return out;
  }
  if (before.pages.has(key)) {
    const page = before.pages.get(key)!;
    if (!(od instanceof PdfDict) || !(nd instanceof PdfDict)) return (c('page', 'other', `page ${page + 1} replaced`), out);
    for (const ck of changedKeys(od, nd)) {
      if (ck === 'Annots') annotsChange(doc, od.get('Annots'), nd.get('Annots'), k, page, object, out);
      else if (PRIVATE_KEYS.has(ck)) c('private-data', 'lta', `page ${page + 1} /${ck} (application data) updated`);
      else if (ck === 'Resources' && resourcesSuperset(doc, k, od.get('Resources'), nd.get('Resources'))) c('page-resources', 'signing', `page ${page + 1} resources extended (nothing existing changed)`);
      else c(ck === 'Contents' || ck === 'Resources' ? 'page-content' : 'page', 'other', `page ${page + 1} /${ck} changed`);
    }
    return out;
  }
  const field = before.fields.get(key);
  if (field) {
    if (!(od instanceof PdfDict) || !(nd instanceof PdfDict)) return (c('form', 'other', `field ${field.name} replaced`), out);
    const keys = changedKeys(od, nd);
    if (field.ft === 'Sig') {
      const hadValue = od.get('V') !== undefined && od.get('V') !== null;
      for (const ck of keys) {
        if (ck === 'V') c('signature', hadValue ? 'other' : 'signing', hadValue ? `signature field ${field.name}: existing signature replaced` : `signature field ${field.name} signed`, field.name);
        else if (!hadValue && ['AP', 'AS', 'F', 'MK', 'DA', 'Lock', 'SV', 'P', 'Rect'].includes(ck)) c('signature', 'signing', `signature field ${field.name} /${ck} set when signing`, field.name);
        else if (hadValue && ck === 'AP') c('signature-appearance', 'annotation', `signature field ${field.name} appearance updated`, field.name);
        else c('form', 'other', `signature field ${field.name} /${ck} changed`, field.name);
      }
    } else {
      for (const ck of keys) {
        if (['V', 'AS', 'AP', 'MK', 'DV'].includes(ck)) {
          const locked = locks.has(field.name) || [...locks.keys()].some((n) => field.name.startsWith(`${n}.`));
          c('form-fill', locked ? 'other' : 'form', `field ${field.name} /${ck} ${locked ? 'changed although locked (FieldMDP)' : 'filled in'}`, field.name);
        } else c('form', 'other', `field ${field.name} /${ck} changed`, field.name);
      }
    }
    return out;
  }
  if (before.annots.has(key)) {
    if (!(od instanceof PdfDict) || !(nd instanceof PdfDict)) return (c('annotation', 'other', 'annotation replaced'), out);
    const sub = od.get('Subtype');
    const keys = changedKeys(od, nd);
    if (sub instanceof PdfName && sub.name === 'Widget') {
      for (const ck of keys) c('form-fill', ['AP', 'AS', 'MK'].includes(ck) ? 'form' : 'other', `widget /${ck} changed`);
    } else if (keys.every((x) => x !== 'Subtype')) c('annotation', 'annotation', `annotation ${sub instanceof PdfName ? sub.name : ''} changed`);
    else c('annotation', 'other', 'annotation type changed');
    return out;
  }
  if (before.pageNodes.has(key) && od && nd && changedKeys(od, nd).every((x) => PRIVATE_KEYS.has(x))) return (c('private-data', 'lta', 'page tree node application data updated'), out);
  if (newV instanceof PdfStream && oldV instanceof PdfStream && before.apStreams.get(key) === 1 && !before.elsewhere.has(key)) {
    return (c('appearance', 'form', 'an appearance stream used by one annotation was updated'), out);
  }
  if (before.apDicts.has(key) && !before.elsewhere.has(key) && od && nd && !(newV instanceof PdfStream)) return (c('appearance', 'form', 'an appearance dictionary was updated'), out);
  const contentPage = before.contentStreams.get(key);
  if (contentPage !== undefined) return (c('page-content', 'other', `content of page ${contentPage + 1} changed`), out);
  c('other', 'other', newV instanceof PdfStream ? 'an existing stream (content, image, font or appearance) was changed' : 'an existing object was changed');
  return out;
}

/** New resources keep every old resource name with the same value (only additions). */
function resourcesSuperset(doc: PdfDocument, k: number, oldRes: PdfObject | undefined, newRes: PdfObject | undefined): boolean {
  const o = doc.resolveDict(oldRes, k - 1);
  const n = doc.resolveDict(newRes, k);
  if (!o || !n) return false;
  for (const [cat, ov] of o.entries()) {
    const nv = n.get(cat);
    if (pdfEqual(ov, nv)) continue;
    const od = doc.resolveDict(ov, k - 1);
    const nd = doc.resolveDict(nv, k);
    if (!od || !nd) return false;
    for (const [name, v] of od.entries()) if (!pdfEqual(v, nd.get(name))) return false;
  }
  return true;
}

function acroFormChange(doc: PdfDocument, k: number, object: string, od: PdfDict, nd: PdfDict, out: Change[]): void {
  for (const ck of changedKeys(od, nd)) {
    if (ck === 'Fields') fieldsChange(doc, od.get('Fields'), nd.get('Fields'), k, object, out);
    else if (ck === 'SigFlags' || ck === 'DR' || ck === 'DA') out.push({ revision: k, object, kind: 'signature-field', level: 'signing', description: `AcroForm /${ck} set` });
    else if (ck === 'NeedAppearances') out.push({ revision: k, object, kind: 'form', level: 'form', description: `AcroForm /${ck} changed` });
    else out.push({ revision: k, object, kind: 'form', level: 'other', description: `AcroForm /${ck} changed` });
  }
}

/** FieldMDP locks from signatures: field name -> revision of the locking signature. */
function readLocks(doc: PdfDocument, signed: readonly SignedRevision[]): Map<number, Set<string> | 'all'> {
  const out = new Map<number, Set<string> | 'all'>();
  for (const s of signed) {
    if (!s.sigRef) continue;
    const sig = doc.resolveDict(s.sigRef);
    const refs = sig ? doc.resolve(sig.get('Reference')) : undefined;
    if (!isArray(refs)) continue;
    for (const r of refs) {
      const rd = doc.resolveDict(r);
      const tm = rd ? doc.resolve(rd.get('TransformMethod')) : undefined;
      if (!(tm instanceof PdfName) || tm.name !== 'FieldMDP') continue;
      const params = doc.resolveDict(rd!.get('TransformParams'));
      const action = params ? doc.resolve(params.get('Action')) : undefined;
      const fields = params ? doc.resolve(params.get('Fields')) : undefined;
      const names = new Set<string>(isArray(fields) ? fields.map((f) => doc.resolve(f)).filter((f): f is PdfString => f instanceof PdfString).map((f) => f.text()) : []);
      if (action instanceof PdfName && action.name === 'All') out.set(s.revision, 'all');
      else if (action instanceof PdfName && action.name === 'Include') out.set(s.revision, names);
      else if (action instanceof PdfName && action.name === 'Exclude') {
        const all = new Set(listFields(doc, s.revision).map((f) => f.name).filter((n) => n && !names.has(n)));
        out.set(s.revision, all);
      }
    }
  }
  return out;
}

/** Analyse every revision after the first signed one. Throws SealError for unreadable structures. */
export function analyseChanges(doc: PdfDocument, signed: readonly SignedRevision[]): ChangeAnalysis {
  const last = doc.revisions.length - 1;
  const first = signed.length ? Math.min(...signed.map((s) => s.revision)) : last;
  const lockByRev = readLocks(doc, signed);
  const perRev = new Map<number, Change[]>();
  const dssRevs = new Set<number>();
  for (let k = first + 1; k <= last; k++) {
    // locks in force at revision k: from signatures at revisions < k
    const locks = new Map<string, number>();
    for (const [rev, names] of lockByRev) {
      if (rev >= k) continue;
      const list = names === 'all' ? listFields(doc, rev).map((f) => f.name).filter(Boolean) : [...names];
      for (const n of list) locks.set(n, rev);
    }
    const changes = classifyRevision(doc, k, locks);
    perRev.set(k, changes);
    if (changes.some((c) => c.kind === 'dss')) dssRevs.add(k);
  }
  // a new DSS in a revision (catalog gains /DSS) is seen as a catalog change of kind dss
  const sorted = [...signed].sort((a, b) => a.revision - b.revision);
  const certs = sorted.filter((s) => s.kind === 'signature' && s.certification);
  const firstSig = sorted.find((s) => s.kind === 'signature');
  const errorsByRev = new Map<number, string[]>();
  for (const cs of certs) {
    const errs: string[] = [];
    if (cs !== certs[0]) errs.push('a second certification signature is not allowed');
    if (firstSig && cs.revision !== firstSig.revision) errs.push('a certification signature must be the first signature in the document');
    if (errs.length) errorsByRev.set(cs.revision, errs);
  }
  const signedAt = new Map<number, SignedRevision[]>();
  for (const s of sorted) signedAt.set(s.revision, [...(signedAt.get(s.revision) ?? []), s]);

  return {
    forSignature(revision: number): ModificationEntry[] {
      // the strictest certification in force for this signature: one at or before its revision
      const cert = certs.find((c) => c.revision <= revision) ?? certs.find((c) => c.revision > revision);
      const certInForce = certs.find((c) => c.revision <= revision);
      const maxLevel: ChangeLevel = certInForce ? (certInForce.certification!.permissions === 1 ? 'lta' : certInForce.certification!.permissions === 2 ? 'form' : 'annotation') : UNCERTIFIED_LEVEL;
      void cert;
      const out: ModificationEntry[] = [];
      for (let k = revision + 1; k <= last; k++) {
        const newSigs = signedAt.get(k) ?? [];
        for (const ch of perRev.get(k) ?? []) {
          let allowed = LEVEL_ORDER[ch.level] <= LEVEL_ORDER[maxLevel];
          // under P=1 a document time-stamp may be added (its field and widget count as LTA updates)
          if (!allowed && maxLevel === 'lta' && ch.level === 'signing' && newSigs.length > 0 && newSigs.every((s) => s.kind === 'document-timestamp')) allowed = true;
          out.push({ revision: ch.revision, object: ch.object, kind: ch.kind, allowed, description: ch.description });
        }
      }
      return out;
    },
    errorsFor(revision: number): string[] {
      return errorsByRev.get(revision) ?? [];
    },
    dssAfter(revision: number): boolean {
      for (const k of dssRevs) if (k > revision) return true;
      return false;
    },
    dssBefore(revision: number): boolean {
      if (revision < 0) return false;
      try {
        const cat = doc.catalog(revision);
        return cat.get('DSS') !== undefined;
      } catch {
        return false;
      }
    },
  };
}
