/**
 * The visible seal's appearance: a form XObject showing the seal picture (aspect ratio kept,
 * centred), optionally a QR code (e.g. a verification URL) at the right-hand side of the
 * rectangle, or, without a picture, a red frame with the signer's name. Plain data in; objects
 * are added through the update's `add`.
 */
import QRCode from 'qrcode';
import { InputInvalidError } from '../../errors/index.js';
import { PdfDict, PdfName, PdfRef, PdfStream } from '../parser/objects.js';
import { serializeNumber } from '../writer/serialize.js';
import { imageXObject } from './image.js';

export interface SealAppearanceOptions {
  /** PNG or JPEG bytes of the seal picture. */
  image?: Uint8Array;
  /** Text to encode as a QR code beside the picture (e.g. a verification URL). */
  qr?: string;
  /** Caption used when there is no picture (e.g. the signer's name). */
  text?: string;
  /** The page's /Rotate: the form is counter-rotated (/Matrix) so the seal reads upright. */
  rotate?: number;
}

export interface ObjectSink {
  add(value: PdfStream | PdfDict): PdfRef;
}

const n = serializeNumber;

/** Build the appearance form XObject for a w x h widget; returns its reference. */
export function buildSealAppearance(sink: ObjectSink, rectW: number, rectH: number, opts: SealAppearanceOptions): PdfRef {
  const rotate = opts.rotate ?? 0;
  // On a page shown rotated by 90/270 degrees the seal is drawn in the swapped box and turned by
  // /Matrix; the reader fits the turned box into the widget rectangle (ISO 32000-2 §12.5.5).
  const quarter = rotate === 90 || rotate === 270;
  const w = quarter ? rectH : rectW;
  const h = quarter ? rectW : rectH;
  let content = '';
  const xobjects = new PdfDict();
  const fonts = new PdfDict();
  let picW = w;
  if (opts.qr !== undefined) {
    if (opts.qr.length === 0 || opts.qr.length > 1024) throw new InputInvalidError('QR text must be 1..1024 characters');
    const side = Math.min(w, h);
    picW = opts.image || opts.text ? Math.max(0, w - side) : 0;
    content += qrContent(opts.qr, w - side, (h - side) / 2, side);
  }
  if (opts.image && picW > 0) {
    const img = imageXObject(opts.image);
    let imageDict = img.image.dict;
    if (img.smask) imageDict = imageDict.with('SMask', sink.add(img.smask));
    const ref = sink.add(new PdfStream(imageDict, img.image.raw));
    xobjects.map.set('Im0', ref);
    const scale = Math.min(picW / img.width, h / img.height);
    const dw = img.width * scale;
    const dh = img.height * scale;
    content += `q ${n(dw)} 0 0 ${n(dh)} ${n((picW - dw) / 2)} ${n((h - dh) / 2)} cm /Im0 Do Q\n`;
  } else if (!opts.image && picW > 0) {
    const text = (opts.text ?? 'Sealed').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
    const { size, lines } = fitText(text, picW - 8, h - 8);
    fonts.map.set('F1', new PdfDict([
      ['Type', PdfName.of('Font')],
      ['Subtype', PdfName.of('Type1')],
      ['BaseFont', PdfName.of('Helvetica')],
      ['Encoding', PdfName.of('WinAnsiEncoding')],
    ]));
    const lead = size * 1.2;
    const top = h / 2 + (lines.length * lead) / 2 - size;
    content += `q 0.8 0 0 RG 0.8 0 0 rg 2 w 1 1 ${n(Math.max(0, picW - 2))} ${n(Math.max(0, h - 2))} re S BT /F1 ${n(size)} Tf ${n(lead)} TL 4 ${n(top)} Td\n`;
    for (const line of lines) content += `(${line.replace(/([()\\])/g, '\\$1')}) Tj T*\n`;
    content += 'ET Q\n';
  }
  const resources = new PdfDict();
  if (xobjects.size) resources.map.set('XObject', xobjects);
  if (fonts.size) resources.map.set('Font', fonts);
  let formDict = new PdfDict([
    ['Type', PdfName.of('XObject')],
    ['Subtype', PdfName.of('Form')],
    ['BBox', [0, 0, w, h]],
    ['Resources', resources],
  ]);
  const matrix: Record<number, number[]> = { 90: [0, 1, -1, 0, 0, 0], 180: [-1, 0, 0, -1, 0, 0], 270: [0, -1, 1, 0, 0, 0] };
  if (matrix[rotate]) formDict = formDict.with('Matrix', matrix[rotate]);
  const form = new PdfStream(formDict, Buffer.from(content, 'latin1'));
  return sink.add(form);
}

/** Largest font size (4..h/3) at which `text`, word-wrapped, fits a w x h box (Helvetica ~0.55 em per char). */
function fitText(text: string, w: number, h: number): { size: number; lines: string[] } {
  const words = text.split(/\s+/).filter(Boolean);
  for (let size = Math.max(4, Math.floor(h / 3)); size >= 4; size--) {
    const maxChars = Math.max(1, Math.floor(w / (0.55 * size)));
    const lines: string[] = [];
    let cur = '';
    for (const word of words) {
      for (let piece = word; piece.length; piece = piece.slice(maxChars)) {
        const part = piece.slice(0, maxChars);
        if (!cur) cur = part;
        else if (cur.length + 1 + part.length <= maxChars) cur += ` ${part}`;
        else {
          lines.push(cur);
          cur = part;
        }
      }
    }
    if (cur) lines.push(cur);
    if (lines.length * size * 1.2 <= h) return { size, lines };
  }
  return { size: 4, lines: [text.slice(0, Math.max(1, Math.floor(w / 2.2)))] };
}

function qrContent(text: string, x: number, y: number, side: number): string {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const quiet = 2;
  const unit = side / (size + 2 * quiet);
  let s = `q 1 1 1 rg ${n(x)} ${n(y)} ${n(side)} ${n(side)} re f 0 0 0 rg ${n(unit)} 0 0 ${n(unit)} ${n(x + quiet * unit)} ${n(y + quiet * unit)} cm\n`;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      if (qr.modules.get(r, c)) s += `${c} ${size - 1 - r} 1 1 re\n`;
    }
  }
  return `${s}f Q\n`;
}
