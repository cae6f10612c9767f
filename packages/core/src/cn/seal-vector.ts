/**
 * The seal picture as PDF vector graphics: resvg (usvg) turns the SVG's text into glyph outlines,
 * and the outlines, ring and star become a PDF content stream (paths only: no font to embed,
 * nothing to subset). Use it as the content of a Form XObject with BBox [0 0 width height].
 */
import { existsSync } from 'node:fs';
import { SealError } from '../errors/index.js';
import { createSealSvg, DEFAULT_SEAL_FONT_FILES, type SealPictureOptions } from './seal-picture.js';
import { parseXml, type XmlElement } from './xml.js';

export interface SealVectorOptions extends SealPictureOptions {
  /** Width = height of the appearance in PDF points (default: the diameter, 1 mm = 72/25.4 pt). */
  sizePt?: number;
  fontFiles?: string[];
}

export interface SealVectorAppearance {
  /** PDF content stream operators (ASCII). */
  content: string;
  width: number;
  height: number;
}

type Matrix = [number, number, number, number, number, number];

function multiply(m: Matrix, n: Matrix): Matrix {
  // m then n: point p -> n(m(p)); written as PDF/SVG row vectors [a b c d e f].
  return [
    m[0] * n[0] + m[1] * n[2],
    m[0] * n[1] + m[1] * n[3],
    m[2] * n[0] + m[3] * n[2],
    m[2] * n[1] + m[3] * n[3],
    m[4] * n[0] + m[5] * n[2] + n[4],
    m[4] * n[1] + m[5] * n[3] + n[5],
  ];
}

function parseTransform(t: string | undefined): Matrix {
  if (t === undefined || t.trim() === '') return [1, 0, 0, 1, 0, 0];
  const m = /^\s*matrix\(([^)]*)\)\s*$/.exec(t);
  if (m === null) throw new SealError('ERR_INTERNAL', `unexpected transform ${t}`);
  const v = m[1]!.split(/[\s,]+/).filter((x) => x !== '').map(Number);
  if (v.length !== 6 || v.some((x) => !Number.isFinite(x))) throw new SealError('ERR_INTERNAL', 'bad transform');
  return v as Matrix;
}

function num(n: number): string {
  const r = Math.round(n * 1000) / 1000;
  return Object.is(r, -0) ? '0' : String(r);
}

function rgb(hex: string): string {
  const m = /^#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})$/.exec(hex);
  if (m === null) throw new SealError('ERR_INTERNAL', `unexpected colour ${hex}`);
  return [m[1], m[2], m[3]].map((h) => num(parseInt(h!, 16) / 255)).join(' ');
}

/** SVG path data (absolute M, L, C, Q, Z as usvg writes them) to PDF path operators. */
function pathOps(d: string): string {
  const tokens = d.match(/[MLCQZmlcqz]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g) ?? [];
  const out: string[] = [];
  let i = 0;
  let cmd = '';
  let cx = 0;
  let cy = 0;
  const next = (): number => {
    const t = tokens[i++];
    if (t === undefined || /[A-Za-z]/.test(t)) throw new SealError('ERR_INTERNAL', 'bad path data');
    return Number(t);
  };
  while (i < tokens.length) {
    if (/[A-Za-z]/.test(tokens[i]!)) cmd = tokens[i++]!;
    switch (cmd) {
      case 'M':
        cx = next();
        cy = next();
        out.push(`${num(cx)} ${num(cy)} m`);
        cmd = 'L';
        break;
      case 'L':
        cx = next();
        cy = next();
        out.push(`${num(cx)} ${num(cy)} l`);
        break;
      case 'C': {
        const v = [next(), next(), next(), next(), next(), next()];
        cx = v[4]!;
        cy = v[5]!;
        out.push(`${v.map(num).join(' ')} c`);
        break;
      }
      case 'Q': {
        const [qx, qy, x, y] = [next(), next(), next(), next()];
        // Quadratic to cubic.
        const c1x = cx + (2 / 3) * (qx - cx);
        const c1y = cy + (2 / 3) * (qy - cy);
        const c2x = x + (2 / 3) * (qx - x);
        const c2y = y + (2 / 3) * (qy - y);
        out.push(`${[c1x, c1y, c2x, c2y, x, y].map(num).join(' ')} c`);
        cx = x;
        cy = y;
        break;
      }
      case 'Z':
      case 'z':
        out.push('h');
        cmd = '';
        break;
      default:
        throw new SealError('ERR_INTERNAL', `unsupported path command ${cmd}`);
    }
  }
  return out.join('\n');
}

function walk(el: XmlElement, m: Matrix, out: string[]): void {
  const here = multiply(parseTransform(el.attrs['transform']), m);
  if (el.local === 'path') {
    const d = el.attrs['d'];
    if (d === undefined || d.trim() === '') return;
    const fill = el.attrs['fill'] ?? '#000000';
    const stroke = el.attrs['stroke'] ?? 'none';
    const ops: string[] = ['q', `${here.map(num).join(' ')} cm`];
    if (fill !== 'none') ops.push(`${rgb(fill)} rg`);
    if (stroke !== 'none') ops.push(`${rgb(stroke)} RG`, `${num(Number(el.attrs['stroke-width'] ?? '1'))} w`);
    ops.push(pathOps(d));
    const evenOdd = el.attrs['fill-rule'] === 'evenodd';
    ops.push(fill !== 'none' && stroke !== 'none' ? (evenOdd ? 'B*' : 'B') : fill !== 'none' ? (evenOdd ? 'f*' : 'f') : stroke !== 'none' ? 'S' : 'n');
    ops.push('Q');
    out.push(ops.join('\n'));
    return;
  }
  for (const c of el.children) walk(c, here, out);
}

/** The seal as a PDF content stream of filled and stroked paths. */
export async function createSealPdfAppearance(opts: SealVectorOptions): Promise<SealVectorAppearance> {
  const d = opts.diameterMm ?? 42;
  const size = opts.sizePt ?? (d * 72) / 25.4;
  if (!(size > 0 && size <= 2000)) throw new SealError('ERR_INPUT_INVALID', 'sizePt must be 0..2000');
  const fontFiles = opts.fontFiles ?? DEFAULT_SEAL_FONT_FILES.filter((f) => existsSync(f)).slice(0, 1);
  if (fontFiles.length === 0 || fontFiles.some((f) => !existsSync(f))) throw new SealError('ERR_INPUT_INVALID', 'no CJK font file found');
  const svg = createSealSvg(opts);
  const { Resvg } = await import('@resvg/resvg-js');
  const simplified = new Resvg(svg, { font: { fontFiles, loadSystemFonts: false, defaultFontFamily: opts.fontFamily ?? 'Noto Serif CJK SC' } }).toString();
  const root = parseXml(simplified);
  const vb = (root.attrs['viewBox'] ?? `0 0 ${d} ${d}`).split(/[\s,]+/).map(Number);
  const vw = vb[2] ?? d;
  const s = size / vw;
  // SVG user space (y down, millimetres) -> PDF (y up, points).
  const base: Matrix = [s, 0, 0, -s, 0, size];
  const out: string[] = [];
  walk(root, base, out);
  return { content: `${out.join('\n')}\n`, width: size, height: size };
}
