/**
 * Test helper: assemble small PDFs from object bodies with correct offsets, as a classic xref
 * table or an xref stream (optionally with object streams and PNG predictors). Test code only.
 */
import { deflateSync } from 'node:zlib';

export interface BuildPdfOptions {
  /** Object bodies keyed by object number (the text between `N 0 obj` and `endobj`). */
  objects: Record<number, string | Uint8Array>;
  root: number;
  xref?: 'table' | 'stream';
  /** Object numbers to place in one object stream (xref: 'stream' only). */
  compressed?: number[];
  /** Bytes before %PDF- (junk). */
  prefix?: string;
  version?: string;
}

const enc = new TextEncoder();

export function buildPdf(o: BuildPdfOptions): Uint8Array {
  const parts: Uint8Array[] = [];
  let pos = 0;
  const push = (x: string | Uint8Array) => {
    const b = typeof x === 'string' ? enc.encode(x) : x;
    parts.push(b);
    pos += b.length;
  };
  push(o.prefix ?? '');
  const base = pos;
  push(`%PDF-${o.version ?? '1.7'}\n%\xe2\xe3\xcf\xd3\n`);
  const offsets = new Map<number, number>();
  const compressed = new Set(o.xref === 'stream' ? (o.compressed ?? []) : []);
  const nums = Object.keys(o.objects).map(Number).sort((a, b) => a - b);
  let maxNum = Math.max(...nums);
  for (const n of nums) {
    if (compressed.has(n)) continue;
    offsets.set(n, pos - base);
    push(`${n} 0 obj\n`);
    push(o.objects[n]!);
    push('\nendobj\n');
  }
  const inStm = new Map<number, [number, number]>();
  if (compressed.size) {
    const stmNum = ++maxNum;
    let header = '';
    let body = '';
    [...compressed].forEach((n, i) => {
      header += `${n} ${body.length} `;
      body += `${o.objects[n] as string}\n`;
      inStm.set(n, [stmNum, i]);
    });
    const data = deflateSync(enc.encode(header + body));
    offsets.set(stmNum, pos - base);
    push(`${stmNum} 0 obj\n<< /Type /ObjStm /N ${compressed.size} /First ${header.length} /Filter /FlateDecode /Length ${data.length} >>\nstream\n`);
    push(data);
    push('\nendstream\nendobj\n');
  }
  const size = maxNum + 1 + (o.xref === 'stream' ? 1 : 0);
  const xrefOffset = pos - base;
  if (o.xref === 'stream') {
    const xrefNum = maxNum + 1;
    offsets.set(xrefNum, xrefOffset);
    // Rows of [type, 4-byte field, 2-byte field], PNG Up predictor, Columns 7.
    const rows: number[][] = [];
    for (let n = 0; n < size; n++) {
      const off = offsets.get(n);
      const c = inStm.get(n);
      if (off !== undefined) rows.push([1, off, 0]);
      else if (c) rows.push([2, c[0], c[1]]);
      else rows.push([0, 0, n === 0 ? 65535 : 0]);
    }
    const raw = new Uint8Array(rows.length * 8);
    let prev = new Uint8Array(7);
    rows.forEach(([t, f2, f3], r) => {
      const row = new Uint8Array([t!, (f2! >>> 24) & 255, (f2! >>> 16) & 255, (f2! >>> 8) & 255, f2! & 255, (f3! >>> 8) & 255, f3! & 255]);
      raw[r * 8] = 2;
      for (let i = 0; i < 7; i++) raw[r * 8 + 1 + i] = (row[i]! - prev[i]!) & 255;
      prev = row;
    });
    const data = deflateSync(raw);
    push(
      `${xrefNum} 0 obj\n<< /Type /XRef /Size ${size} /W [1 4 2] /Root ${o.root} 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> /Length ${data.length} >>\nstream\n`,
    );
    push(data);
    push('\nendstream\nendobj\n');
  } else {
    let t = `xref\n0 ${size}\n`;
    for (let n = 0; n < size; n++) {
      const off = offsets.get(n);
      t += off !== undefined ? `${String(off).padStart(10, '0')} 00000 n \n` : `0000000000 ${n === 0 ? '65535' : '00000'} f \n`;
    }
    push(t);
    push(`trailer\n<< /Size ${size} /Root ${o.root} 0 R >>\n`);
  }
  push(`startxref\n${xrefOffset}\n%%EOF\n`);
  const out = new Uint8Array(pos);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** A one-page document's objects (catalog 1, pages 2, page 3, content 4, font 5). */
export function onePageObjects(text = 'Hello'): Record<number, string> {
  const content = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  return {
    1: '<< /Type /Catalog /Pages 2 0 R >>',
    2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    3: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    4: `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    5: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  };
}

/**
 * A hybrid-reference file (ISO 32000-2 §7.5.8.4): a classic xref table for readers of PDF 1.4
 * whose trailer's /XRefStm names an xref stream listing the objects kept in an object stream
 * (here the page tree node, object 2).
 */
export function buildHybridPdf(): Uint8Array {
  const objs = onePageObjects('Hybrid');
  const parts: string[] = [];
  let pos = 0;
  const offsets = new Map<number, number>();
  const push = (s: string) => {
    parts.push(s);
    pos += Buffer.byteLength(s, 'latin1');
  };
  push('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n');
  for (const n of [1, 3, 4, 5]) {
    offsets.set(n, pos);
    push(`${n} 0 obj\n${objs[n]}\nendobj\n`);
  }
  // Object stream 6 holding object 2 (uncompressed, no filter).
  const header = '2 0 ';
  const body = `${objs[2]}\n`;
  offsets.set(6, pos);
  push(`6 0 obj\n<< /Type /ObjStm /N 1 /First ${header.length} /Length ${header.length + body.length} >>\nstream\n${header}${body}\nendstream\nendobj\n`);
  // Xref stream 7: object 2 is compressed in 6 (index 0); W [1 2 1], no filter.
  const row = (t: number, f2: number, f3: number) => String.fromCharCode(t, (f2 >> 8) & 255, f2 & 255, f3);
  const data = row(2, 6, 0);
  const stmAt = pos;
  offsets.set(7, pos);
  push(`7 0 obj\n<< /Type /XRef /Size 8 /W [1 2 1] /Index [2 1] /Length ${data.length} >>\nstream\n${data}\nendstream\nendobj\n`);
  const xrefAt = pos;
  let t = 'xref\n0 8\n';
  for (let n = 0; n < 8; n++) {
    const off = offsets.get(n);
    t += off !== undefined ? `${String(off).padStart(10, '0')} 00000 n \n` : `0000000000 ${n === 0 ? '65535' : '00000'} f \n`;
  }
  push(t);
  push(`trailer\n<< /Size 8 /Root 1 0 R /XRefStm ${stmAt} >>\nstartxref\n${xrefAt}\n%%EOF\n`);
  return Buffer.from(parts.join(''), 'latin1');
}
