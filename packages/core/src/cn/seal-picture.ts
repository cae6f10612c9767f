/**
 * The standard round red official seal picture: a red ring, the agency name along the upper
 * arc (characters upright towards the centre), a five-pointed star in the middle, an optional
 * horizontal line of text under the star (e.g. 合同专用章) and an optional code along the lower
 * arc. Output: SVG text (vector, names the CJK font family) and PNG (rendered with resvg using a
 * CJK font file: Debian fonts-noto-cjk by default). No I/O except reading the font in renderSealPng.
 */
import { existsSync } from 'node:fs';
import { SealError } from '../errors/index.js';

export interface SealPictureOptions {
  /** Agency name on the upper arc (1..40 characters). */
  name: string;
  /** Horizontal text under the star, e.g. '合同专用章'. */
  bottomText?: string;
  /** Seal code along the lower arc (e.g. the 13-digit code), small characters. */
  code?: string;
  /** Diameter in millimetres (GB/T 38540 picture size); default 42. */
  diameterMm?: number;
  /** Drawing colour; default official-seal red #e60012. */
  color?: string;
  /** Font family written into the SVG; default 'Noto Serif CJK SC'. */
  fontFamily?: string;
}

export interface SealPngOptions extends SealPictureOptions {
  /** Output width = height in pixels; default 400. */
  sizePx?: number;
  /** Font files for rendering; default the Noto CJK fonts of Debian's fonts-noto-cjk. */
  fontFiles?: string[];
}

/** Candidates in order of preference; the first that exists is used (loading a CJK collection takes ~1 s). */
export const DEFAULT_SEAL_FONT_FILES = [
  '/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc',
  '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function fmt(n: number): string {
  return (Math.round(n * 100) / 100).toString();
}

function checkText(s: string | undefined, what: string, max: number): string[] {
  if (s === undefined) return [];
  const chars = [...s];
  if (chars.length > max) throw new SealError('ERR_INPUT_INVALID', `${what} is too long (at most ${max} characters)`);
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new SealError('ERR_INPUT_INVALID', `${what} contains control characters`);
  return chars;
}

/** The seal picture as an SVG document (viewBox in millimetres). */
export function createSealSvg(opts: SealPictureOptions): string {
  const name = checkText(opts.name, 'name', 40);
  if (name.length === 0) throw new SealError('ERR_INPUT_INVALID', 'the seal needs a name');
  const bottom = checkText(opts.bottomText, 'bottomText', 12);
  const code = checkText(opts.code, 'code', 24);
  const d = opts.diameterMm ?? 42;
  if (!(d >= 20 && d <= 100)) throw new SealError('ERR_INPUT_INVALID', 'diameter must be 20..100 mm');
  const color = opts.color ?? '#e60012';
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) throw new SealError('ERR_INPUT_INVALID', 'colour must be #rrggbb');
  const family = escapeXml(opts.fontFamily ?? 'Noto Serif CJK SC');
  const c = d / 2;
  const ring = d * 0.035;
  const rOuter = c - ring / 2 - 0.2;
  // Upper arc: characters spread over up to 240 degrees, fewer characters a narrower arc.
  const nameSize = Math.min(d * 0.14, (d * 0.9 * Math.PI * (240 / 360)) / Math.max(name.length, 1));
  const rName = rOuter - ring / 2 - nameSize * 0.72;
  const span = Math.min(240, Math.max(60, name.length * ((nameSize * 1.12) / rName) * (180 / Math.PI)));
  const parts: string[] = [];
  parts.push(`<circle cx="${fmt(c)}" cy="${fmt(c)}" r="${fmt(rOuter)}" fill="none" stroke="${color}" stroke-width="${fmt(ring)}"/>`);
  name.forEach((ch, i) => {
    const theta = name.length === 1 ? 0 : -span / 2 + (span * i) / (name.length - 1);
    const rad = (theta * Math.PI) / 180;
    const x = c + rName * Math.sin(rad);
    const y = c - rName * Math.cos(rad);
    parts.push(`<text transform="translate(${fmt(x)} ${fmt(y)}) rotate(${fmt(theta)})" y="${fmt(nameSize * 0.36)}" font-size="${fmt(nameSize)}">${escapeXml(ch)}</text>`);
  });
  // Five-pointed star.
  const rStar = d * 0.19;
  const rInner = rStar * 0.382;
  const starCy = c - (bottom.length > 0 ? d * 0.01 : 0);
  const pts: string[] = [];
  for (let k = 0; k < 10; k++) {
    const r = k % 2 === 0 ? rStar : rInner;
    const a = (Math.PI / 5) * k - Math.PI / 2;
    pts.push(`${fmt(c + r * Math.cos(a))},${fmt(starCy + r * Math.sin(a))}`);
  }
  parts.push(`<polygon points="${pts.join(' ')}" fill="${color}"/>`);
  if (bottom.length > 0) {
    const size = Math.min(d * 0.1, (d * 0.55) / bottom.length);
    parts.push(`<text x="${fmt(c)}" y="${fmt(c + d * 0.27)}" font-size="${fmt(size)}">${escapeXml(bottom.join(''))}</text>`);
  }
  if (code.length > 0) {
    const size = d * 0.05;
    const rCode = rOuter - ring / 2 - size * 0.75;
    const codeSpan = Math.min(90, code.length * ((size * 0.62) / rCode) * (180 / Math.PI));
    code.forEach((ch, i) => {
      // Lower arc, left to right: from 180+span/2 down to 180-span/2, tops towards the centre.
      const theta = 180 + (code.length === 1 ? 0 : codeSpan / 2 - (codeSpan * i) / (code.length - 1));
      const rad = (theta * Math.PI) / 180;
      const x = c + rCode * Math.sin(rad);
      const y = c - rCode * Math.cos(rad);
      parts.push(`<text transform="translate(${fmt(x)} ${fmt(y)}) rotate(${fmt(theta - 180)})" y="${fmt(size * 0.36)}" font-size="${fmt(size)}">${escapeXml(ch)}</text>`);
    });
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(d)}mm" height="${fmt(d)}mm" viewBox="0 0 ${fmt(d)} ${fmt(d)}">`,
    `<g fill="${color}" font-family="${family}" font-weight="bold" text-anchor="middle">`,
    ...parts,
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}

/** Render the seal picture to PNG (transparent background) with resvg and a CJK font file. */
export async function renderSealPng(opts: SealPngOptions): Promise<Uint8Array> {
  const size = opts.sizePx ?? 400;
  if (!Number.isInteger(size) || size < 32 || size > 4096) throw new SealError('ERR_INPUT_INVALID', 'sizePx must be 32..4096');
  const fontFiles = opts.fontFiles ?? DEFAULT_SEAL_FONT_FILES.filter((f) => existsSync(f)).slice(0, 1);
  if (fontFiles.some((f) => !existsSync(f))) throw new SealError('ERR_INPUT_INVALID', 'font file not found');
  if (fontFiles.length === 0) throw new SealError('ERR_INPUT_INVALID', 'no CJK font file found (install fonts-noto-cjk or pass fontFiles)');
  const svg = createSealSvg(opts);
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, {
    fitTo: { mode: 'width', value: size },
    font: { fontFiles, loadSystemFonts: false, defaultFontFamily: opts.fontFamily ?? 'Noto Serif CJK SC' },
    background: 'rgba(255,255,255,0)',
  });
  return new Uint8Array(r.render().asPng());
}
