/**
 * Test helpers that read what a sealed PDF carries, with a plain parse of its newest revision:
 * the signature dictionaries (to hand their bytes to openssl) and the DSS streams.
 */
import { parsePdf } from '../parser/document.js';
import { PdfRef, PdfStream, PdfString, isArray } from '../parser/objects.js';

export interface SignatureDict {
  /** /Type: Sig or DocTimeStamp (undefined when absent). */
  type: string | undefined;
  subFilter: string | undefined;
  /** /Contents as stored: the DER and its zero padding. */
  contents: Uint8Array;
  byteRange: number[];
}

/** The signature dictionaries, in the order of their /Contents in the file. */
export function signatureDicts(bytes: Uint8Array): SignatureDict[] {
  const doc = parsePdf(bytes);
  const out: SignatureDict[] = [];
  for (const num of doc.objectNumbers()) {
    let d;
    try {
      d = doc.resolveDict(doc.getObject(new PdfRef(num, 0))?.value);
    } catch {
      continue;
    }
    if (!d || !d.has('ByteRange')) continue;
    const c = doc.resolve(d.get('Contents'));
    const br = doc.resolve(d.get('ByteRange'));
    if (!(c instanceof PdfString) || !isArray(br)) continue;
    out.push({ type: d.getName('Type'), subFilter: d.getName('SubFilter'), contents: c.bytes, byteRange: br.map((x) => doc.resolve(x) as number) });
  }
  return out.sort((a, b) => a.byteRange[2]! - b.byteRange[2]!);
}

/** The bytes a signature's /ByteRange covers. */
export function signedBytes(pdf: Uint8Array, s: SignatureDict): Uint8Array {
  const [a, b, c, d] = s.byteRange as [number, number, number, number];
  return Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]);
}

/** The decoded streams of the document's DSS and its VRI keys; throws when there is no DSS. */
export function dssStreams(bytes: Uint8Array): { certs: Uint8Array[]; crls: Uint8Array[]; ocsps: Uint8Array[]; vri: string[] } {
  const doc = parsePdf(bytes);
  const dss = doc.resolveDict(doc.catalog().get('DSS'));
  if (!dss) throw new Error('no DSS');
  const take = (k: string): Uint8Array[] => {
    const a = doc.resolve(dss.get(k));
    return isArray(a) ? a.map((r) => doc.resolve(r)).filter((s): s is PdfStream => s instanceof PdfStream).map((s) => doc.decode(s)) : [];
  };
  const vri = doc.resolveDict(dss.get('VRI'));
  return { certs: take('Certs'), crls: take('CRLs'), ocsps: take('OCSPs'), vri: vri ? [...vri.keys()] : [] };
}
