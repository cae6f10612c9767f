/**
 * Detached GM/T 0010 SignedData for PDF signatures with SM2 keys ("PDF with SM2").
 *
 *   createGmCmsSignature({ signer, contentDigest, profile?, signingTime? })   DER ContentInfo
 *   estimateGmCmsSize(signer, profile?, signingTime?)                           upper bound, for /Contents
 *   verifyGmCms(der, { detachedContent, contentDigest? })                       CmsVerifyResult (never throws)
 *
 * Layout (GM/T 0010-2012 with the RFC 5652 structure):
 *   ContentInfo { 1.2.156.10197.6.1.4.2.2 (signedData), [0] SignedData {
 *     version 1, digestAlgorithms { sm3 1.2.156.10197.1.401 },
 *     encapContentInfo { 1.2.156.10197.6.1.4.2.1 (data) }   -- detached: no eContent
 *     certificates [0] the signer's chain,
 *     signerInfos { SignerInfo { 1, IssuerAndSerialNumber, sm3,
 *       [0] { content-type = GM data, message-digest = SM3(ByteRange bytes),
 *             signing-certificate-v2 (hash sm3) for profile 'cades' | signing-time for 'pkcs7' },
 *       SM2-with-SM3 1.2.156.10197.1.501, OCTET STRING DER SEQUENCE { r, s } } } } }
 * The SM2 signature uses the default user ID 1234567812345678 (Z value over the signer's key).
 * No time-stamp (B-T) here: refused by signPdf for SM2 keys.
 */
import { createHash } from 'node:crypto';
import { parseCertificateInfo } from '../asn1/certificate.js';
import {
  type DerNode,
  STRICT_TREE,
  TAG,
  bytesEqual,
  children,
  ctx,
  decodeOctetString,
  decodeOid,
  decodeSmallInt,
  decodeTime,
  encodedOf,
  expectTag,
  fieldsOf,
  integer,
  octetString,
  oid,
  parseDer,
  seq,
  setOf,
  tlv,
  x509Time,
} from '../asn1/der.js';
import { emptyCmsResult, type CmsVerifyResult } from '../cms/verify.js';
import { AlgorithmUnsupportedError, SealError, toSealError } from '../errors/index.js';
import { parseCertificate as parsePkiCertificate, type CertInfo } from '../pki/cert.js';
import type { Signer } from '../signer/signer.js';
import { OID_GM_DATA, OID_GM_SIGNED_DATA } from './gm-signed-data.js';
import { parseCertificate as parseSm2Cert } from './sm2-cert.js';
import { OID_SM2_WITH_SM3, OID_SM3, sm2Verify } from './sm2.js';

const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
const OID_SIGNING_CERT_V2 = '1.2.840.113549.1.9.16.2.47';
/** SM2 signature algorithm identifiers accepted on verification (GM/T 0006: sm2sign-with-sm3, sm2-1, sm2). */
const SM2_SIG_OIDS = new Set([OID_SM2_WITH_SM3, '1.2.156.10197.1.301.1', '1.2.156.10197.1.301']);

export type GmCmsProfile = 'cades' | 'pkcs7';

export interface GmCmsOptions {
  signer: Signer;
  /** SM3 digest of the signed bytes (32 bytes). */
  contentDigest: Uint8Array;
  /** 'cades' (signing-certificate-v2, default) or 'pkcs7' (signing-time when given). */
  profile?: GmCmsProfile;
  signingTime?: Date;
}

/** DER of the OID 1.2.156.10197.6.1.4.2.2 (GM/T 0010 signedData). */
const GM_SIGNED_DATA_OID_DER = Uint8Array.of(0x06, 0x0a, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x06, 0x01, 0x04, 0x02, 0x02);

/**
 * Does this DER start like a ContentInfo with the GM/T 0010 signedData content type? A look at
 * the first bytes only (every PDF signature passes here); verifyGmCms parses the rest strictly.
 */
export function isGmCms(der: Uint8Array): boolean {
  if (der.length < 2 || der[0] !== 0x30) return false;
  const l = der[1]!;
  const header = l < 0x80 ? 2 : 2 + (l & 0x7f);
  if (l === 0x80 || header > 6 || der.length < header + GM_SIGNED_DATA_OID_DER.length) return false;
  return bytesEqual(der.subarray(header, header + GM_SIGNED_DATA_OID_DER.length), GM_SIGNED_DATA_OID_DER);
}

function sm3(data: Uint8Array): Uint8Array {
  return createHash('sm3').update(data).digest();
}

const attribute = (type: string, value: Uint8Array): Uint8Array => seq(oid(type), setOf([value]));

function checkSigner(signer: Signer): Uint8Array {
  if (signer.keyType !== 'SM2') throw new AlgorithmUnsupportedError(`GM/T 0010 signatures need an SM2 key, not ${signer.keyType}`);
  const leaf = signer.certificateChain[0];
  if (leaf === undefined) throw new SealError('ERR_CERT_INVALID', 'the signer has no certificate');
  return leaf;
}

async function build(options: GmCmsOptions, dryRun: boolean): Promise<Uint8Array> {
  const { signer } = options;
  const leafDer = checkSigner(signer);
  if (options.contentDigest.length !== 32) throw new SealError('ERR_INPUT_INVALID', 'content digest must be 32 bytes for SM3');
  if (options.signingTime !== undefined && Number.isNaN(options.signingTime.getTime())) throw new SealError('ERR_INPUT_INVALID', 'invalid signing time');
  const profile = options.profile ?? 'cades';
  if (profile !== 'cades' && profile !== 'pkcs7') throw new SealError('ERR_INPUT_INVALID', `unknown CMS profile ${String(profile)}`);
  const leaf = parseCertificateInfo(leafDer);
  const sm3Alg = seq(oid(OID_SM3));
  const extra: Uint8Array[] = [];
  if (profile === 'cades') {
    // ESSCertIDv2 { hashAlgorithm sm3 (not the SHA-256 default), certHash, issuerSerial }
    const issuerSerial = seq(seq(ctx(4, leaf.issuerDer)), leaf.serialNumberDer);
    extra.push(attribute(OID_SIGNING_CERT_V2, seq(seq(seq(sm3Alg, octetString(sm3(leafDer)), issuerSerial)))));
  } else if (options.signingTime !== undefined) {
    extra.push(attribute(OID_SIGNING_TIME, x509Time(options.signingTime)));
  }
  const signedAttrs = setOf([attribute(OID_CONTENT_TYPE, oid(OID_GM_DATA)), attribute(OID_MESSAGE_DIGEST, octetString(options.contentDigest)), ...extra]);
  let signature: Uint8Array;
  if (dryRun) {
    signature = new Uint8Array(72); // DER SEQUENCE { r, s } of a 256-bit curve is at most 72 bytes
  } else {
    try {
      signature = await signer.sign(signedAttrs, { scheme: 'SM2', hash: 'SM3' });
    } catch (err) {
      throw toSealError(err);
    }
    if (signature.length === 0 || signature.length > 72) throw new SealError('ERR_INTERNAL', 'the signer returned a signature of impossible length');
  }
  const signedAttrsImplicit = Uint8Array.from(signedAttrs);
  signedAttrsImplicit[0] = 0xa0;
  const signerInfo = seq(integer(1), seq(leaf.issuerDer, leaf.serialNumberDer), sm3Alg, signedAttrsImplicit, seq(oid(OID_SM2_WITH_SM3)), octetString(signature));
  const signedData = seq(integer(1), setOf([sm3Alg]), seq(oid(OID_GM_DATA)), tlv(0xa0, ...signer.certificateChain), tlv(0x31, signerInfo));
  return seq(oid(OID_GM_SIGNED_DATA), ctx(0, signedData));
}

/** A detached GM/T 0010 SignedData (DER) over an SM3 content digest, signed by an SM2 Signer. */
export function createGmCmsSignature(options: GmCmsOptions): Promise<Uint8Array> {
  return build(options, false);
}

/** Upper bound of createGmCmsSignature's length for this signer and profile. */
export async function estimateGmCmsSize(signer: Signer, profile: GmCmsProfile = 'cades', signingTime?: Date): Promise<number> {
  const cms = await build({ signer, contentDigest: new Uint8Array(32), profile, ...(signingTime ? { signingTime } : {}) }, true);
  return cms.length;
}

export interface GmCmsVerifyOptions {
  /** Detached content chunks (the PDF byte ranges); hashed with SM3 unless contentDigest is given. */
  detachedContent?: readonly Uint8Array[];
  /** Precomputed SM3 digest of the detached content. */
  contentDigest?: Uint8Array;
}

function attrValue(attrs: readonly DerNode[], type: string): DerNode | null {
  const found = attrs.filter((a) => decodeOid(children(a)[0], 'attrType') === type);
  if (found.length > 1) throw new Error(`duplicate attribute ${type}`);
  if (found.length === 0) return null;
  const values = children(expectTag(children(found[0]!)[1], TAG.SET, 'attrValues'));
  if (values.length !== 1) throw new Error(`attribute ${type} must have one value`);
  return values[0]!;
}

/** The serialNumber INTEGER (whole TLV) of a TBSCertificate. */
function serialOf(tbs: Uint8Array): Uint8Array {
  const f = fieldsOf(parseDer(tbs, STRICT_TREE), 'TBSCertificate', 6);
  return encodedOf(f[f[0]!.tag === 0xa0 ? 1 : 0]!);
}

/**
 * Verify a detached GM/T 0010 SignedData (one SM2 signer, SM3, signed attributes required) in the
 * shape of verifyCms's result, so the PDF verifier reports it like any other CMS. Never throws.
 */
export function verifyGmCms(der: Uint8Array, opts: GmCmsVerifyOptions = {}): CmsVerifyResult {
  const r = emptyCmsResult();
  const fail = (ind: CmsVerifyResult['indication'], sub: NonNullable<CmsVerifyResult['subIndication']>, msg: string): CmsVerifyResult => {
    r.indication = ind;
    r.subIndication = sub;
    r.errors.push(msg);
    return r;
  };
  let si: readonly DerNode[];
  let sm2Certs: ReturnType<typeof parseSm2Cert>[] = [];
  try {
    const ci = fieldsOf(parseDer(der, STRICT_TREE), 'ContentInfo', 2, 2);
    if (decodeOid(ci[0], 'contentType') !== OID_GM_SIGNED_DATA) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'content type is not GM/T 0010 signedData');
    const sd = fieldsOf(children(expectTag(ci[1], 0xa0, 'content'))[0], 'SignedData', 4, 6);
    const version = decodeSmallInt(sd[0], 'version');
    if (version !== 1) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'SignedData version must be 1');
    const encap = fieldsOf(sd[2], 'encapContentInfo', 1, 2);
    r.eContentType = decodeOid(encap[0], 'eContentType');
    if (encap[1] !== undefined) r.eContent = decodeOctetString(children(expectTag(encap[1], 0xa0, 'eContent'))[0], 'eContent').slice();
    let idx = 3;
    if (sd[idx]?.tag === 0xa0) {
      for (const c of children(sd[idx]!)) {
        if (c.tag !== TAG.SEQUENCE) continue;
        r.certificates.push(encodedOf(c).slice());
      }
      idx++;
    }
    if (sd[idx]?.tag === 0xa1) {
      for (const c of children(sd[idx]!)) if (c.tag === TAG.SEQUENCE) r.crls.push(encodedOf(c).slice());
      idx++;
    }
    const infos = children(expectTag(sd[idx], TAG.SET, 'signerInfos'));
    if (idx !== sd.length - 1) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'unexpected element after signerInfos');
    if (infos.length !== 1) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', `expected exactly one SignerInfo, found ${infos.length}`);
    si = fieldsOf(infos[0], 'SignerInfo', 6, 7);
    if (decodeSmallInt(si[0], 'SignerInfo.version') !== 1) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'SignerInfo version must be 1 (IssuerAndSerialNumber)');
    const digestAlgs = children(expectTag(sd[1], TAG.SET, 'digestAlgorithms')).map((a) => decodeOid(fieldsOf(a, 'digestAlgorithm', 1, 2)[0], 'digestAlgorithm'));
    if (decodeOid(fieldsOf(si[2], 'digestAlgorithm', 1, 2)[0], 'digestAlgorithm') !== OID_SM3 || !digestAlgs.includes(OID_SM3)) {
      return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', 'the digest algorithm is not SM3');
    }
    sm2Certs = r.certificates.map((c) => parseSm2Cert(c));
  } catch {
    return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'GM/T 0010 SignedData cannot be parsed');
  }
  r.parsed = true;
  r.digestAlgorithm = 'sm3';
  try {
    if (si[3]?.tag !== 0xa0) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'signed attributes are required');
    const attrs = children(si[3]).map((a) => fieldsOf(a, 'Attribute', 2, 2) && a);
    r.signedAttributeTypes = attrs.map((a) => decodeOid(children(a)[0], 'attrType'));
    const ct = attrValue(attrs, OID_CONTENT_TYPE);
    const md = attrValue(attrs, OID_MESSAGE_DIGEST);
    if (ct === null || md === null) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'signed attributes lack content-type or message-digest');
    if (decodeOid(ct, 'content-type') !== r.eContentType) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'content-type attribute differs from the encapsulated content type');
    const st = attrValue(attrs, OID_SIGNING_TIME);
    if (st !== null) r.claimedSigningTime = decodeTime(st, 'signing-time');
    let digest: Uint8Array;
    if (opts.detachedContent !== undefined) {
      if (r.eContent !== null) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'detached signature carries encapsulated content');
      if (opts.contentDigest !== undefined) digest = opts.contentDigest;
      else {
        const h = createHash('sm3');
        for (const part of opts.detachedContent) h.update(part);
        digest = h.digest();
      }
    } else if (r.eContent !== null) digest = sm3(r.eContent);
    else return fail('INDETERMINATE', 'SIGNED_DATA_NOT_FOUND', 'no content to verify against');
    r.intact = bytesEqual(decodeOctetString(md, 'message-digest'), digest);
    if (!r.intact) return fail('TOTAL_FAILED', 'HASH_FAILURE', 'the SM3 digest of the signed content differs from the message-digest attribute');
    const sigAlg = decodeOid(fieldsOf(si[4], 'signatureAlgorithm', 1, 2)[0], 'signatureAlgorithm');
    if (!SM2_SIG_OIDS.has(sigAlg)) return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', `signature algorithm ${sigAlg} is not SM2`);
    r.signatureAlgorithm = 'SM2-with-SM3';
    r.signatureValue = decodeOctetString(si[5], 'signature').slice();
    // the signer: IssuerAndSerialNumber against the enclosed certificates
    const sid = fieldsOf(si[1], 'IssuerAndSerialNumber', 2, 2);
    const idx = sm2Certs.findIndex((c) => bytesEqual(c.issuerDer, encodedOf(sid[0]!)) && bytesEqual(serialOf(c.tbs), encodedOf(sid[1]!)));
    if (idx < 0) return fail('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'the signer certificate is not in the CMS');
    const signer = sm2Certs[idx]!;
    let info: CertInfo;
    try {
      info = parsePkiCertificate(r.certificates[idx]!);
    } catch {
      return fail('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'the signer certificate cannot be parsed');
    }
    r.signerCertificate = info;
    if (signer.sm2PublicKey === null) return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', 'the signer certificate does not hold an SM2 key');
    const tbs = Uint8Array.from(encodedOf(si[3]));
    tbs[0] = TAG.SET;
    r.valid = sm2Verify(tbs, r.signatureValue, signer.sm2PublicKey);
    if (!r.valid) return fail('TOTAL_FAILED', 'SIG_CRYPTO_FAILURE', 'the SM2 signature does not verify');
    const v2 = attrValue(attrs, OID_SIGNING_CERT_V2);
    if (v2 !== null) {
      const certId = fieldsOf(fieldsOf(fieldsOf(v2, 'SigningCertificateV2', 1)[0], 'certs', 1)[0], 'ESSCertIDv2', 1, 3);
      let hashNode = certId[0]!;
      let alg = '2.16.840.1.101.3.4.2.1';
      if (hashNode.tag === TAG.SEQUENCE) {
        alg = decodeOid(children(hashNode)[0], 'hashAlgorithm');
        hashNode = certId[1]!;
      }
      const node = alg === OID_SM3 ? 'sm3' : alg === '2.16.840.1.101.3.4.2.1' ? 'sha256' : null;
      if (node === null) return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', 'unsupported signing-certificate-v2 hash');
      if (bytesEqual(decodeOctetString(hashNode, 'certHash'), createHash(node).update(r.certificates[idx]!).digest())) r.signingCertificateBinding = 'v2';
      else {
        r.signingCertificateBinding = 'mismatch';
        return fail('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'the signing-certificate attribute does not match the signer certificate');
      }
    }
  } catch {
    return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'malformed GM/T 0010 SignerInfo');
  }
  r.indication = 'TOTAL_PASSED';
  r.subIndication = null;
  return r;
}
