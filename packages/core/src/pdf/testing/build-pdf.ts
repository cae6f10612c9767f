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
