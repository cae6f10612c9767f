/**
 * Stream decoding for what the parser itself needs (xref streams, object streams) and for
 * callers that want decoded content: FlateDecode with PNG/TIFF predictors, ASCIIHexDecode,
 * ASCII85Decode, RunLengthDecode. Output size is capped to stop decompression bombs.
 */
import { inflateRawSync, inflateSync, constants as zc } from 'node:zlib';
import { PdfMalformedError, SealError } from '../../errors/index.js';
import { PdfDict, PdfName, isArray, isDict, isInt, type PdfObject, type PdfStream } from './objects.js';

/** Default cap on one decoded stream (bytes). */
export const DEFAULT_MAX_DECODED = 64 * 1024 * 1024;

export interface DecodeOptions {
  /** Cap on the decoded size in bytes (default 64 MiB). */
  maxOutput?: number;
  /** Resolve indirect /Filter or /DecodeParms entries. */
  deref?: (o: PdfObject | undefined) => PdfObject | undefined;
}

/** Decode a stream's data through its /Filter chain. Throws PdfMalformedError on bad or unsupported data. */
export function decodeStream(stream: PdfStream, opts: DecodeOptions = {}): Uint8Array {
  const deref = opts.deref ?? ((o) => o);
  const max = opts.maxOutput ?? DEFAULT_MAX_DECODED;
  const f = deref(stream.dict.get('Filter'));
  const p = deref(stream.dict.get('DecodeParms') ?? stream.dict.get('DP'));
  const filters: PdfObject[] = f === undefined || f === null ? [] : isArray(f) ? f.map((x) => deref(x) ?? null) : [f];
  const parms: PdfObject[] = isArray(p) ? p.map((x) => deref(x) ?? null) : [p ?? null];
  if (filters.length > 8) throw new PdfMalformedError('malformed PDF: too many stream filters');
  let data = stream.raw;
  filters.forEach((filter, i) => {
    if (!(filter instanceof PdfName)) throw new PdfMalformedError('malformed PDF: stream filter is not a name');
    const parm = parms[i];
    data = applyFilter(filter.name, data, isDict(parm) ? parm : undefined, max);
  });
  return data;
}

function applyFilter(name: string, data: Uint8Array, parms: PdfDict | undefined, max: number): Uint8Array {
  switch (name) {
    case 'FlateDecode':
    case 'Fl':
      return predict(inflate(data, max), parms, max);
    case 'ASCIIHexDecode':
    case 'AHx':
      return asciiHex(data);
    case 'ASCII85Decode':
    case 'A85':
      return ascii85(data, max);
    case 'RunLengthDecode':
    case 'RL':
      return runLength(data, max);
    default:
      throw new PdfMalformedError(`malformed PDF: unsupported stream filter ${name}`);
  }
}

/** zlib inflate with an output cap; truncated or trailing-garbage streams give what decodes (as readers do). */
export function inflate(data: Uint8Array, max: number): Uint8Array {
  try {
    return inflateSync(data, { maxOutputLength: max, finishFlush: zc.Z_SYNC_FLUSH });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || (err instanceof RangeError && /maxOutputLength|larger/.test(err.message))) {
      throw new SealError('ERR_INPUT_TOO_LARGE', 'PDF stream decodes to more than the allowed size');
    }
    // Raw deflate without a zlib header is seen in the wild.
    try {
      return inflateRawSync(data, { maxOutputLength: max, finishFlush: zc.Z_SYNC_FLUSH });
    } catch {
      throw new PdfMalformedError('malformed PDF: corrupt Flate stream');
    }
  }
}

function predict(data: Uint8Array, parms: PdfDict | undefined, max: number): Uint8Array {
  if (!parms) return data;
  const pred = parms.get('Predictor');
  const predictor = isInt(pred) ? pred : 1;
  if (predictor === 1) return data;
  const colorsV = parms.get('Colors');
  const bpcV = parms.get('BitsPerComponent');
  const colsV = parms.get('Columns');
  const colors = isInt(colorsV) ? colorsV : 1;
  const bpc = isInt(bpcV) ? bpcV : 8;
  const columns = isInt(colsV) ? colsV : 1;
  if (colors < 1 || colors > 32 || ![1, 2, 4, 8, 16].includes(bpc) || columns < 1 || columns > 1 << 20) {
    throw new PdfMalformedError('malformed PDF: bad predictor parameters');
  }
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLen = Math.ceil((colors * bpc * columns) / 8);
  if (predictor === 2) {
    if (bpc !== 8) throw new PdfMalformedError('malformed PDF: TIFF predictor supported only for 8-bit components');
    const out = Uint8Array.from(data);
    for (let r = 0; r + rowLen <= out.length; r += rowLen) {
      for (let i = bpp; i < rowLen; i++) out[r + i] = (out[r + i]! + out[r + i - bpp]!) & 0xff;
    }
    return out;
  }
  if (predictor < 10) throw new PdfMalformedError(`malformed PDF: unknown predictor ${predictor}`);
  const rows = Math.floor(data.length / (rowLen + 1));
  if (rows * rowLen > max) throw new SealError('ERR_INPUT_TOO_LARGE', 'PDF stream decodes to more than the allowed size');
  const out = new Uint8Array(rows * rowLen);
  let prev = new Uint8Array(rowLen);
  for (let r = 0; r < rows; r++) {
    const inOff = r * (rowLen + 1);
    const type = data[inOff]!;
    const row = out.subarray(r * rowLen, (r + 1) * rowLen);
    const src = data.subarray(inOff + 1, inOff + 1 + rowLen);
    switch (type) {
      case 0:
        row.set(src);
        break;
      case 1:
        for (let i = 0; i < rowLen; i++) row[i] = (src[i]! + (i >= bpp ? row[i - bpp]! : 0)) & 0xff;
        break;
      case 2:
        for (let i = 0; i < rowLen; i++) row[i] = (src[i]! + prev[i]!) & 0xff;
        break;
      case 3:
        for (let i = 0; i < rowLen; i++) row[i] = (src[i]! + (((i >= bpp ? row[i - bpp]! : 0) + prev[i]!) >> 1)) & 0xff;
        break;
      case 4:
        for (let i = 0; i < rowLen; i++) {
          const a = i >= bpp ? row[i - bpp]! : 0;
          const b = prev[i]!;
          const c = i >= bpp ? prev[i - bpp]! : 0;
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          row[i] = (src[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
        }
        break;
      default:
        throw new PdfMalformedError(`malformed PDF: bad PNG predictor row type ${type}`);
    }
    prev = row;
  }
  return out;
}

function asciiHex(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((data.length >> 1) + 1);
  let n = 0;
  let hi = -1;
  for (const c of data) {
    if (c === 0x3e) break;
    if (c === 0 || c === 9 || c === 10 || c === 12 || c === 13 || c === 32) continue;
    const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (v < 0) throw new PdfMalformedError('malformed PDF: bad ASCIIHex data');
    if (hi < 0) hi = v;
    else {
      out[n++] = (hi << 4) | v;
      hi = -1;
    }
  }
  if (hi >= 0) out[n++] = hi << 4;
  return out.subarray(0, n);
}

function ascii85(data: Uint8Array, max: number): Uint8Array {
  const out: number[] = [];
  const group: number[] = [];
  const flush = (n: number) => {
    let v = 0;
    for (let i = 0; i < 5; i++) v = v * 85 + (i < group.length ? group[i]! : 84);
    for (let i = 0; i < n; i++) out.push((v >>> (24 - 8 * i)) & 0xff);
  };
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === 0x7e) break; // '~>'
    if (c <= 32) continue;
    if (c === 0x7a && group.length === 0) {
      out.push(0, 0, 0, 0);
    } else {
      if (c < 0x21 || c > 0x75) throw new PdfMalformedError('malformed PDF: bad ASCII85 data');
      group.push(c - 0x21);
      if (group.length === 5) {
        flush(4);
        group.length = 0;
      }
    }
    if (out.length > max) throw new SealError('ERR_INPUT_TOO_LARGE', 'PDF stream decodes to more than the allowed size');
  }
  if (group.length > 1) flush(group.length - 1);
  return Uint8Array.from(out);
}

function runLength(data: Uint8Array, max: number): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    const len = data[i++]!;
    if (len === 128) break;
    if (len < 128) {
      for (let k = 0; k <= len && i < data.length; k++) out.push(data[i++]!);
    } else {
      const b = data[i++] ?? 0;
      for (let k = 0; k < 257 - len; k++) out.push(b);
    }
    if (out.length > max) throw new SealError('ERR_INPUT_TOO_LARGE', 'PDF stream decodes to more than the allowed size');
  }
  return Uint8Array.from(out);
}
