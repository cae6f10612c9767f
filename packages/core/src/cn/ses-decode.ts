/**
 * Decode SES_Seal and SES_Signature: GM/T 0031-2014 (v1), GB/T 38540-2020 (v4) and the ofdrw
 * "version 5" layout (the v4 layout with header version 5 and an optional [0] time-stamp).
 * Every malformed field throws ERR_ASN1_INVALID; nothing is verified here.
 */
import {
  asn1Error,
  derSequence,
  expectTag,
  parseDer,
  readBitString,
  readOctets,
  readOid,
  readSequence,
  readSmallInt,
  readString,
  readTime,
  TAG,
  type DerNode,
} from './der.js';
import type { SesCertDigest, SesExtension, SesHeader, SesLayout, SesPicture, SesSeal, SesSealInfo, SesSignature } from './ses-types.js';

/** Inputs larger than this are refused before parsing. */
export const SES_MAX_BYTES = 8 * 1024 * 1024;

function checkSize(bytes: Uint8Array): void {
  if (bytes.length > SES_MAX_BYTES) throw asn1Error('SES object too large');
}

function decodeHeader(node: DerNode | undefined): SesHeader {
  const f = readSequence(node, 'SES_Header', 3, 3);
  const id = readString(f[0], 'header.ID', [TAG.IA5_STRING]);
  if (id !== 'ES') throw asn1Error('SES_Header.ID is not "ES"');
  return { id, version: readSmallInt(f[1], 'header.version'), vid: readString(f[2], 'header.Vid', [TAG.IA5_STRING, TAG.PRINTABLE_STRING, TAG.UTF8_STRING]) };
}

function decodePicture(node: DerNode | undefined): SesPicture {
  const f = readSequence(node, 'SES_ESPictrueInfo', 4, 4);
  return {
    type: readString(f[0], 'picture.type', [TAG.IA5_STRING, TAG.PRINTABLE_STRING, TAG.UTF8_STRING]),
    data: readOctets(f[1], 'picture.data'),
    width: readSmallInt(f[2], 'picture.width'),
    height: readSmallInt(f[3], 'picture.height'),
  };
}

function decodeExtensions(node: DerNode | undefined): SesExtension[] {
  if (node === undefined) return [];
  // ExtensionDatas may appear bare or as [0] EXPLICIT.
  const seq = node.tag === 0xa0 ? node.children[0] : node;
  return readSequence(seq, 'ExtensionDatas').map((e) => {
    const x = readSequence(e, 'ExtData', 2, 3);
    const hasCrit = x.length === 3;
    const critical = hasCrit ? expectTag(x[1], TAG.BOOLEAN, 'ExtData.critical').content[0] !== 0 : false;
    return { oid: readOid(x[0], 'ExtData.extnID'), critical, value: readOctets(x[hasCrit ? 2 : 1], 'ExtData.extnValue') };
  });
}

function decodeCertList(node: DerNode | undefined, listType: number): { certs: Uint8Array[]; certDigests: SesCertDigest[] } {
  const items = readSequence(node, 'certList');
  if (listType === 1) return { certs: items.map((c, i) => readOctets(c, `certList[${i}]`)), certDigests: [] };
  return {
    certs: [],
    certDigests: items.map((c, i) => {
      const d = readSequence(c, `certDigestList[${i}]`, 2, 2);
      return { type: readString(d[0], 'CertDigestObj.type'), value: readOctets(d[1], 'CertDigestObj.value') };
    }),
  };
}

function decodeSealInfo(node: DerNode | undefined, layout: SesLayout): SesSealInfo {
  const f = readSequence(node, 'SES_SealInfo', 4, 5);
  const header = decodeHeader(f[0]);
  const esId = readString(f[1], 'esID', [TAG.IA5_STRING, TAG.PRINTABLE_STRING, TAG.UTF8_STRING]);
  let p: readonly DerNode[];
  let certListType: 1 | 2 = 1;
  let lists: { certs: Uint8Array[]; certDigests: SesCertDigest[] };
  if (layout === 'v1') {
    p = readSequence(f[2], 'SES_ESPropertyInfo', 6, 6);
    lists = decodeCertList(p[2], 1);
    p = [p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!];
  } else {
    const q = readSequence(f[2], 'SES_ESPropertyInfo', 7, 7);
    const lt = readSmallInt(q[2], 'certListType');
    if (lt !== 1 && lt !== 2) throw asn1Error('certListType must be 1 or 2');
    certListType = lt;
    lists = decodeCertList(q[3], lt);
    p = [q[0]!, q[1]!, q[3]!, q[4]!, q[5]!, q[6]!];
  }
  const validStart = readTime(p[4], 'validStart');
  const validEnd = readTime(p[5], 'validEnd');
  return {
    header,
    esId,
    type: readSmallInt(p[0], 'property.type'),
    name: readString(p[1], 'property.name'),
    certListType,
    certs: lists.certs,
    certDigests: lists.certDigests,
    createDate: readTime(p[3], 'createDate'),
    validStart,
    validEnd,
    picture: decodePicture(f[3]),
    extensions: decodeExtensions(f[4]),
    raw: node!.raw,
  };
}

/** Decode an SES_Seal from a parsed DER node (used for seals embedded in signatures). */
export function decodeSesSealNode(node: DerNode): SesSeal {
  const top = readSequence(node, 'SES_Seal', 2, 5);
  if (top.length === 2 && top[1]!.tag === TAG.SEQUENCE) {
    // GM/T 0031-2014: SEQUENCE { sealInfo, signInfo SEQUENCE { cert, signatureAlgorithm, signData } }
    const sealInfo = decodeSealInfo(top[0], 'v1');
    const si = readSequence(top[1], 'SES_SignInfo', 3, 3);
    const makerCert = readOctets(si[0], 'signInfo.cert');
    const signatureAlgorithm = readOid(si[1], 'signInfo.signatureAlgorithm');
    return {
      layout: 'v1',
      version: sealInfo.header.version,
      sealInfo,
      makerCert,
      signatureAlgorithm,
      signature: readBitString(si[2], 'signInfo.signData'),
      signedBytes: derSequence([top[0]!.raw, si[0]!.raw, si[1]!.raw]),
      timestamp: null,
      raw: node.raw,
    };
  }
  if (top.length < 4) throw asn1Error('SES_Seal: wrong number of fields');
  const sealInfo = decodeSealInfo(top[0], 'v4');
  let timestamp: Uint8Array | null = null;
  if (top[4] !== undefined) {
    const t = expectTag(top[4], 0xa0, 'SES_Seal.timeStamp');
    timestamp = t.children.length === 1 && t.children[0]!.tag === TAG.BIT_STRING ? readBitString(t.children[0], 'timeStamp') : t.content;
  }
  return {
    layout: 'v4',
    version: sealInfo.header.version,
    sealInfo,
    makerCert: readOctets(top[1], 'SES_Seal.cert'),
    signatureAlgorithm: readOid(top[2], 'SES_Seal.signAlgID'),
    signature: readBitString(top[3], 'SES_Seal.signedValue'),
    signedBytes: top[0]!.raw,
    timestamp,
    raw: node.raw,
  };
}

export function decodeSesSeal(bytes: Uint8Array): SesSeal {
  checkSize(bytes);
  return decodeSesSealNode(parseDer(bytes));
}

export function decodeSesSignature(bytes: Uint8Array): SesSignature {
  checkSize(bytes);
  const top = readSequence(parseDer(bytes), 'SES_Signature', 2, 5);
  const tbs = readSequence(top[0], 'TBS_Sign', 5, 7);
  const version = readSmallInt(tbs[0], 'TBS_Sign.version');
  const seal = decodeSesSealNode(expectTag(tbs[1], TAG.SEQUENCE, 'TBS_Sign.eseal'));
  if (top.length === 2) {
    // GM/T 0031-2014: TBS_Sign { version, eseal, timeInfo BIT STRING, dataHash, propertyInfo, cert, signatureAlgorithm }, signature
    if (tbs.length !== 7) throw asn1Error('TBS_Sign (v1): wrong number of fields');
    const timeText = new TextDecoder().decode(readBitString(tbs[2], 'timeInfo'));
    const timeInfo = parseLooseTime(timeText);
    return {
      layout: 'v1',
      version,
      seal,
      timeInfo,
      dataHash: readBitString(tbs[3], 'dataHash'),
      propertyInfo: readString(tbs[4], 'propertyInfo'),
      signerCert: readOctets(tbs[5], 'cert'),
      signatureAlgorithm: readOid(tbs[6], 'signatureAlgorithm'),
      signature: readBitString(top[1], 'signature'),
      signedBytes: top[0]!.raw,
      timestamp: null,
      raw: bytes,
    };
  }
  if (top.length < 4) throw asn1Error('SES_Signature: wrong number of fields');
  let timestamp: Uint8Array | null = null;
  if (top[4] !== undefined) {
    const t = expectTag(top[4], 0xa0, 'SES_Signature.timeStamp');
    timestamp = t.children.length === 1 && t.children[0]!.tag === TAG.BIT_STRING ? readBitString(t.children[0], 'timeStamp') : t.content;
  }
  if (tbs[5] !== undefined) decodeExtensions(tbs[5]);
  return {
    layout: 'v4',
    version,
    seal,
    timeInfo: readTime(tbs[2], 'timeInfo'),
    dataHash: readBitString(tbs[3], 'dataHash'),
    propertyInfo: readString(tbs[4], 'propertyInfo'),
    signerCert: readOctets(top[1], 'cert'),
    signatureAlgorithm: readOid(top[2], 'signatureAlgID'),
    signature: readBitString(top[3], 'signature'),
    signedBytes: top[0]!.raw,
    timestamp,
    raw: bytes,
  };
}

/** v1 timeInfo is free text inside a BIT STRING: accept yyyyMMddHHmmss[Z] or ISO-like forms. */
function parseLooseTime(s: string): Date {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})(?:\.\d+)?Z?$/.exec(s.trim());
  if (m === null) throw asn1Error('TBS_Sign.timeInfo: unreadable time');
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  if (Number.isNaN(d.getTime())) throw asn1Error('TBS_Sign.timeInfo: unreadable time');
  return d;
}

/** Is this DER an SES_Signature (TBS_Sign starts with an INTEGER) rather than an SES_Seal? */
export function looksLikeSesSignature(bytes: Uint8Array): boolean {
  const top = readSequence(parseDer(bytes), 'SES object', 1);
  const first = top[0];
  return first !== undefined && first.tag === TAG.SEQUENCE && first.children[0]?.tag === TAG.INTEGER;
}
