import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SealError } from '../../errors/index.js';
import { corpusManifest, corpusOrReport, corpusPath } from '../../../../../test-support/corpus.js';
import { buildHybridPdf, buildPdf, onePageObjects } from '../testing/build-pdf.js';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, isArray, parsePdf, Lexer } from './index.js';

const enc = new TextEncoder();
const dec = (b: Uint8Array) => Buffer.from(b).toString('latin1');

function popplerPages(file: string): number | undefined {
  // poppler's pdfinfo (qpdf loses the pages of one DSS file with a stale /Prev chain).
  const r = spawnSync('pdfinfo', [file], { encoding: 'utf8' });
  if (r.error) throw new Error('pdfinfo is not installed (apt-get install poppler-utils)');
  const m = /^Pages:\s+(\d+)/m.exec(r.stdout);
  return m ? Number(m[1]) : undefined;
}

describe('lexer', () => {
  it('parses every object type', () => {
    const src = enc.encode('<< /A 1 /B -2.5 /C (a\\(b\\)\\n\\101) /D <48 65 6c6C6f> /E [1 0 R 2 /N#20x true false null] /F << /G .5 >> >>');
    const d = new Lexer(src).parseObject() as PdfDict;
    expect(d.get('A')).toBe(1);
    expect(d.get('B')).toBe(-2.5);
    expect(dec((d.get('C') as PdfString).bytes)).toBe('a(b)\nA');
    expect(dec((d.get('D') as PdfString).bytes)).toBe('Hello');
    const e = d.get('E');
    expect(isArray(e) && e[0] instanceof PdfRef && e[0].num === 1 && e[1] === 2).toBe(true);
    expect((e as unknown[])[2]).toBe(PdfName.of('N x'));
    expect((e as unknown[]).slice(3)).toEqual([true, false, null]);
    expect((d.get('F') as PdfDict).get('G')).toBe(0.5);
  });

  it('fails closed with a typed error on bad tokens and deep nesting', () => {
    for (const bad of ['<< /A >', '(unterminated', '<4G>', '[1 2', '<< 1 2 >>', ')', '[' .repeat(500)]) {
      expect(() => new Lexer(enc.encode(bad)).parseObject(), bad).toThrow(SealError);
    }
  });
});

describe('parsePdf on built files', () => {
  it('reads a classic xref file and resolves objects', () => {
    const doc = parsePdf(buildPdf({ objects: onePageObjects(), root: 1 }));
    expect(doc.repaired).toBe(false);
    expect(doc.revisions).toHaveLength(1);
    expect(doc.revisions[0]!.kind).toBe('table');
    expect(doc.catalog().getName('Type')).toBe('Catalog');
    const pages = doc.pages();
    expect(pages).toHaveLength(1);
    const content = doc.resolve(pages[0]!.dict.get('Contents'));
    expect(content).toBeInstanceOf(PdfStream);
    expect(dec(doc.decode(content as PdfStream))).toContain('(Hello) Tj');
  });

  it('reads xref streams with PNG predictors and object streams', () => {
    const bytes = buildPdf({ objects: onePageObjects('Compressed'), root: 1, xref: 'stream', compressed: [1, 2, 3, 5] });
    const doc = parsePdf(bytes);
    expect(doc.repaired).toBe(false);
    expect(doc.lastRevision.kind).toBe('stream');
    expect(doc.lookup(3)?.type).toBe(2);
    const page = doc.pages()[0]!;
    expect(page.ref.num).toBe(3);
    expect(dec(doc.decode(doc.resolve(page.dict.get('Contents')) as PdfStream))).toContain('Compressed');
    expect(doc.getObject(new PdfRef(3, 0))?.inObjectStream).toBe(6);
  });

  it('finds page N through a nested page tree by /Count', () => {
    const objs: Record<number, string> = {
      1: '<< /Type /Catalog /Pages 2 0 R >>',
      2: '<< /Type /Pages /Kids [3 0 R 4 0 R 9 0 R] /Count 5 >>',
      3: '<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 6 0 R] /Count 2 >>',
      4: '<< /Type /Pages /Parent 2 0 R /Kids [10 0 R 7 0 R] /Count 2 >>',
      10: '<< /Type /Pages /Parent 4 0 R /Kids [8 0 R] /Count 1 >>',
    };
    for (const n of [5, 6, 7, 8, 9]) objs[n] = `<< /Type /Page /MediaBox [0 0 10 10] /N ${n} >>`;
    const doc = parsePdf(buildPdf({ objects: objs, root: 1 }));
    const order = doc.pages().map((p) => p.ref.num);
    expect(order).toEqual([5, 6, 8, 7, 9]);
    expect(order.map((_, i) => doc.pageAt(i)!.ref.num)).toEqual(order);
    expect(doc.pageAt(5)).toBeUndefined();
    expect(doc.pageCount()).toBe(5);
  });

  it('reads hybrid-reference files: /XRefStm entries fill in what the table lacks', () => {
    const doc = parsePdf(buildHybridPdf());
    expect(doc.repaired).toBe(false);
    expect(doc.lastRevision.kind).toBe('table');
    expect(doc.lastRevision.sections[0]!.xrefStm).toBeGreaterThan(0);
    expect(doc.lookup(2)?.type).toBe(2);
    expect(doc.pages()).toHaveLength(1);
    expect(doc.getObject(new PdfRef(2, 0))?.inObjectStream).toBe(6);
  });

  it('tolerates junk before %PDF- (offsets relative to the header)', () => {
    const doc = parsePdf(buildPdf({ objects: onePageObjects(), root: 1, prefix: 'JUNK JUNK\n'.repeat(10) }));
    expect(doc.headerOffset).toBe(100);
    expect(doc.repaired).toBe(false);
    expect(doc.pages()).toHaveLength(1);
  });

  it('resolves an indirect /Length and falls back to endstream when /Length is wrong', () => {
    const objs: Record<number, string> = { ...onePageObjects(), 4: '<< /Length 6 0 R >>\nstream\nBT ET\nendstream', 6: '5' };
    let doc = parsePdf(buildPdf({ objects: objs, root: 1 }));
    expect(dec((doc.resolve(new PdfRef(4, 0)) as PdfStream).raw)).toBe('BT ET');
    objs[6] = '999';
    doc = parsePdf(buildPdf({ objects: objs, root: 1 }));
    expect(dec((doc.resolve(new PdfRef(4, 0)) as PdfStream).raw)).toBe('BT ET');
  });

  it('repairs wrong xref offsets by scanning, and flags it', () => {
    const good = buildPdf({ objects: onePageObjects(), root: 1 });
    const s = dec(good).replace(/startxref\n\d+/, 'startxref\n7');
    const broken = Buffer.from(s.replace(/0000000\d\d\d 00000 n/g, '0000000001 00000 n'), 'latin1');
    const doc = parsePdf(broken);
    expect(doc.repaired).toBe(true);
    expect(doc.pages()).toHaveLength(1);
    expect(() => parsePdf(broken, { repair: false })).toThrow(expect.objectContaining({ code: 'ERR_PDF_MALFORMED' }));
  });

  it('groups incremental updates into revisions with their end offsets', () => {
    const v1 = buildPdf({ objects: onePageObjects(), root: 1 });
    const startxref1 = Number(/startxref\n(\d+)/.exec(dec(v1))![1]);
    const add = `7 0 obj\n<< /Title (Second) >>\nendobj\n`;
    const xrefAt = v1.length + add.length;
    const upd = `${add}xref\n0 1\n0000000000 65535 f \n7 1\n${String(v1.length).padStart(10, '0')} 00000 n \ntrailer\n<< /Size 8 /Root 1 0 R /Info 7 0 R /Prev ${startxref1} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    const v2 = Buffer.concat([v1, Buffer.from(upd, 'latin1')]);
    const doc = parsePdf(v2);
    expect(doc.revisions.map((r) => r.end)).toEqual([v1.length, v2.length]);
    expect(doc.revisions[1]!.entries.has(7)).toBe(true);
    expect(doc.resolve(new PdfRef(7, 0), 0)).toBe(null);
    expect((doc.resolveDict(new PdfRef(7, 0))!.get('Title') as PdfString).text()).toBe('Second');
    expect(doc.objectNumbers(0)).not.toContain(7);
  });

  it('rejects reference cycles, page-tree cycles and decompression bombs with typed errors', () => {
    const cyc = { ...onePageObjects(), 4: '<< /Length 4 0 R >>\nstream\nxx\nendstream' };
    const d1 = parsePdf(buildPdf({ objects: cyc, root: 1 }));
    // The Length cycle is tolerated (endstream search); the stream still reads.
    expect(dec((d1.resolve(new PdfRef(4, 0)) as PdfStream).raw)).toBe('xx');
    const loop = { ...onePageObjects(), 2: '<< /Type /Pages /Kids [2 0 R] /Count 1 >>' };
    expect(() => parsePdf(buildPdf({ objects: loop, root: 1 })).pages()).toThrow(expect.objectContaining({ code: 'ERR_PDF_MALFORMED' }));
    const bomb = deflateSync(Buffer.alloc(8 * 1024 * 1024));
    const objs: Record<number, string | Uint8Array> = { ...onePageObjects() };
    objs[4] = Buffer.concat([Buffer.from(`<< /Length ${bomb.length} /Filter /FlateDecode >>\nstream\n`), bomb, Buffer.from('\nendstream')]);
    const d2 = parsePdf(buildPdf({ objects: objs, root: 1 }), { maxDecodedStream: 1024 * 1024 });
    expect(() => d2.decode(d2.resolve(new PdfRef(4, 0)) as PdfStream)).toThrow(expect.objectContaining({ code: 'ERR_INPUT_TOO_LARGE' }));
  });

  it('rejects non-PDF and truncated input with ERR_PDF_MALFORMED', () => {
    expect(() => parsePdf(enc.encode('hello world'))).toThrow(expect.objectContaining({ code: 'ERR_PDF_MALFORMED' }));
    expect(() => parsePdf(enc.encode('%PDF-1.7\n'))).toThrow(expect.objectContaining({ code: 'ERR_PDF_MALFORMED' }));
    const good = buildPdf({ objects: onePageObjects(), root: 1 });
    // Truncated: either refused, or only readable through repair (which the writer refuses).
    for (const cut of [60, 200, good.length - 30, good.length - 8]) {
      let repaired = true;
      try {
        const d = parsePdf(good.subarray(0, cut));
        repaired = d.repaired || !d.lastRevision.hasEof;
      } catch (err) {
        expect((err as SealError).code).toBe('ERR_PDF_MALFORMED');
      }
      expect(repaired, String(cut)).toBe(true);
    }
  });

  it('never throws anything but a SealError on mutated input (bounded work)', () => {
    const base = buildPdf({ objects: onePageObjects(), root: 1, xref: 'stream', compressed: [2, 3, 5] });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }), fc.nat(base.length), (muts, cut) => {
        const b = Uint8Array.from(base.subarray(0, Math.max(cut, 20)));
        for (const [i, v] of muts) if (i < b.length) b[i] = v;
        try {
          const doc = parsePdf(b);
          for (const p of doc.pages()) doc.resolve(p.dict.get('Contents'));
        } catch (err) {
          if (!(err instanceof SealError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parsePdf on the shared corpus', () => {
  const present = corpusOrReport('pdf parser corpus');
  const entries = corpusManifest().filter((e) => e.path.startsWith('pdf/unsigned/') || e.path.startsWith('pdf/valid/'));
  it.runIf(present)('parses every unsigned and valid file; page counts match pdfinfo; every signature ends at a revision end', () => {
    expect(entries.length).toBeGreaterThan(50);
    for (const e of entries) {
      const file = corpusPath(e.path);
      const bytes = readFileSync(file);
      const doc = parsePdf(bytes);
      expect(doc.repaired, e.path).toBe(false);
      expect(doc.lastRevision.end, e.path).toBe(bytes.length);
      const ic = (e.independent_check ?? {}) as { encrypted?: boolean; signature_dicts_found?: { byte_range?: number[] }[] };
      expect(doc.encrypted, e.path).toBe(Boolean(ic.encrypted) || e.path.includes('protected') || /aes|rc4/.test(e.path));
      if (!doc.encrypted) {
        const pages = doc.pages();
        expect(pages.length, e.path).toBe(popplerPages(file));
        expect(doc.pageCount(), e.path).toBe(pages.length);
        pages.forEach((p, i) => expect(doc.pageAt(i)?.ref.key, `${e.path} page ${i}`).toBe(p.ref.key));
        expect(doc.pageAt(pages.length)).toBeUndefined();
      }
      const ends = new Set(doc.revisions.flatMap((r) => [r.end, r.eofMarkerEnd]));
      for (const s of ic.signature_dicts_found ?? []) {
        const br = s.byte_range;
        if (br && br.length === 4) expect(ends.has(br[2]! + br[3]!), `${e.path} ${br.join(' ')}`).toBe(true);
      }
    }
  });
});
