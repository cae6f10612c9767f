/**
 * Seal an OFD document with a GB/T 38540 seal (GB/T 33190 §18 electronic signature, Type="Seal").
 *
 * Adds Doc_N/Signs/Sign_k/Signature.xml (SM3 digests of every package part except Signatures.xml
 * and the new signature's own files, a StampAnnot placing the seal picture) and SignedValue.dat
 * (an SES_Signature whose data hash is SM3 of that Signature.xml), registers it in Signatures.xml
 * (created, and linked from OFD.xml, for the first signature). Existing parts other than
 * Signatures.xml (and OFD.xml for a first signature) are copied unchanged, so earlier signatures
 * stay valid.
 */
import { SealError } from '../errors/index.js';
import type { Signer } from '../signer/signer.js';
import type { Timestamper } from '../tsa/timestamper.js';
import { normalisePackagePath, readOfdZip, writeOfdZip, type OfdZipLimits } from './ofd-zip.js';
import { signSes } from './ses-create.js';
import { sm3 } from './sm2.js';
import { child, childrenNamed, findAll, parseXml } from './xml.js';

export interface SignOfdOptions {
  /** The SES_Seal (DER) to seal with. */
  seal: Uint8Array;
  /** The seal holder's SM2 Signer (its certificate must be in the seal's list). */
  signer: Signer;
  /** 1-based page for the visible stamp (default 1). */
  page?: number;
  /** Stamp box [x, y, width, height] in millimetres from the page's top-left (default [20, 20, 40, 40]). */
  boundary?: readonly [number, number, number, number];
  /** Signing time (default now). */
  time?: Date;
  timestamper?: Timestamper;
  limits?: Partial<OfdZipLimits>;
}

const OFD_NS = 'http://www.ofdspec.org/2016';
const enc = new TextEncoder();
const dec = new TextDecoder();

function xmlText(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

function prefixOf(name: string): string {
  const i = name.indexOf(':');
  return i === -1 ? '' : name.slice(0, i + 1);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** OFD ST_TimeStamp-like text, e.g. 2026-01-01 08:00:00 (UTC). */
function ofdTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i === -1 ? '' : p.slice(0, i);
}

export async function signOfd(bytes: Uint8Array, opts: SignOfdOptions): Promise<Uint8Array> {
  const files = readOfdZip(bytes, opts.limits);
  const ofdBytes = files.get('OFD.xml');
  if (ofdBytes === undefined) throw new SealError('ERR_INPUT_INVALID', 'OFD: missing OFD.xml');
  const ofd = parseXml(ofdBytes);
  if (ofd.local !== 'OFD') throw new SealError('ERR_INPUT_INVALID', 'OFD: OFD.xml has no OFD root element');
  const p = prefixOf(ofd.name);
  const body = childrenNamed(ofd, 'DocBody')[0];
  const docRootLoc = body === undefined ? undefined : child(body, 'DocRoot')?.text.trim();
  if (body === undefined || docRootLoc === undefined || docRootLoc === '') throw new SealError('ERR_INPUT_INVALID', 'OFD: no DocBody/DocRoot');
  const docPath = normalisePackagePath(docRootLoc, '');
  const docBytes = files.get(docPath);
  if (docBytes === undefined) throw new SealError('ERR_INPUT_INVALID', `OFD: missing ${docPath}`);
  const docDir = dirOf(docPath);

  // The page to stamp.
  const pages = findAll(parseXml(docBytes), 'Page').filter((e) => e.attrs['ID'] !== undefined);
  const pageNo = opts.page ?? 1;
  const page = pages[pageNo - 1];
  if (!Number.isInteger(pageNo) || page === undefined) throw new SealError('ERR_INPUT_INVALID', `OFD: no page ${pageNo}`);
  const box = opts.boundary ?? [20, 20, 40, 40];
  if (box.length !== 4 || box.some((v) => !Number.isFinite(v)) || box[2] <= 0 || box[3] <= 0) {
    throw new SealError('ERR_INPUT_INVALID', 'OFD: bad stamp boundary');
  }

  // Signatures.xml: existing or new (and then linked from OFD.xml).
  const existingLoc = child(body, 'Signatures')?.text.trim();
  let sigsPath: string;
  let sigsXml: string;
  let nextId = 1;
  const newFiles = new Map(files);
  if (existingLoc !== undefined && existingLoc !== '') {
    sigsPath = normalisePackagePath(existingLoc, '');
    const sb = files.get(sigsPath);
    if (sb === undefined) throw new SealError('ERR_INPUT_INVALID', `OFD: missing ${sigsPath}`);
    const sx = parseXml(sb);
    for (const s of childrenNamed(sx, 'Signature')) {
      const n = Number(s.attrs['ID']);
      if (Number.isInteger(n) && n >= nextId) nextId = n + 1;
    }
    const max = Number(child(sx, 'MaxSignId')?.text.trim());
    if (Number.isInteger(max) && max >= nextId) nextId = max + 1;
    sigsXml = dec.decode(sb);
  } else {
    sigsPath = `${docDir === '' ? '' : `${docDir}/`}Signs/Signatures.xml`;
    sigsXml = `<?xml version="1.0" encoding="UTF-8"?><${p}Signatures xmlns${p === '' ? '' : `:${p.slice(0, -1)}`}="${OFD_NS}"><${p}MaxSignId>0</${p}MaxSignId></${p}Signatures>`;
    const ofdText = dec.decode(ofdBytes);
    const close = `</${p}DocBody>`;
    const at = ofdText.indexOf(close);
    if (at === -1) throw new SealError('ERR_INPUT_INVALID', 'OFD: cannot place the Signatures link');
    newFiles.set('OFD.xml', enc.encode(`${ofdText.slice(0, at)}<${p}Signatures>${xmlText(sigsPath)}</${p}Signatures>${ofdText.slice(at)}`));
  }
  const signsDir = dirOf(sigsPath);
  let k = 0;
  while ([...files.keys()].some((f) => f.startsWith(`${signsDir}/Sign_${k}/`))) k++;
  const signDir = `${signsDir}/Sign_${k}`;
  const sigXmlPath = `${signDir}/Signature.xml`;
  const svPath = `${signDir}/SignedValue.dat`;

  // References: every part except Signatures.xml and the new signature's own files.
  const refs = [...newFiles.entries()]
    .filter(([name]) => name !== sigsPath)
    .map(([name, data]) => `<${p}Reference FileRef="/${xmlText(name)}"><${p}CheckValue>${Buffer.from(sm3(data)).toString('base64')}</${p}CheckValue></${p}Reference>`)
    .join('');
  const time = opts.time ?? new Date();
  const nsDecl = `xmlns${p === '' ? '' : `:${p.slice(0, -1)}`}="${OFD_NS}"`;
  const signatureXml = enc.encode(
    `<?xml version="1.0" encoding="UTF-8"?><${p}Signature ${nsDecl}><${p}SignedInfo>` +
      `<${p}Provider ProviderName="seal-service" Company="seal-service" Version="1.0"/>` +
      `<${p}SignatureMethod>1.2.156.10197.1.501</${p}SignatureMethod>` +
      `<${p}SignatureDateTime>${ofdTime(time)}</${p}SignatureDateTime>` +
      `<${p}References CheckMethod="1.2.156.10197.1.401">${refs}</${p}References>` +
      `<${p}StampAnnot ID="${nextId}" PageRef="${xmlText(page.attrs['ID']!)}" Boundary="${box.join(' ')}"/>` +
      `</${p}SignedInfo><${p}SignedValue>/${xmlText(svPath)}</${p}SignedValue></${p}Signature>`,
  );
  const signedValue = await signSes({
    seal: opts.seal,
    signer: opts.signer,
    data: signatureXml,
    propertyInfo: `/${sigXmlPath}`,
    time,
    ...(opts.timestamper ? { timestamper: opts.timestamper } : {}),
  });
  const entry = `<${p}Signature ID="${nextId}" Type="Seal" BaseLoc="/${xmlText(sigXmlPath)}"/>`;
  const closeSigs = `</${p}Signatures>`;
  const ci = sigsXml.lastIndexOf(closeSigs);
  if (ci === -1) throw new SealError('ERR_INPUT_INVALID', 'OFD: cannot add to Signatures.xml');
  let updated = `${sigsXml.slice(0, ci)}${entry}${sigsXml.slice(ci)}`;
  const maxRe = new RegExp(`(<${p}MaxSignId>)[^<]*(</${p}MaxSignId>)`);
  updated = maxRe.test(updated) ? updated.replace(maxRe, `$1${nextId}$2`) : updated;
  newFiles.set(sigsPath, enc.encode(updated));
  newFiles.set(sigXmlPath, signatureXml);
  newFiles.set(svPath, signedValue);
  return writeOfdZip(newFiles);
}
