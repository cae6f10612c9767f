/**
 * Stage 1 of embedding a signature (pyHanko's cms_embedder, in spirit): pick or create the
 * signature field, add the signature dictionary with a /Contents placeholder and a /ByteRange to
 * patch, the widget, the AcroForm (/SigFlags 3) and, for certification, /Perms /DocMDP; write
 * the incremental update. Stage 2 (`embed`) fills /Contents in place. Nothing may change between
 * the digest (`signedRanges`) and `embed`. No CMS, no keys here.
 */
import { InputInvalidError, PdfMalformedError } from '../../errors/index.js';
import type { PdfDocument } from '../parser/document.js';
import { indexOfAscii } from '../parser/lexer.js';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, isArray, isDict, isInt, isRef, type PdfArray, type PdfObject } from '../parser/objects.js';
import { IncrementalUpdate, concatOutput } from './incremental.js';
import { textString } from './serialize.js';

export type SubFilter = 'ETSI.CAdES.detached' | 'adbe.pkcs7.detached';

/**
 * Builds a widget's normal appearance: returns the form XObject's reference. `rotate` is the
 * page's /Rotate (0, 90, 180, 270): the form should counter-rotate so the seal shows upright.
 */
export type AppearanceBuilder = (update: IncrementalUpdate, width: number, height: number, rotate: number) => PdfRef;

export interface SignatureSetup {
  /** Bytes reserved for the CMS in /Contents (the hex string is twice as long). */
  contentsSize: number;
  subFilter?: SubFilter;
  /** Signing time written as /M (default now). */
  signingTime?: Date;
  reason?: string;
  location?: string;
  contactInfo?: string;
  /** Signer name (/Name). */
  name?: string;
  /** Sign into this existing empty signature field, or give the new field this name. */
  fieldName?: string;
  /** 1-based page for a new field's widget (default 1). */
  page?: number;
  /** Widget rectangle [x, y, width, height] in default user space; invisible when absent. */
  rect?: readonly [number, number, number, number];
  /** Appearance for a visible widget. */
  appearance?: AppearanceBuilder;
  /** Certification (DocMDP) with this permission level; only for the first signature. */
  certify?: 1 | 2 | 3;
  /** A document time-stamp (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161, no /M) instead of a signature. */
  documentTimestamp?: boolean;
}

export interface PreparedSignature {
  /** The input (unchanged, not copied); the output is `input` followed by `update`. */
  input: Uint8Array;
  /** The appended update, /Contents still empty until `embed`. */
  update: Uint8Array;
  byteRange: [number, number, number, number];
  /** Capacity of /Contents in bytes. */
  contentsSize: number;
  /** The signed bytes, in order, as views (the input itself, then the update around /Contents): hash these. */
  signedParts(): Uint8Array[];
  /** Write the DER CMS into /Contents (in place, in `update`). */
  embed(cms: Uint8Array): void;
  /** The finished file as one buffer (one copy of the input). */
  bytes(): Uint8Array;
  /** Object number of the signature dictionary and the field. */
  signatureRef: PdfRef;
  fieldRef: PdfRef;
  fieldName: string;
}

const BR_WIDTH = 10;

/** PDF date string D:YYYYMMDDHHmmSS+00'00' (UTC). */
export function pdfDate(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `D:${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+00'00'`;
}

interface FieldInfo {
  ref: PdfRef;
  dict: PdfDict;
  name: string;
}

/** Walk the AcroForm's field tree, giving terminal fields with their fully qualified names. */
export function listFields(doc: PdfDocument, acroForm: PdfDict | undefined): FieldInfo[] {
  const out: FieldInfo[] = [];
  if (!acroForm) return out;
  const seen = new Set<string>();
  const walk = (arr: PdfObject | undefined, prefix: string, depth: number, inheritedFt?: string): void => {
    const a = doc.resolve(arr);
    if (!isArray(a) || depth > 32) return;
    for (const item of a) {
      if (!isRef(item) || seen.has(item.key)) continue;
      seen.add(item.key);
      const d = doc.resolveDict(item);
      if (!d) continue;
      const t = doc.resolve(d.get('T'));
      const partial = t instanceof PdfString ? t.text() : undefined;
      const name = partial === undefined ? prefix : prefix ? `${prefix}.${partial}` : partial;
      const ft = d.getName('FT') ?? inheritedFt;
      const kids = doc.resolve(d.get('Kids'));
      const kidsAreFields = isArray(kids) && kids.some((k) => isRef(k) && doc.resolveDict(k)?.has('T'));
      if (kidsAreFields) walk(kids, name, depth + 1, ft);
      else if (partial !== undefined) out.push({ ref: item, dict: ft && !d.has('FT') ? d.with('FT', PdfName.of(ft)) : d, name });
    }
  };
  walk(acroForm.get('Fields'), '', 0);
  return out;
}

/** Stage 1: build the update with placeholders. */
export function prepareSignature(doc: PdfDocument, setup: SignatureSetup): PreparedSignature {
  if (!Number.isInteger(setup.contentsSize) || setup.contentsSize < 64 || setup.contentsSize > 4 * 1024 * 1024) {
    throw new InputInvalidError('invalid signature placeholder size');
  }
  const upd = new IncrementalUpdate(doc);
  const catalogRef = doc.trailer.get('Root');
  if (!isRef(catalogRef)) throw new PdfMalformedError('malformed PDF: trailer /Root is not a reference');
  let catalog = doc.catalog();
  let catalogChanged = false;

  // AcroForm (direct in the catalog, or indirect).
  const afEntry = catalog.get('AcroForm');
  const afRef = isRef(afEntry) ? afEntry : undefined;
  let acroForm = doc.resolveDict(afEntry);
  const fields = listFields(doc, acroForm);

  // Existing certification and signatures.
  const perms = doc.resolveDict(catalog.get('Perms'));
  const docMdp = perms ? doc.resolveDict(perms.get('DocMDP')) : undefined;
  if (docMdp) {
    const p = mdpPermission(doc, docMdp);
    if (p === 1) throw new InputInvalidError('the document is certified with no changes permitted (DocMDP P=1); it cannot be sealed again');
  }
  const signed = fields.filter((f) => f.dict.getName('FT') === 'Sig' && f.dict.get('V') !== undefined && f.dict.get('V') !== null);
  if (setup.certify !== undefined) {
    if (![1, 2, 3].includes(setup.certify)) throw new InputInvalidError('certification level must be 1, 2 or 3');
    if (signed.length > 0 || docMdp) throw new InputInvalidError('certification (DocMDP) is only allowed as the first signature');
  }

  const signingTime = setup.signingTime ?? new Date();
  const subFilter = setup.subFilter ?? 'ETSI.CAdES.detached';
  const docTs = setup.documentTimestamp === true;
  if (docTs && setup.certify !== undefined) throw new InputInvalidError('a document time-stamp cannot certify');
  const sigDict = new PdfDict([
    ['Type', PdfName.of(docTs ? 'DocTimeStamp' : 'Sig')],
    ['Filter', PdfName.of('Adobe.PPKLite')],
    ['SubFilter', PdfName.of(docTs ? 'ETSI.RFC3161' : subFilter)],
    ['ByteRange', [0, 10 ** (BR_WIDTH - 1), 10 ** (BR_WIDTH - 1), 10 ** (BR_WIDTH - 1)]],
    ['Contents', new PdfString(new Uint8Array(setup.contentsSize), true)],
    ...(docTs ? [] : ([['M', new PdfString(Buffer.from(pdfDate(signingTime), 'latin1'))]] as [string, PdfObject][])),
  ]);
  let sig = sigDict;
  if (setup.name) sig = sig.with('Name', textString(setup.name));
  if (setup.reason) sig = sig.with('Reason', textString(setup.reason));
  if (setup.location) sig = sig.with('Location', textString(setup.location));
  if (setup.contactInfo) sig = sig.with('ContactInfo', textString(setup.contactInfo));
  if (setup.certify !== undefined) {
    sig = sig.with('Reference', [
      new PdfDict([
        ['Type', PdfName.of('SigRef')],
        ['TransformMethod', PdfName.of('DocMDP')],
        [
          'TransformParams',
          new PdfDict([
            ['Type', PdfName.of('TransformParams')],
            ['P', setup.certify],
            ['V', PdfName.of('1.2')],
          ]),
        ],
      ]),
    ]);
  }
  const sigRef = upd.add(sig);

  let fieldRef: PdfRef;
  let fieldName: string;
  const existing = setup.fieldName !== undefined ? fields.find((f) => f.name === setup.fieldName) : undefined;
  if (existing) {
    if (existing.dict.getName('FT') !== 'Sig') throw new InputInvalidError(`field ${setup.fieldName} is not a signature field`);
    if (existing.dict.get('V') !== undefined && existing.dict.get('V') !== null) throw new InputInvalidError(`field ${setup.fieldName} is already signed`);
    fieldRef = existing.ref;
    fieldName = existing.name;
    let field = doc.resolveDict(existing.ref)!.with('V', sigRef);
    // The widget: the field itself (merged) or its first kid.
    if (setup.appearance) {
      if (field.getName('Subtype') === 'Widget') {
        field = withAppearance(doc, upd, field, setup);
      } else {
        const kids = doc.resolve(field.get('Kids'));
        const kid = isArray(kids) ? kids.find(isRef) : undefined;
        const kidDict = kid ? doc.resolveDict(kid) : undefined;
        if (kid && kidDict) upd.set(kid, withAppearance(doc, upd, kidDict, setup));
      }
    }
    upd.set(existing.ref, field);
  } else {
    const pageNo = setup.page ?? 1;
    const page = Number.isInteger(pageNo) && pageNo >= 1 ? doc.pageAt(pageNo - 1) : undefined;
    if (!page) throw new InputInvalidError(`page ${pageNo} does not exist (the document has ${doc.pageCount()})`);
    fieldName = setup.fieldName ?? uniqueName(fields.map((f) => f.name));
    const rect = setup.rect ?? [0, 0, 0, 0];
    if (rect.some((v) => !Number.isFinite(v)) || rect[2] < 0 || rect[3] < 0) throw new InputInvalidError('invalid signature rectangle');
    fieldRef = upd.allocate();
    let widget = new PdfDict([
      ['Type', PdfName.of('Annot')],
      ['Subtype', PdfName.of('Widget')],
      ['FT', PdfName.of('Sig')],
      ['T', textString(fieldName)],
      ['V', sigRef],
      ['F', 132],
      ['P', page.ref],
      ['Rect', [rect[0], rect[1], rect[0] + rect[2], rect[1] + rect[3]]],
    ]);
    const w = rect[2];
    const h = rect[3];
    const ap = setup.appearance && w > 0 && h > 0 ? setup.appearance(upd, w, h, pageRotation(doc, page.dict)) : emptyAppearance(upd);
    widget = widget.with('AP', new PdfDict([['N', ap]]));
    upd.set(fieldRef, widget);
    // Page /Annots: an indirect array is rewritten in place, else the page gets a new array.
    const annots = page.dict.get('Annots');
    if (isRef(annots)) {
      const arr = doc.resolve(annots);
      upd.set(annots, [...(isArray(arr) ? arr : []), fieldRef]);
    } else {
      upd.set(page.ref, page.dict.with('Annots', [...(isArray(annots) ? annots : []), fieldRef]));
    }
    // AcroForm /Fields.
    const fieldsEntry = acroForm?.get('Fields');
    if (isRef(fieldsEntry)) {
      const arr = doc.resolve(fieldsEntry);
      upd.set(fieldsEntry, [...(isArray(arr) ? arr : []), fieldRef]);
    } else {
      const arr = doc.resolve(fieldsEntry);
      acroForm = (acroForm ?? new PdfDict()).with('Fields', [...(isArray(arr) ? (arr as PdfArray) : []), fieldRef]);
    }
  }
  acroForm = (acroForm ?? new PdfDict([['Fields', [fieldRef]]])).with('SigFlags', 3);
  if (afRef) upd.set(afRef, acroForm);
  else {
    catalog = catalog.with('AcroForm', acroForm);
    catalogChanged = true;
  }
  if (setup.certify !== undefined) {
    catalog = catalog.with('Perms', new PdfDict([['DocMDP', sigRef]]));
    catalogChanged = true;
  }
  if (catalogChanged) upd.set(catalogRef, catalog);

  const result = upd.write();
  const { input, update } = result;
  const base = result.inputLength;
  const total = base + update.length;
  const sigAt = result.offsets.get(sigRef.num)! - base;
  const brAt = indexOfAscii(update, '/ByteRange [', sigAt);
  const contentsAt = indexOfAscii(update, '/Contents <', sigAt);
  if (brAt < 0 || contentsAt < 0) throw new Error('signature placeholders not found');
  const start = contentsAt + '/Contents '.length; // in `update`
  const end = start + 2 + 2 * setup.contentsSize;
  if (update[end - 1] !== 0x3e) throw new Error('signature placeholder mismatch');
  const byteRange: [number, number, number, number] = [0, base + start, base + end, total - (base + end)];
  const brText = `[0 ${byteRange[1]} ${byteRange[2]} ${byteRange[3]}]`;
  const slot = `[0 ${'1' + '0'.repeat(BR_WIDTH - 1)} ${'1' + '0'.repeat(BR_WIDTH - 1)} ${'1' + '0'.repeat(BR_WIDTH - 1)}]`.length;
  if (brText.length > slot) throw new InputInvalidError('document too large for the ByteRange placeholder');
  update.set(Buffer.from(brText.slice(0, -1) + ' '.repeat(slot - brText.length) + ']', 'latin1'), brAt + '/ByteRange '.length);

  return {
    input,
    update,
    byteRange,
    contentsSize: setup.contentsSize,
    signatureRef: sigRef,
    fieldRef,
    fieldName,
    signedParts: () => [input, update.subarray(0, start), update.subarray(end)],
    embed(cms: Uint8Array): void {
      if (cms.length > setup.contentsSize) throw new InputInvalidError('the CMS signature does not fit its placeholder');
      Buffer.from(update.buffer, update.byteOffset, update.length).write(Buffer.from(cms).toString('hex'), start + 1, 'latin1');
    },
    bytes: () => concatOutput(input, update),
  };
}

/** The page's /Rotate (inherited through /Parent), normalised to 0, 90, 180 or 270. */
export function pageRotation(doc: PdfDocument, page: PdfDict): number {
  let node: PdfDict | undefined = page;
  for (let depth = 0; node && depth < 32; depth++) {
    const r = doc.resolve(node.get('Rotate'));
    if (typeof r === 'number') {
      const n = ((Math.round(r / 90) * 90) % 360 + 360) % 360;
      return n;
    }
    node = doc.resolveDict(node.get('Parent'));
  }
  return 0;
}

function mdpPermission(doc: PdfDocument, sig: PdfDict): number | undefined {
  const refs = doc.resolve(sig.get('Reference'));
  if (!isArray(refs)) return undefined;
  for (const r of refs) {
    const d = doc.resolveDict(r);
    if (d?.getName('TransformMethod') !== 'DocMDP') continue;
    const p = doc.resolveDict(d.get('TransformParams'))?.get('P');
    return isInt(p) ? p : 2;
  }
  return undefined;
}

function uniqueName(names: string[]): string {
  const taken = new Set(names);
  for (let i = 1; ; i++) if (!taken.has(`Signature${i}`)) return `Signature${i}`;
}

function emptyAppearance(upd: IncrementalUpdate): PdfRef {
  return upd.add(makeForm(new Uint8Array(0), [0, 0, 0, 0], new PdfDict()));
}

/** A form XObject with the given content, bounding box and resources. */
export function makeForm(content: Uint8Array, bbox: number[], resources: PdfDict): PdfStream {
  return new PdfStream(
    new PdfDict([
      ['Type', PdfName.of('XObject')],
      ['Subtype', PdfName.of('Form')],
      ['BBox', bbox],
      ['Resources', resources],
    ]),
    content,
  );
}

function withAppearance(doc: PdfDocument, upd: IncrementalUpdate, widget: PdfDict, setup: SignatureSetup): PdfDict {
  const r = doc.resolve(widget.get('Rect'));
  const nums = isArray(r) ? r.map((x) => doc.resolve(x)) : [];
  if (nums.length !== 4 || !nums.every((x): x is number => typeof x === 'number')) return widget;
  const w = Math.abs(nums[2]! - nums[0]!);
  const h = Math.abs(nums[3]! - nums[1]!);
  if (!(w > 0 && h > 0) || !setup.appearance) return widget;
  const pageDict = doc.resolveDict(widget.get('P'));
  return widget.with('AP', new PdfDict([['N', setup.appearance(upd, w, h, pageDict ? pageRotation(doc, pageDict) : 0)]]));
}
