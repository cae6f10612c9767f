import { existsSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createSealSvg, DEFAULT_SEAL_FONT_FILES, renderSealPng } from './seal-picture.js';
import { parseXml, findAll } from './xml.js';

const HAVE_FONT = DEFAULT_SEAL_FONT_FILES.some((f) => existsSync(f));
if (!HAVE_FONT) process.stdout.write('\nNOTICE: fonts-noto-cjk not installed: the seal PNG tests were NOT run.\n');

interface Stats {
  width: number;
  height: number;
  opaque: number;
  red: number;
  other: number;
  /** Opaque pixels in the upper band between the ring and the star (where the name is). */
  upperBand: number;
  data: Buffer;
}

function stats(png: Uint8Array): Stats {
  const img = PNG.sync.read(Buffer.from(png));
  let opaque = 0;
  let red = 0;
  let other = 0;
  let upperBand = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 4;
      const [r, g, b, a] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!, img.data[i + 3]!];
      if (a < 200) continue;
      opaque++;
      if (r > 180 && g < 90 && b < 90) red++;
      else other++;
      const dx = x - img.width / 2;
      const dy = y - img.height / 2;
      const dist = Math.sqrt(dx * dx + dy * dy) / (img.width / 2);
      if (dy < 0 && dist > 0.55 && dist < 0.85) upperBand++;
    }
  }
  return { width: img.width, height: img.height, opaque, red, other, upperBand, data: img.data };
}

describe('seal picture SVG', () => {
  it('has the ring, the star, every name character, the bottom text and the code, escaped', () => {
    const svg = createSealSvg({ name: '\u67d0\u5e02<\u4eba\u6c11>\u653f\u5e9c', bottomText: '\u5408\u540c\u4e13\u7528\u7ae0', code: '1101000000001' });
    const doc = parseXml(svg);
    expect(doc.local).toBe('svg');
    expect(findAll(doc, 'circle')).toHaveLength(1);
    expect(findAll(doc, 'polygon')[0]!.attrs['points']!.split(' ')).toHaveLength(10);
    const texts = findAll(doc, 'text').map((t) => t.text);
    expect(texts.slice(0, 8)).toEqual([...'\u67d0\u5e02<\u4eba\u6c11>\u653f\u5e9c']);
    expect(texts).toContain('\u5408\u540c\u4e13\u7528\u7ae0');
    expect(texts.slice(-13).join('')).toBe('1101000000001');
    expect(svg).toContain('#e60012');
  });

  it('refuses empty names, control characters, silly sizes and colours', () => {
    expect(() => createSealSvg({ name: '' })).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    expect(() => createSealSvg({ name: 'a\u0000b' })).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    expect(() => createSealSvg({ name: 'x', diameterMm: 5 })).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    expect(() => createSealSvg({ name: 'x', color: 'red"/><script>' })).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });
});

describe.runIf(HAVE_FONT)('seal picture PNG', () => {
  it('is the requested size, red on transparent, with the CJK name actually drawn', async () => {
    const a = stats(await renderSealPng({ name: '\u56fd\u56fd\u56fd\u56fd\u56fd\u56fd', bottomText: '\u516c\u7ae0', sizePx: 160 }));
    expect(a.width).toBe(160);
    expect(a.height).toBe(160);
    // Mostly red ink; anti-aliased edges are the only non-red opaque pixels.
    expect(a.red / a.opaque).toBeGreaterThan(0.9);
    expect(a.opaque / (160 * 160)).toBeGreaterThan(0.1);
    expect(a.opaque / (160 * 160)).toBeLessThan(0.6);
    const b = stats(await renderSealPng({ name: '\u7ae0\u7ae0\u7ae0\u7ae0\u7ae0\u7ae0', bottomText: '\u516c\u7ae0', sizePx: 160 }));
    // Text present: the band under the ring carries ink, and different characters draw
    // different shapes (missing-glyph boxes would be identical).
    expect(a.upperBand).toBeGreaterThan(400);
    expect(b.upperBand).toBeGreaterThan(400);
    let diff = 0;
    for (let i = 3; i < a.data.length; i += 4) if (Math.abs(a.data[i]! - b.data[i]!) > 128) diff++;
    expect(diff).toBeGreaterThan(200);
  }, 30_000);
});
