/**
 * CMS SignedData verification (RFC 5652, CAdES/PAdES profile): one SignerInfo, its certificate
 * (issuerAndSerialNumber or subjectKeyIdentifier), message-digest over the (detached or
 * encapsulated) content, the signature over the DER signed attributes, the signing-certificate(-v2)
 * binding, and collection of embedded certificates, CRLs, OCSP responses and time-stamp tokens.
 * Knows no PDF and no trust: path validation is pki/'s job.
 */
import { timingSafeEqual } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Indication, SubIndication } from '../report/index.js';
import { AlgorithmPolicyError, checkKey, toKeyObject, digestNameForOid, hashBytes, resolveSignatureAlgorithm, verifySignature, type DigestName } from '../pki/algorithms.js';
import { bytesToHex, parseCertificate, type CertInfo } from '../pki/cert.js';
import { isGmCms, verifyGmCms } from '../cn/gm-cms.js';

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  adbeRevocationInfoArchival: '1.2.840.113583.1.1.8',
  ocspResponseRevInfo: '1.3.6.1.5.5.7.16.2',
} as const;

export interface CmsVerifyOptions {
  /**
   * Detached content as chunks (e.g. the two PDF byte ranges, as views; nothing is copied for hashing).
   * When absent the encapsulated content is used and must be present.
   */
  detachedContent?: readonly Uint8Array[];
  /** Precomputed digests of the detached content, by algorithm (saves a pass over a large file). */
  contentDigest?: (alg: DigestName) => Uint8Array;
  /** Refuse encapsulated content when detached content is given (PAdES: eContent must be absent). Default true. */
  forbidEncapsulatedWithDetached?: boolean;
}

export interface CmsVerifyResult {
  indication: Indication;
  subIndication: SubIndication | null;
  /** Parsed well enough to look at the signer. */
  parsed: boolean;
  /** message-digest (or content, without signed attributes) matches. */
  intact: boolean;
  /** Signature maths verified over the signed attributes. */
  valid: boolean;
  signerCertificate: CertInfo | null;
  /** Every certificate in the SignedData, original DER. */
  certificates: Uint8Array[];
  crls: Uint8Array[];
  ocsps: Uint8Array[];
  digestAlgorithm: DigestName | null;
  signatureAlgorithm: string | null;
  eContentType: string | null;
  eContent: Uint8Array | null;
  claimedSigningTime: Date | null;
  /** The SignerInfo signature value (what a signature time-stamp's imprint covers). */
  signatureValue: Uint8Array | null;
  /** Unsigned signature-time-stamp-token attribute values (DER ContentInfo). */
  signatureTimestamps: Uint8Array[];
  signedAttributeTypes: string[];
  signingCertificateBinding: 'v2' | 'v1' | 'absent' | 'mismatch';
  errors: string[];
  warnings: string[];
}

/** A result that says nothing was verified yet; every verifier of SignedData starts from it. */
export function emptyCmsResult(): CmsVerifyResult {
  return {
    indication: 'TOTAL_FAILED',
    subIndication: 'FORMAT_FAILURE',
    parsed: false,
    intact: false,
    valid: false,
    signerCertificate: null,
    certificates: [],
    crls: [],
    ocsps: [],
    digestAlgorithm: null,
    signatureAlgorithm: null,
    eContentType: null,
    eContent: null,
    claimedSigningTime: null,
    signatureValue: null,
    signatureTimestamps: [],
    signedAttributeTypes: [],
    signingCertificateBinding: 'absent',
    errors: [],
    warnings: [],
  };
}

const view = (b: ArrayBuffer | Uint8Array): Uint8Array => (b instanceof Uint8Array ? b : new Uint8Array(b));

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Children of a context-tagged [n] IMPLICIT SET inside SignedData, as original encodings. */
function taggedSetItems(signedData: asn1js.Sequence, tag: number): asn1js.BaseBlock[] {
  for (const item of signedData.valueBlock.value) {
    if (item.idBlock.tagClass === 3 && item.idBlock.tagNumber === tag && item instanceof asn1js.Constructed) return item.valueBlock.value;
  }
  return [];
}

function attrValues(attrs: pkijs.Attribute[] | undefined, type: string): asn1js.BaseBlock[] | null {
  const found = (attrs ?? []).filter((a) => a.type === type);
  if (found.length === 0) return null;
  if (found.length > 1) throw new Error(`duplicate attribute ${type}`);
  return found[0]!.values as asn1js.BaseBlock[];
}

/** Strip a PDF /Contents' zero padding: the DER length must be known and the rest zero bytes. */
export function trimDerPadding(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < 2 || bytes[0] !== 0x30) return null;
  let len: number;
  let hdr: number;
  const l0 = bytes[1]!;
  if (l0 < 0x80) {
    len = l0;
    hdr = 2;
  } else if (l0 === 0x80) {
    // BER indefinite length: the structure walk finds the end
    const end = tlvEnd(bytes);
    if (end < 0) return null;
    for (let i = end; i < bytes.length; i++) if (bytes[i] !== 0) return null;
    return bytes.subarray(0, end);
  } else {
    const n = l0 & 0x7f;
    if (n > 4 || bytes.length < 2 + n) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[2 + i]!;
    hdr = 2 + n;
  }
  const end = hdr + len;
  if (end > bytes.length) return null;
  for (let i = end; i < bytes.length; i++) if (bytes[i] !== 0) return null;
  return bytes.subarray(0, end);
}

/**
 * Every constructed TLV's children exactly fill it (definite lengths) or end with end-of-contents
 * (BER indefinite lengths): a lenient ASN.1 parser must not be handed bytes whose lengths lie.
 */
export function tlvStructureOk(b: Uint8Array): boolean {
  return tlvEnd(b) === b.length;
}

/** Universal tag numbers: SEQUENCE and SET; BOOLEAN, INTEGER, NULL, OBJECT IDENTIFIER, ENUMERATED. */
const UNIVERSAL_CONSTRUCTED_ONLY = new Set([16, 17]);
const UNIVERSAL_PRIMITIVE_ONLY = new Set([1, 2, 5, 6, 10]);

/** End offset of the TLV at 0 after checking its whole structure, or -1. */
export function tlvEnd(b: Uint8Array): number {
  let nodes = 0;
  const walk = (off: number, limit: number, depth: number): number => {
    if (depth > 64 || ++nodes > 1_000_000 || off + 2 > limit) return -1;
    const tag = b[off]!;
    if ((tag & 0x1f) === 0x1f) return -1; // high tag numbers do not occur in CMS
    let p = off + 1;
    const l0 = b[p++]!;
    let len = -1;
    if (l0 < 0x80) len = l0;
    else if (l0 > 0x80) {
      const n = l0 & 0x7f;
      if (n > 4 || p + n > limit) return -1;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
    }
    const constructed = (tag & 0x20) !== 0;
    // universal SEQUENCE/SET are always constructed, and the scalar types never are: a flipped
    // constructed bit must not slip past as a different but still "parseable" encoding
    if ((tag & 0xc0) === 0 && (constructed ? UNIVERSAL_PRIMITIVE_ONLY.has(tag & 0x1f) : UNIVERSAL_CONSTRUCTED_ONLY.has(tag & 0x1f))) return -1;
    if (len >= 0) {
      const end = p + len;
      if (end > limit) return -1;
      if (constructed) {
        let q = p;
        while (q < end) {
          q = walk(q, end, depth + 1);
          if (q < 0) return -1;
        }
        if (q !== end) return -1;
      }
      return end;
    }
    if (!constructed) return -1; // indefinite length needs a constructed encoding
    let q = p;
    for (;;) {
      if (q + 2 > limit) return -1;
      if (b[q] === 0 && b[q + 1] === 0) return q + 2;
      q = walk(q, limit, depth + 1);
      if (q < 0) return -1;
    }
  };
  return walk(0, b.length, 0);
}

/** Verify a DER CMS ContentInfo(SignedData). Never throws: malformed input is a FORMAT_FAILURE result. */
export function verifyCms(der: Uint8Array, opts: CmsVerifyOptions = {}): CmsVerifyResult {
  const r = emptyCmsResult();
  const fail = (ind: Indication, sub: SubIndication, msg: string): CmsVerifyResult => {
    r.indication = ind;
    r.subIndication = sub;
    r.errors.push(msg);
    return r;
  };
  const trimmed = trimDerPadding(der);
  if (!trimmed) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'signature container is not a DER SEQUENCE (or has non-zero trailing bytes)');
  if (!tlvStructureOk(trimmed)) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'CMS encoding is inconsistent (lengths do not match)');
  // GM/T 0010 SignedData (SM2 with SM3, contentType 1.2.156.10197.6.1.4.2.2): the Chinese-seal verifier
  if (isGmCms(trimmed)) {
    return verifyGmCms(trimmed, {
      ...(opts.detachedContent ? { detachedContent: opts.detachedContent } : {}),
      ...(opts.contentDigest && opts.detachedContent ? { contentDigest: opts.contentDigest('sm3') } : {}),
    });
  }
  // Parse by hand down to the SignedData fields and let pkijs parse only the SignerInfo and
  // EncapsulatedContentInfo: pkijs' schema check of a whole SignedData (certificates included) is
  // slow, and the certificates are parsed (and cached) by pki/ anyway.
  let sdAsn: asn1js.Sequence;
  let sd: { version: number; digestAlgorithms: string[]; encapContentInfo: pkijs.EncapsulatedContentInfo; signerInfos: pkijs.SignerInfo[] };
  try {
    const asn = asn1js.fromBER(trimmed);
    if (asn.offset === -1 || !(asn.result instanceof asn1js.Sequence)) throw new Error('not a SEQUENCE');
    const [ctNode, explicit] = asn.result.valueBlock.value;
    if (!(ctNode instanceof asn1js.ObjectIdentifier) || !(explicit instanceof asn1js.Constructed) || explicit.idBlock.tagClass !== 3 || explicit.idBlock.tagNumber !== 0) throw new Error('not a ContentInfo');
    const ct = ctNode.valueBlock.toString();
    if (ct !== OID.signedData) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', `content type ${ct} is not SignedData`);
    const inner = explicit.valueBlock.value[0];
    if (!(inner instanceof asn1js.Sequence)) throw new Error('no SignedData');
    sdAsn = inner;
    const items = sdAsn.valueBlock.value;
    const [ver, algs, encap] = items;
    const last = items[items.length - 1];
    // asn1js reads an ENUMERATED as a kind of Integer: the version must be a real INTEGER
    if (!(ver instanceof asn1js.Integer) || ver.idBlock.tagClass !== 1 || ver.idBlock.tagNumber !== 2 || !(algs instanceof asn1js.Set) || !(encap instanceof asn1js.Sequence) || !(last instanceof asn1js.Set) || items.length < 4) throw new Error('bad SignedData');
    for (const mid of items.slice(3, -1)) {
      if (mid.idBlock.tagClass !== 3 || (mid.idBlock.tagNumber !== 0 && mid.idBlock.tagNumber !== 1)) throw new Error('unexpected SignedData field');
    }
    sd = {
      version: ver.valueBlock.valueDec,
      digestAlgorithms: algs.valueBlock.value.map((a) => new pkijs.AlgorithmIdentifier({ schema: a }).algorithmId),
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ schema: encap }),
      signerInfos: last.valueBlock.value.map((x) => new pkijs.SignerInfo({ schema: x })),
    };
  } catch {
    return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'CMS SignedData cannot be parsed');
  }
  r.parsed = true;
  // certificates (original encodings), CRLs and other revocation info
  for (const item of taggedSetItems(sdAsn, 0)) {
    if (item instanceof asn1js.Sequence) r.certificates.push(view(item.valueBeforeDecodeView).slice());
  }
  for (const item of taggedSetItems(sdAsn, 1)) {
    if (item instanceof asn1js.Sequence) r.crls.push(view(item.valueBeforeDecodeView).slice());
    else if (item.idBlock.tagClass === 3 && item.idBlock.tagNumber === 1 && item instanceof asn1js.Constructed) {
      const [fmt, val] = item.valueBlock.value;
      if (fmt instanceof asn1js.ObjectIdentifier && fmt.valueBlock.toString() === OID.ocspResponseRevInfo && val) r.ocsps.push(view(val.valueBeforeDecodeView).slice());
    }
  }
  r.eContentType = sd.encapContentInfo.eContentType;
  if (sd.encapContentInfo.eContent) {
    const ec = sd.encapContentInfo.eContent;
    // constructed OCTET STRINGs (BER) are concatenated
    if (ec.idBlock.isConstructed) {
      const parts = (ec.valueBlock.value as asn1js.OctetString[]).map((p) => view(p.valueBlock.valueHexView));
      r.eContent = new Uint8Array(Buffer.concat(parts));
    } else r.eContent = view(ec.valueBlock.valueHexView).slice();
  }
  if (sd.signerInfos.length !== 1) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', `expected exactly one SignerInfo, found ${sd.signerInfos.length}`);
  const si = sd.signerInfos[0]!;
  const sidIsSki = !(si.sid instanceof pkijs.IssuerAndSerialNumber);
  if (si.version !== (sidIsSki ? 3 : 1)) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'SignerInfo version does not match its signer identifier');
  r.signatureValue = view(si.signature.valueBlock.valueHexView).slice();
  // unsigned attributes: signature time-stamps
  for (const a of si.unsignedAttrs?.attributes ?? []) {
    if (a.type === OID.signatureTimeStampToken) for (const v of a.values as asn1js.BaseBlock[]) r.signatureTimestamps.push(view(v.valueBeforeDecodeView).slice());
  }
  // the signer certificate
  const certs: CertInfo[] = [];
  for (const c of r.certificates) {
    try {
      certs.push(parseCertificate(c));
    } catch {
      r.warnings.push('an unparseable certificate in the CMS was ignored');
    }
  }
  let signer: CertInfo | undefined;
  if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
    const serial = bytesToHex(si.sid.serialNumber.valueBlock.valueHexView);
    const issuer = si.sid.issuer;
    signer = certs.find((c) => c.serialNumber === serial && (() => { try { return c.pkijs.issuer.isEqual(issuer); } catch { return false; } })());
  } else if (si.sid instanceof asn1js.Constructed || si.sid instanceof asn1js.Primitive) {
    const ski = bytesToHex(view((si.sid as asn1js.Primitive).valueBlock.valueHexView ?? new Uint8Array(0)));
    signer = certs.find((c) => c.subjectKeyId === ski);
  }
  // digest algorithm
  let digest: DigestName;
  try {
    digest = digestNameForOid(si.digestAlgorithm.algorithmId);
  } catch (err) {
    return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', (err as Error).message);
  }
  r.digestAlgorithm = digest;
  // RFC 5652 5.1: digestAlgorithms lists the signer's digest algorithm (nothing else is signed here)
  if (!sd.digestAlgorithms.includes(si.digestAlgorithm.algorithmId) || (sd.version !== 1 && sd.version !== 3)) {
    return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'SignedData digestAlgorithms or version inconsistent with its SignerInfo');
  }
  // content digest
  let detached = opts.detachedContent;
  if (detached && r.eContent && (opts.forbidEncapsulatedWithDetached ?? true)) {
    return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'detached signature carries encapsulated content');
  }
  if (!detached) {
    if (!r.eContent) return fail('INDETERMINATE', 'SIGNED_DATA_NOT_FOUND', 'no content to verify against');
    detached = [r.eContent];
  }
  const computeDigest = (alg: DigestName): Uint8Array => (opts.contentDigest && opts.detachedContent ? opts.contentDigest(alg) : hashBytes(alg, detached!));
  let signedBytes: Uint8Array;
  const attrs = si.signedAttrs?.attributes;
  let policyError: AlgorithmPolicyError | null = null;
  try {
    if (attrs) {
      r.signedAttributeTypes = attrs.map((a) => a.type);
      const ct = attrValues(attrs, OID.contentType);
      const md = attrValues(attrs, OID.messageDigest);
      if (!ct || !md) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'signed attributes lack content-type or message-digest');
      const ctOid = ct[0] instanceof asn1js.ObjectIdentifier ? ct[0].valueBlock.toString() : '';
      if (ctOid !== r.eContentType) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'content-type attribute differs from the encapsulated content type');
      const mdVal = md[0] instanceof asn1js.OctetString ? view(md[0].valueBlock.valueHexView) : new Uint8Array(0);
      r.intact = eq(mdVal, computeDigest(digest));
      const st = attrValues(attrs, OID.signingTime);
      if (st && st[0]) {
        const t = st[0];
        if (t instanceof asn1js.UTCTime || t instanceof asn1js.GeneralizedTime) r.claimedSigningTime = t.toDate();
      }
      signedBytes = view(si.signedAttrs!.encodedValue);
    } else {
      signedBytes = new Uint8Array(Buffer.concat(detached.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength))));
      r.intact = true; // checked by the signature itself
    }
  } catch (err) {
    if (err instanceof AlgorithmPolicyError) return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', err.message);
    return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'malformed signed attributes');
  }
  if (!r.intact) return fail('TOTAL_FAILED', 'HASH_FAILURE', 'the digest of the signed content differs from the message-digest attribute');
  if (!signer) return fail('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'the signer certificate is not in the CMS');
  r.signerCertificate = signer;
  try {
    r.signatureAlgorithm = resolveSignatureAlgorithm(si.signatureAlgorithm, digest, true).name;
  } catch (err) {
    if (err instanceof AlgorithmPolicyError) return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', err.message);
    throw err;
  }
  // signature maths first (with weak algorithms allowed), then the policy
  try {
    r.valid = verifySignature({ signatureAlgorithm: si.signatureAlgorithm, digest, publicKey: signer.spki, data: signedBytes, signature: r.signatureValue, allowWeak: true });
  } catch (err) {
    if (err instanceof AlgorithmPolicyError) return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', err.message);
    return fail('TOTAL_FAILED', 'SIG_CRYPTO_FAILURE', 'signature verification error');
  }
  if (!r.valid) {
    if (!attrs) r.intact = false;
    return fail('TOTAL_FAILED', attrs ? 'SIG_CRYPTO_FAILURE' : 'HASH_FAILURE', 'the CMS signature does not verify');
  }
  try {
    const alg = resolveSignatureAlgorithm(si.signatureAlgorithm, digest, false);
    checkKey(toKeyObject(signer.spki), alg.scheme, false);
  } catch (err) {
    if (err instanceof AlgorithmPolicyError) policyError = err;
    else throw err;
  }
  // signing-certificate(-v2) binding
  try {
    const v2 = attrValues(attrs, OID.signingCertificateV2);
    const v1 = attrValues(attrs, OID.signingCertificate);
    if (v2 || v1) {
      const val = (v2 ?? v1)![0] as asn1js.Sequence;
      const certIds = (val.valueBlock.value[0] as asn1js.Sequence).valueBlock.value as asn1js.Sequence[];
      const first = certIds[0]!;
      let alg: DigestName = v2 ? 'sha256' : 'sha1';
      let hashNode = first.valueBlock.value[0]!;
      if (v2 && hashNode instanceof asn1js.Sequence) {
        alg = digestNameForOid((hashNode.valueBlock.value[0] as asn1js.ObjectIdentifier).valueBlock.toString());
        hashNode = first.valueBlock.value[1]!;
      }
      const expected = view((hashNode as asn1js.OctetString).valueBlock.valueHexView);
      if (eq(expected, hashBytes(alg, signer.der))) r.signingCertificateBinding = v2 ? 'v2' : 'v1';
      else {
        r.signingCertificateBinding = 'mismatch';
        return fail('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'the signing-certificate attribute does not match the signer certificate');
      }
    }
  } catch (err) {
    if (err instanceof AlgorithmPolicyError) return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', err.message);
    return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'malformed signing-certificate attribute');
  }
  // Adobe revocation archival (signed attribute): CRLs [0] and OCSP responses [1]
  try {
    const arch = attrValues(attrs, OID.adbeRevocationInfoArchival);
    if (arch && arch[0] instanceof asn1js.Sequence) {
      for (const part of arch[0].valueBlock.value) {
        if (!(part instanceof asn1js.Constructed)) continue;
        const list = part.valueBlock.value[0];
        if (!(list instanceof asn1js.Sequence)) continue;
        for (const item of list.valueBlock.value) {
          const bytes = view(item.valueBeforeDecodeView).slice();
          if (part.idBlock.tagNumber === 0) r.crls.push(bytes);
          else if (part.idBlock.tagNumber === 1) r.ocsps.push(bytes);
        }
      }
    }
  } catch {
    r.warnings.push('unreadable adbe-revocationInfoArchival attribute ignored');
  }
  if (policyError) return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', policyError.message);
  r.indication = 'TOTAL_PASSED';
  r.subIndication = null;
  return r;
}
