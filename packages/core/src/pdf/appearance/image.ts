/**
 * Seal pictures as PDF image XObjects: PNG (every colour type and bit depth, transparency as an
 * /SMask, palette transparency included) and JPEG (passed through as DCTDecode). Plain data in,
 * objects out; no I/O. Interlaced PNGs are refused.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { InputInvalidError, SealError } from '../../errors/index.js';
import { PdfDict, PdfName, PdfStream } from '../parser/objects.js';

export interface ImageXObject {
  width: number;
  height: number;
  /** The image XObject (its /SMask, if any, is `smask`, to be added as its own object and referenced). */
  image: PdfStream;
  smask?: PdfStream;
}

const MAX_PIXELS = 40_000_000;

/** Detect PNG or JPEG by signature and build the XObject(s). */
export function imageXObject(bytes: Uint8Array): ImageXObject {
  if (bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return pngXObject(bytes);
  if (bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegXObject(bytes);
  throw new InputInvalidError('the seal image must be a PNG or JPEG file');
}

/** The dictionary of an 8-bit image XObject. */
function imageDict(width: number, height: number, colorSpace: string, filter: 'DCTDecode' | 'FlateDecode'): PdfDict {
  return new PdfDict([
    ['Type', PdfName.of('XObject')],
    ['Subtype', PdfName.of('Image')],
    ['Width', width],
    ['Height', height],
    ['ColorSpace', PdfName.of(colorSpace)],
    ['BitsPerComponent', 8],
    ['Filter', PdfName.of(filter)],
  ]);
}

function bad(what: string): never {
  throw new InputInvalidError(`unreadable image: ${what}`);
}

export function jpegXObject(b: Uint8Array): ImageXObject {
  let p = 2;
  let adobe = false;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) bad('JPEG marker expected');
    const m = b[p + 1]!;
    if (m === 0xff) {
      p++;
      continue;
    }
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      p += 2;
      continue;
    }
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    if (len < 2 || p + 2 + len > b.length) bad('truncated JPEG');
    if (m === 0xee && b[p + 4] === 0x41 && b[p + 5] === 0x64 && b[p + 6] === 0x6f && b[p + 7] === 0x62 && b[p + 8] === 0x65) adobe = true;
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof) {
      const bpc = b[p + 4]!;
      const height = (b[p + 5]! << 8) | b[p + 6]!;
      const width = (b[p + 7]! << 8) | b[p + 8]!;
      const comps = b[p + 9]!;
      if (!width || !height || bpc !== 8 || ![1, 3, 4].includes(comps)) bad('unsupported JPEG layout');
      const cs = comps === 1 ? 'DeviceGray' : comps === 3 ? 'DeviceRGB' : 'DeviceCMYK';
      let dict = imageDict(width, height, cs, 'DCTDecode');
      if (comps === 4 && adobe) dict = dict.with('Decode', [1, 0, 1, 0, 1, 0, 1, 0]);
      return { width, height, image: new PdfStream(dict, b) };
    }
    if (m === 0xda) break;
    p += 2 + len;
  }
  bad('no JPEG frame header');
}

export function pngXObject(b: Uint8Array): ImageXObject {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!sig.every((v, i) => b[i] === v)) bad('bad PNG signature');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let ctype = -1;
  let interlace = 0;
  let palette: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  while (p + 12 <= b.length) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    if (p + 12 + len > b.length) bad('truncated PNG');
    const data = b.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      if (len < 13) bad('bad IHDR');
      width = dv.getUint32(p + 8);
      height = dv.getUint32(p + 12);
      depth = data[8]!;
      ctype = data[9]!;
      interlace = data[12]!;
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') trns = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  if (!width || !height || width * height > MAX_PIXELS) bad('bad PNG dimensions');
  if (interlace !== 0) bad('interlaced PNGs are not supported');
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[ctype];
  if (channels === undefined || ![1, 2, 4, 8, 16].includes(depth)) bad('unsupported PNG colour type or depth');
  if ((ctype === 2 || ctype === 4 || ctype === 6) && depth < 8) bad('bad PNG depth');
  if (ctype === 3 && (!palette || depth > 8)) bad('PNG palette missing');
  const bitsPerPixel = channels * depth;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const expected = height * (rowBytes + 1);
  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected + 1024 });
  } catch (err) {
    if (err instanceof SealError) throw err;
    bad('corrupt PNG data');
  }
  if (raw.length < expected) bad('PNG data too short');
  // Undo the PNG row filters.
  const px = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (rowBytes + 1)]!;
    const src = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    const row = px.subarray(y * rowBytes, (y + 1) * rowBytes);
    const prev = y ? px.subarray((y - 1) * rowBytes, y * rowBytes) : new Uint8Array(rowBytes);
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const up = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let v: number;
      switch (f) {
        case 0: v = src[i]!; break;
        case 1: v = src[i]! + a; break;
        case 2: v = src[i]! + up; break;
        case 3: v = src[i]! + ((a + up) >> 1); break;
        case 4: {
          const pa = Math.abs(up - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + up - 2 * c);
          v = src[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? up : c);
          break;
        }
        default: bad('bad PNG filter');
      }
      row[i] = v & 0xff;
    }
  }
  // Sample reader (any depth) scaled to 8 bits.
  const sample = (y: number, x: number, ch: number): number => {
    const idx = x * channels + ch;
    const off = y * rowBytes;
    if (depth === 8) return px[off + idx]!;
    if (depth === 16) return px[off + 2 * idx]!;
    const bitPos = idx * depth;
    const v = (px[off + (bitPos >> 3)]! >> (8 - depth - (bitPos & 7))) & ((1 << depth) - 1);
    return ctype === 3 ? v : Math.round((v * 255) / ((1 << depth) - 1));
  };
  const rawSample = (y: number, x: number, ch: number): number => {
    const idx = x * channels + ch;
    const off = y * rowBytes;
    if (depth === 16) return (px[off + 2 * idx]! << 8) | px[off + 2 * idx + 1]!;
    if (depth === 8) return px[off + idx]!;
    const bitPos = idx * depth;
    return (px[off + (bitPos >> 3)]! >> (8 - depth - (bitPos & 7))) & ((1 << depth) - 1);
  };
  const gray = ctype === 0 || ctype === 4;
  const outCh = gray ? 1 : 3;
  const color = new Uint8Array(width * height * outCh);
  const alpha = new Uint8Array(width * height);
  let hasAlpha = false;
  const trnsGray = ctype === 0 && trns && trns.length >= 2 ? (trns[0]! << 8) | trns[1]! : -1;
  const trnsRgb = ctype === 2 && trns && trns.length >= 6 ? [(trns[0]! << 8) | trns[1]!, (trns[2]! << 8) | trns[3]!, (trns[4]! << 8) | trns[5]!] : undefined;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let a = 255;
      if (ctype === 3) {
        const k = sample(y, x, 0);
        color[3 * i] = palette![3 * k] ?? 0;
        color[3 * i + 1] = palette![3 * k + 1] ?? 0;
        color[3 * i + 2] = palette![3 * k + 2] ?? 0;
        if (trns && k < trns.length) a = trns[k]!;
      } else if (gray) {
        color[i] = sample(y, x, 0);
        if (ctype === 4) a = sample(y, x, 1);
        else if (trnsGray >= 0 && rawSample(y, x, 0) === trnsGray) a = 0;
      } else {
        color[3 * i] = sample(y, x, 0);
        color[3 * i + 1] = sample(y, x, 1);
        color[3 * i + 2] = sample(y, x, 2);
        if (ctype === 6) a = sample(y, x, 3);
        else if (trnsRgb && rawSample(y, x, 0) === trnsRgb[0] && rawSample(y, x, 1) === trnsRgb[1] && rawSample(y, x, 2) === trnsRgb[2]) a = 0;
      }
      alpha[i] = a;
      if (a !== 255) hasAlpha = true;
    }
  }
  const base = (cs: string, data: Uint8Array) => new PdfStream(imageDict(width, height, cs, 'FlateDecode'), deflateSync(data));
  const image = base(gray ? 'DeviceGray' : 'DeviceRGB', color);
  return hasAlpha ? { width, height, image, smask: base('DeviceGray', alpha) } : { width, height, image };
}
