/**
 * Decode SES_Seal and SES_Signature: GM/T 0031-2014 (v1), GB/T 38540-2020 (v4) and the ofdrw
 * "version 5" layout (the v4 layout with header version 5 and an optional [0] time-stamp).
 * Every malformed field throws ERR_ASN1_INVALID; nothing is verified here.
 */
import {
  type DerNode,
  STRICT_TREE,
  TAG,
  asn1Error,
  children,
  contentOf,
  decodeBitString,
  decodeOctetString,
  decodeOid,
  decodeSmallInt,
  decodeString,
  decodeTime,
  encodedOf,
  expectTag,
  fieldsOf,
  parseDer,
  seq,
} from '../asn1/der.js';
import type { SesCertDigest, SesExtension, SesHeader, SesLayout, SesPicture, SesSeal, SesSealInfo, SesSignature } from './ses-types.js';

/** Inputs larger than this are refused before parsing. */
export const SES_MAX_BYTES = 8 * 1024 * 1024;

function checkSize(bytes: Uint8Array): void {
  if (bytes.length > SES_MAX_BYTES) throw asn1Error('SES object too large');
}

function decodeHeader(node: DerNode | undefined): SesHeader {
  const f = fieldsOf(node, 'SES_Header', 3, 3);
  const id = decodeString(f[0], 'header.ID', [TAG.IA5_STRING]);
  if (id !== 'ES') throw asn1Error('SES_Header.ID is not "ES"');
  return { id, version: decodeSmallInt(f[1], 'header.version'), vid: decodeString(f[2], 'header.Vid', [TAG.IA5_STRING, TAG.PRINTABLE_STRING, TAG.UTF8_STRING]) };
}

function decodePicture(node: DerNode | undefined): SesPicture {
  const f = fieldsOf(node, 'SES_ESPictrueInfo', 4, 4);
  return {
    type: decodeString(f[0], 'picture.type', [TAG.IA5_STRING, TAG.PRINTABLE_STRING, TAG.UTF8_STRING]),
    data: decodeOctetString(f[1], 'picture.data'),
    width: decodeSmallInt(f[2], 'picture.width'),
    height: decodeSmallInt(f[3], 'picture.height'),
  };
}

function decodeExtensions(node: DerNode | undefined): SesExtension[] {
  if (node === undefined) return [];
  // ExtensionDatas may appear bare or as [0] EXPLICIT.
  const list = node.tag === 0xa0 ? children(node)[0] : node;
  return fieldsOf(list, 'ExtensionDatas').map((e) => {
    const x = fieldsOf(e, 'ExtData', 2, 3);
    const hasCrit = x.length === 3;
    const critical = hasCrit ? contentOf(expectTag(x[1], TAG.BOOLEAN, 'ExtData.critical'))[0] !== 0 : false;
    return { oid: decodeOid(x[0], 'ExtData.extnID'), critical, value: decodeOctetString(x[hasCrit ? 2 : 1], 'ExtData.extnValue') };
  });
}

function decodeCertList(node: DerNode | undefined, listType: number): { certs: Uint8Array[]; certDigests: SesCertDigest[] } {
  const items = fieldsOf(node, 'certList');
  if (listType === 1) return { certs: items.map((c, i) => decodeOctetString(c, `certList[${i}]`)), certDigests: [] };
  return {
    certs: [],
    certDigests: items.map((c, i) => {
      const d = fieldsOf(c, `certDigestList[${i}]`, 2, 2);
      return { type: decodeString(d[0], 'CertDigestObj.type'), value: decodeOctetString(d[1], 'CertDigestObj.value') };
    }),
  };
}

function decodeSealInfo(node: DerNode | undefined, layout: SesLayout): SesSealInfo {
  const f = fieldsOf(node, 'SES_SealInfo', 4, 5);
  const header = decodeHeader(f[0]);
  const esId = decodeString(f[1], 'esID', [TAG.IA5_STRING, TAG.PRINTABLE_STRING, TAG.UTF8_STRING]);
  let p: readonly DerNode[];
  let certListType: 1 | 2 = 1;
  let lists: { certs: Uint8Array[]; certDigests: SesCertDigest[] };
  if (layout === 'v1') {
    p = fieldsOf(f[2], 'SES_ESPropertyInfo', 6, 6);
    lists = decodeCertList(p[2], 1);
    p = [p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!];
  } else {
    const q = fieldsOf(f[2], 'SES_ESPropertyInfo', 7, 7);
    const lt = decodeSmallInt(q[2], 'certListType');
    if (lt !== 1 && lt !== 2) throw asn1Error('certListType must be 1 or 2');
    certListType = lt;
    lists = decodeCertList(q[3], lt);
    p = [q[0]!, q[1]!, q[3]!, q[4]!, q[5]!, q[6]!];
  }
  const validStart = decodeTime(p[4], 'validStart');
  const validEnd = decodeTime(p[5], 'validEnd');
  return {
    header,
    esId,
    type: decodeSmallInt(p[0], 'property.type'),
    name: decodeString(p[1], 'property.name'),
    certListType,
    certs: lists.certs,
    certDigests: lists.certDigests,
    createDate: decodeTime(p[3], 'createDate'),
    validStart,
    validEnd,
    picture: decodePicture(f[3]),
    extensions: decodeExtensions(f[4]),
    raw: encodedOf(node!),
  };
}

/** Decode an SES_Seal from a parsed DER node (used for seals embedded in signatures). */
export function decodeSesSealNode(node: DerNode): SesSeal {
  const top = fieldsOf(node, 'SES_Seal', 2, 5);
  if (top.length === 2 && top[1]!.tag === TAG.SEQUENCE) {
    // GM/T 0031-2014: SEQUENCE { sealInfo, signInfo SEQUENCE { cert, signatureAlgorithm, signData } }
    const sealInfo = decodeSealInfo(top[0], 'v1');
    const si = fieldsOf(top[1], 'SES_SignInfo', 3, 3);
    const makerCert = decodeOctetString(si[0], 'signInfo.cert');
    const signatureAlgorithm = decodeOid(si[1], 'signInfo.signatureAlgorithm');
    return {
      layout: 'v1',
      version: sealInfo.header.version,
      sealInfo,
      makerCert,
      signatureAlgorithm,
      signature: decodeBitString(si[2], 'signInfo.signData'),
      signedBytes: seq(encodedOf(top[0]!), encodedOf(si[0]!), encodedOf(si[1]!)),
      timestamp: null,
      raw: encodedOf(node),
    };
  }
  if (top.length < 4) throw asn1Error('SES_Seal: wrong number of fields');
  const sealInfo = decodeSealInfo(top[0], 'v4');
  let timestamp: Uint8Array | null = null;
  if (top[4] !== undefined) {
    const t = expectTag(top[4], 0xa0, 'SES_Seal.timeStamp');
    const inner = children(t);
    timestamp = inner.length === 1 && inner[0]!.tag === TAG.BIT_STRING ? decodeBitString(inner[0], 'timeStamp') : contentOf(t);
  }
  return {
    layout: 'v4',
    version: sealInfo.header.version,
    sealInfo,
    makerCert: decodeOctetString(top[1], 'SES_Seal.cert'),
    signatureAlgorithm: decodeOid(top[2], 'SES_Seal.signAlgID'),
    signature: decodeBitString(top[3], 'SES_Seal.signedValue'),
    signedBytes: encodedOf(top[0]!),
    timestamp,
    raw: encodedOf(node),
  };
}

export function decodeSesSeal(bytes: Uint8Array): SesSeal {
  checkSize(bytes);
  return decodeSesSealNode(parseDer(bytes, STRICT_TREE));
}

export function decodeSesSignature(bytes: Uint8Array): SesSignature {
  checkSize(bytes);
  const top = fieldsOf(parseDer(bytes, STRICT_TREE), 'SES_Signature', 2, 5);
  const tbs = fieldsOf(top[0], 'TBS_Sign', 5, 7);
  const version = decodeSmallInt(tbs[0], 'TBS_Sign.version');
  const seal = decodeSesSealNode(expectTag(tbs[1], TAG.SEQUENCE, 'TBS_Sign.eseal'));
  if (top.length === 2) {
    // GM/T 0031-2014: TBS_Sign { version, eseal, timeInfo BIT STRING, dataHash, propertyInfo, cert, signatureAlgorithm }, signature
    if (tbs.length !== 7) throw asn1Error('TBS_Sign (v1): wrong number of fields');
    const timeText = new TextDecoder().decode(decodeBitString(tbs[2], 'timeInfo'));
    const timeInfo = parseLooseTime(timeText);
    return {
      layout: 'v1',
      version,
      seal,
      timeInfo,
      dataHash: decodeBitString(tbs[3], 'dataHash'),
      propertyInfo: decodeString(tbs[4], 'propertyInfo'),
      signerCert: decodeOctetString(tbs[5], 'cert'),
      signatureAlgorithm: decodeOid(tbs[6], 'signatureAlgorithm'),
      signature: decodeBitString(top[1], 'signature'),
      signedBytes: encodedOf(top[0]!),
      timestamp: null,
      raw: bytes,
    };
  }
  if (top.length < 4) throw asn1Error('SES_Signature: wrong number of fields');
  let timestamp: Uint8Array | null = null;
  if (top[4] !== undefined) {
    const t = expectTag(top[4], 0xa0, 'SES_Signature.timeStamp');
    const inner = children(t);
    timestamp = inner.length === 1 && inner[0]!.tag === TAG.BIT_STRING ? decodeBitString(inner[0], 'timeStamp') : contentOf(t);
  }
  if (tbs[5] !== undefined) decodeExtensions(tbs[5]);
  return {
    layout: 'v4',
    version,
    seal,
    timeInfo: decodeTime(tbs[2], 'timeInfo'),
    dataHash: decodeBitString(tbs[3], 'dataHash'),
    propertyInfo: decodeString(tbs[4], 'propertyInfo'),
    signerCert: decodeOctetString(top[1], 'cert'),
    signatureAlgorithm: decodeOid(top[2], 'signatureAlgID'),
    signature: decodeBitString(top[3], 'signature'),
    signedBytes: encodedOf(top[0]!),
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
  const top = fieldsOf(parseDer(bytes, STRICT_TREE), 'SES object', 1);
  const first = top[0];
  return first !== undefined && first.tag === TAG.SEQUENCE && children(first)[0]?.tag === TAG.INTEGER;
}
