/**
 * Bounded, path-safe reading of an OFD package (a ZIP file). Limits are checked on the
 * central directory before anything is inflated, and again on the inflated sizes, so a zip
 * bomb, a huge entry or a lying size field fails with a typed error instead of eating memory.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SealError } from '../errors/index.js';

export interface OfdZipLimits {
  /** Largest accepted .ofd file (default 100 MiB). */
  maxInputBytes: number;
  /** Most entries (default 10 000). */
  maxEntries: number;
  /** Largest single inflated entry (default 64 MiB). */
  maxEntryBytes: number;
  /** Sum of all inflated entries (default 256 MiB). */
  maxTotalBytes: number;
  /** Highest inflated/compressed ratio for entries over 1 MiB (default 200). */
  maxRatio: number;
}

export const DEFAULT_OFD_LIMITS: OfdZipLimits = {
  maxInputBytes: 100 * 1024 * 1024,
  maxEntries: 10_000,
  maxEntryBytes: 64 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxRatio: 200,
};

function invalid(message: string): SealError {
  return new SealError('ERR_INPUT_INVALID', `OFD: ${message}`);
}

function tooLarge(message: string): SealError {
  return new SealError('ERR_INPUT_TOO_LARGE', `OFD: ${message}`);
}

/**
 * Normalise a package path: forward slashes, no leading slash, no '.' segments; '..' that
 * would leave the package, backslashes, drive letters and NUL are refused.
 */
export function normalisePackagePath(p: string, baseDir = ''): string {
  if (p.includes('\\') || p.includes('\0') || /^[A-Za-z]:/.test(p)) throw invalid('unsafe path');
  const joined = p.startsWith('/') ? p : `${baseDir}/${p}`;
  const out: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) throw invalid('path leaves the package');
      out.pop();
    } else {
      out.push(seg);
    }
  }
  if (out.length === 0) throw invalid('empty path');
  return out.join('/');
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * Read all entries into memory within the limits. Keys are normalised paths (no leading '/').
 * Our own central-directory reader: sizes are checked before inflating, inflation is capped at
 * the declared size, and the inflated size and CRC-32 must match the header.
 */
export function readOfdZip(bytes: Uint8Array, limits: Partial<OfdZipLimits> = {}): Map<string, Uint8Array> {
  const lim = { ...DEFAULT_OFD_LIMITS, ...limits };
  if (bytes.length > lim.maxInputBytes) throw tooLarge('file too large');
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw invalid('not a ZIP package');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number): number => {
    if (o < 0 || o + 2 > bytes.length) throw invalid('corrupt ZIP package');
    return dv.getUint16(o, true);
  };
  const u32 = (o: number): number => {
    if (o < 0 || o + 4 > bytes.length) throw invalid('corrupt ZIP package');
    return dv.getUint32(o, true);
  };
  let eocd = -1;
  for (let e = bytes.length - 22; e >= 0 && bytes.length - e <= 65557; e--) {
    if (u32(e) === 0x06054b50) {
      eocd = e;
      break;
    }
  }
  if (eocd < 0) throw invalid('no ZIP end of central directory');
  const count = u16(eocd + 10);
  const cdSize = u32(eocd + 12);
  const cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) throw invalid('ZIP64 packages are not supported');
  if (count > lim.maxEntries) throw tooLarge('too many entries');
  if (cdOffset + cdSize > eocd) throw invalid('corrupt ZIP central directory');
  interface Entry { name: string; method: number; crc: number; csize: number; usize: number; local: number }
  const list: Entry[] = [];
  const names = new Set<string>();
  let total = 0;
  let o = cdOffset;
  const dec = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < count; i++) {
    if (u32(o) !== 0x02014b50) throw invalid('corrupt ZIP central directory');
    const flags = u16(o + 8);
    const method = u16(o + 10);
    const crc = u32(o + 16);
    const csize = u32(o + 20);
    const usize = u32(o + 24);
    const nameLen = u16(o + 28);
    const extraLen = u16(o + 30);
    const commentLen = u16(o + 32);
    const local = u32(o + 42);
    if (o + 46 + nameLen > bytes.length) throw invalid('corrupt ZIP central directory');
    let rawName: string;
    try {
      rawName = dec.decode(bytes.subarray(o + 46, o + 46 + nameLen));
    } catch {
      throw invalid('entry name is not UTF-8');
    }
    o += 46 + nameLen + extraLen + commentLen;
    if ((flags & 1) !== 0) throw invalid('encrypted entries are not supported');
    if (rawName.endsWith('/')) continue;
    const name = normalisePackagePath(rawName);
    if (names.has(name)) throw invalid('duplicate entry name');
    names.add(name);
    if (method !== 0 && method !== 8) throw invalid('unsupported compression method');
    if (usize > lim.maxEntryBytes) throw tooLarge('entry too large');
    if (method === 0 && csize !== usize) throw invalid('stored entry size mismatch');
    if (usize > 1024 * 1024 && usize > csize * lim.maxRatio) throw tooLarge('entry compression ratio too high');
    total += usize;
    if (total > lim.maxTotalBytes) throw tooLarge('package too large when inflated');
    list.push({ name, method, crc, csize, usize, local });
  }
  const out = new Map<string, Uint8Array>();
  for (const e of list) {
    if (u32(e.local) !== 0x04034b50) throw invalid('corrupt ZIP local header');
    const ln = u16(e.local + 26);
    const lx = u16(e.local + 28);
    const localName = bytes.subarray(e.local + 30, e.local + 30 + ln);
    if (normalisePackagePath(new TextDecoder().decode(localName)) !== e.name) throw invalid('local and central entry names differ');
    const start = e.local + 30 + ln + lx;
    if (start + e.csize > cdOffset) throw invalid('entry data overlaps the central directory');
    const comp = bytes.subarray(start, start + e.csize);
    let data: Uint8Array;
    if (e.method === 0) {
      data = comp;
    } else {
      try {
        data = new Uint8Array(inflateRawSync(comp, { maxOutputLength: Math.max(1, e.usize) }));
      } catch {
        throw invalid('entry does not inflate to its declared size');
      }
    }
    if (data.length !== e.usize) throw invalid('entry size does not match its header');
    if (crc32(data) !== e.crc) throw invalid('entry CRC-32 mismatch');
    out.set(e.name, data);
  }
  return out;
}

/**
 * Write an OFD package (ZIP, deflate, UTF-8 names, no ZIP64). Entries are written in the order
 * given; names are normalised like readOfdZip's keys. Used to build and re-pack OFD files.
 */
export function writeOfdZip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [rawName, data] of files) {
    const name = enc.encode(normalisePackagePath(rawName));
    const comp = new Uint8Array(deflateRawSync(data));
    const crc = crc32(data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, 0x0800, true);
    lv.setUint16(8, 8, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, comp.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, 8, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, comp.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, comp);
    centrals.push(central);
    offset += local.length + comp.length;
    if (offset > 0xfffffff0) throw tooLarge('package too large for a non-ZIP64 archive');
  }
  const cdSize = centrals.reduce((n, c) => n + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, centrals.length, true);
  ev.setUint16(10, centrals.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let o = 0;
  for (const part of [...locals, ...centrals, eocd]) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}
