/**
 * Whitelist rules of the revision analysis, each with a fixture that must be reported with its
 * kind and verdict. Fixtures: a small PDF, a signed revision marker, then one incremental update
 * written by the project's incremental writer.
 */
import { describe, expect, it } from 'vitest';
import { analyseChanges, type SignedRevision } from './diff.js';
import { parsePdf, PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfArray } from './parser/index.js';
import { buildPdf } from './testing/build-pdf.js';
import { IncrementalUpdate, concatOutput } from './writer/incremental.js';

const BASE = buildPdf({
  objects: {
    1: '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 8 0 R] >> >>',
    2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    3: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 8 0 R] >>',
    4: '<< /Length 33 >>\nstream\nBT /F1 24 Tf 72 720 Td (Hi) Tj ET\nendstream',
    5: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    6: '<< /FT /Sig /T (Sig1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /V 7 0 R >>',
    7: '<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 0 0 0] /Contents <00> >>',
    8: '<< /FT /Tx /T (Name) /Type /Annot /Subtype /Widget /Rect [0 0 10 10] /P 3 0 R >>',
    9: '<< /Producer (test) >>',
  },
  root: 1,
});

function update(fn: (up: IncrementalUpdate, doc: ReturnType<typeof parsePdf>) => void, bytes = BASE): Uint8Array {
  const doc = parsePdf(bytes);
  const up = new IncrementalUpdate(doc);
  fn(up, doc);
  const r = up.write();
  return concatOutput(r.input, r.update);
}

function analyse(bytes: Uint8Array, certification: SignedRevision['certification'] = null) {
  const doc = parsePdf(bytes);
  const signed: SignedRevision[] = [{ revision: 0, kind: 'signature', sigRef: new PdfRef(7, 0), certification, fieldName: 'Sig1' }];
  return analyseChanges(doc, signed).forSignature(0);
}

const dict = (doc: ReturnType<typeof parsePdf>, n: number) => doc.resolveDict(new PdfRef(n, 0))!;

describe('revision analysis whitelist', () => {
  it('page content replaced: page-content / other, never allowed (even under P=3)', () => {
    const out = update((up) => {
      const data = new TextEncoder().encode('BT /F1 24 Tf 72 720 Td (Forged) Tj ET');
      up.set(new PdfRef(4, 0), new PdfStream(new PdfDict([['Length', data.length]]), data));
    });
    for (const cert of [null, { permissions: 3 as const }]) {
      const mods = analyse(out, cert);
      expect(mods.find((m) => m.object === '4 0 R')).toMatchObject({ kind: 'page-content', allowed: false, description: 'content of page 1 changed' });
    }
  });

  it('page /Contents pointed at a new stream: denied', () => {
    const out = update((up, doc) => {
      const data = new TextEncoder().encode('BT ET');
      const ref = up.add(new PdfStream(new PdfDict([['Length', data.length]]), data));
      up.set(new PdfRef(3, 0), dict(doc, 3).with('Contents', ref));
    });
    expect(analyse(out).find((m) => m.kind === 'page-content')).toMatchObject({ allowed: false });
  });

  it('a change to an object no rule explains is denied', () => {
    const out = update((up) => up.set(new PdfRef(9, 0), new PdfDict([['Producer', new PdfString(new TextEncoder().encode('other'))]])));
    // 9 is not referenced from the trailer here: an unexplained object change, denied
    expect(analyse(out).find((m) => m.object === '9 0 R')).toMatchObject({ kind: 'other', allowed: false });
  });

  it('DSS added to the catalog: allowed after any signature, also under P=1', () => {
    const out = update((up, doc) => {
      const dss = up.add(new PdfDict([['Certs', [] as PdfArray]]));
      up.set(new PdfRef(1, 0), doc.catalog().with('DSS', dss));
    });
    for (const cert of [null, { permissions: 1 as const }]) {
      const mods = analyse(out, cert);
      expect(mods.length).toBeGreaterThan(0);
      expect(mods.every((m) => m.allowed && m.kind === 'dss')).toBe(true);
    }
  });

  it('form filling: allowed under P=2, not after an approval signature', () => {
    const out = update((up, doc) => up.set(new PdfRef(8, 0), dict(doc, 8).with('V', new PdfString(new TextEncoder().encode('Alice')))));
    expect(analyse(out, { permissions: 2 }).find((m) => m.kind === 'form-fill')).toMatchObject({ allowed: true });
    expect(analyse(out).find((m) => m.kind === 'form-fill')).toMatchObject({ allowed: false });
  });

  it('new annotation: allowed under P=3 only', () => {
    const out = update((up, doc) => {
      const annot = up.add(new PdfDict([['Type', PdfName.of('Annot')], ['Subtype', PdfName.of('Text')], ['Rect', [0, 0, 10, 10]]]));
      up.set(new PdfRef(3, 0), dict(doc, 3).with('Annots', [new PdfRef(6, 0), new PdfRef(8, 0), annot]));
    });
    expect(analyse(out, { permissions: 3 }).find((m) => m.kind === 'annotation')).toMatchObject({ allowed: true });
    expect(analyse(out, { permissions: 2 }).find((m) => m.kind === 'annotation')).toMatchObject({ allowed: false });
    expect(analyse(out).find((m) => m.kind === 'annotation')).toMatchObject({ allowed: false });
  });

  it('existing signature dictionary rewritten, field removed, object freed, catalog key changed: all denied', () => {
    const sigRewrite = update((up, doc) => up.set(new PdfRef(7, 0), dict(doc, 7).with('Reason', new PdfString(new TextEncoder().encode('x')))));
    expect(analyse(sigRewrite).find((m) => m.object === '7 0 R')).toMatchObject({ kind: 'signature', allowed: false });
    const removed = update((up, doc) => up.set(new PdfRef(1, 0), doc.catalog().with('AcroForm', new PdfDict([['Fields', [new PdfRef(6, 0)]]]))));
    expect(analyse(removed).find((m) => m.kind === 'field-removed')).toMatchObject({ allowed: false });
    const openAction = update((up, doc) => up.set(new PdfRef(1, 0), doc.catalog().with('OpenAction', new PdfDict([['S', PdfName.of('JavaScript')]]))));
    expect(analyse(openAction).find((m) => m.description.includes('/OpenAction'))).toMatchObject({ allowed: false });
  });

  it('a second signature in a new field: allowed after an approval signature', () => {
    const out = update((up, doc) => {
      const sig = up.add(new PdfDict([['Type', PdfName.of('Sig')], ['Contents', new PdfString(new Uint8Array(4), true)]]));
      const field = up.add(new PdfDict([['FT', PdfName.of('Sig')], ['T', new PdfString(new TextEncoder().encode('Sig2'))], ['Type', PdfName.of('Annot')], ['Subtype', PdfName.of('Widget')], ['Rect', [0, 0, 0, 0]], ['P', new PdfRef(3, 0)], ['V', sig]]));
      up.set(new PdfRef(3, 0), dict(doc, 3).with('Annots', [new PdfRef(6, 0), new PdfRef(8, 0), field]));
      up.set(new PdfRef(1, 0), doc.catalog().with('AcroForm', new PdfDict([['Fields', [new PdfRef(6, 0), new PdfRef(8, 0), field]], ['SigFlags', 3]])));
    });
    const mods = analyse(out);
    expect(mods.length).toBeGreaterThan(0);
    expect(mods.filter((m) => !m.allowed)).toEqual([]);
  });
});
