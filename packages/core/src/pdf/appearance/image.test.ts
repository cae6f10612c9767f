import { inflateSync } from 'node:zlib';
import { PNG, type ColorType } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { imageXObject, jpegXObject, pngXObject } from './image.js';
import { pngChunk as chunk, rawPng } from '../testing/png.js';

describe('PNG seal pictures (checked against pngjs decoding the same file)', () => {
  const w = 7;
  const h = 5;
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([(i * 37) & 255, (i * 91) & 255, (i * 13) & 255, i % 3 === 0 ? 0 : i % 3 === 1 ? 128 : 255], i * 4);

  for (const [colorType, bitDepth] of [[0, 8], [2, 8], [4, 8], [6, 8], [6, 16], [2, 16], [0, 16]] as [ColorType, 8 | 16][]) {
    it(`colour type ${colorType}, ${bitDepth}-bit`, () => {
      const png = new PNG({ width: w, height: h });
      rgba.copy(png.data);
      const file = PNG.sync.write(png, { colorType, bitDepth, inputHasAlpha: true, inputColorType: 6 });
      const ref = PNG.sync.read(file); // RGBA 8-bit as pngjs sees the file
      const x = pngXObject(file);
      expect([x.width, x.height]).toEqual([w, h]);
      const gray = colorType === 0 || colorType === 4;
      expect(x.image.dict.getName('ColorSpace')).toBe(gray ? 'DeviceGray' : 'DeviceRGB');
      const color = inflateSync(x.image.raw);
      const alpha = x.smask ? inflateSync(x.smask.raw) : undefined;
      expect(Boolean(alpha)).toBe(colorType === 4 || colorType === 6);
      // 16-bit samples are reduced to 8 bits: we keep the high byte, pngjs rounds (off by one at most).
      const tol = bitDepth === 16 ? 1 : 0;
      const near = (a: number | undefined, b: number | undefined) => expect(Math.abs(a! - b!)).toBeLessThanOrEqual(tol);
      for (let i = 0; i < w * h; i++) {
        if (gray) near(color[i], ref.data[i * 4]);
        else for (let c = 0; c < 3; c++) near(color[i * 3 + c], ref.data[i * 4 + c]);
        if (alpha) near(alpha[i], ref.data[i * 4 + 3]);
      }
    });
  }

  it('2-bit palette with tRNS transparency', () => {
    const plte = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
    const trns = Buffer.from([0, 255, 100]);
    // 4 pixels wide, 1 row: indices 0 1 2 3 -> 0b00011011
    const x = pngXObject(rawPng(4, 1, 2, 3, Buffer.from([0, 0b00011011]), [chunk('PLTE', plte), chunk('tRNS', trns)]));
    expect([...inflateSync(x.image.raw)]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
    expect([...inflateSync(x.smask!.raw)]).toEqual([0, 255, 100, 255]);
  });

  it('1-bit gray with Paeth/Sub/Up filters', () => {
    // Two rows of 8 pixels; row 0 filter Sub(1), row 1 Paeth(4) — bytes chosen so unfiltering matters.
    const x = pngXObject(rawPng(8, 2, 1, 0, Buffer.from([1, 0b10100000, 4, 0b00001111])));
    const g = [...inflateSync(x.image.raw)];
    expect(g.slice(0, 8)).toEqual([255, 0, 255, 0, 0, 0, 0, 0]);
    // Paeth on the first byte with no left neighbour predicts from above: 0b10100000 + 0b00001111.
    expect(g.slice(8)).toEqual([255, 0, 255, 0, 255, 255, 255, 255]);
  });

  it('refuses interlaced, truncated and non-image input with ERR_INPUT_INVALID', () => {
    expect(() => pngXObject(rawPng(2, 2, 8, 0, Buffer.alloc(6), [], 1))).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    const good = rawPng(2, 2, 8, 0, Buffer.from([0, 1, 2, 0, 3, 4]));
    expect(() => pngXObject(good.subarray(0, 40))).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    expect(() => imageXObject(Buffer.from('GIF89a........'))).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    expect(() => pngXObject(rawPng(100000, 100000, 8, 0, Buffer.alloc(1)))).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });
});

describe('JPEG seal pictures', () => {
  const sof = (comps: number) => Buffer.from([0xff, 0xc0, 0, 8 + 3 * comps, 8, 0, 20, 0, 30, comps, ...Array(3 * comps).fill(1)]);
  const adobe = Buffer.from([0xff, 0xee, 0, 14, 0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, 2]);
  const jpeg = (...parts: Buffer[]) => Buffer.concat([Buffer.from([0xff, 0xd8]), ...parts, Buffer.from([0xff, 0xda, 0, 2, 0xff, 0xd9])]);

  it('reads size and colour space from the frame header and passes the data through', () => {
    const x = jpegXObject(jpeg(Buffer.from([0xff, 0xe0, 0, 4, 0, 0]), sof(3)));
    expect([x.width, x.height]).toEqual([30, 20]);
    expect(x.image.dict.getName('ColorSpace')).toBe('DeviceRGB');
    expect(x.image.dict.getName('Filter')).toBe('DCTDecode');
    expect(jpegXObject(jpeg(sof(1))).image.dict.getName('ColorSpace')).toBe('DeviceGray');
    const cmyk = jpegXObject(jpeg(adobe, sof(4))).image.dict;
    expect(cmyk.getName('ColorSpace')).toBe('DeviceCMYK');
    expect(cmyk.get('Decode')).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
  });

  it('refuses a JPEG without a frame header', () => {
    expect(() => jpegXObject(jpeg())).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    expect(() => jpegXObject(Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 200]))).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });
});
