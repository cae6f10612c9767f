/**
 * GM/T 0010 / GB/T 35275 SignedData (contentType 1.2.156.10197.6.1.4.2.2, data 1.2.156.10197.6.1.4.2.1)
 * with SM3 and SM2 signatures, as used by OFD integrity protection (GM/T 0099) and some OFD
 * digital signatures. Verifies the single signer's signature over the signed attributes (when
 * present, with messageDigest = SM3(content)) or directly over the encapsulated content.
 */
import {
  type DerNode,
  STRICT_TREE,
  TAG,
  bytesEqual,
  children,
  decodeOctetString,
  decodeOid,
  encodedOf,
  expectTag,
  fieldsOf,
  parseDer,
} from '../asn1/der.js';
import { parseCertificate, type ParsedCertificate } from './sm2-cert.js';
import { OID_SM3, sm2Verify, sm3 } from './sm2.js';

export const OID_GM_SIGNED_DATA = '1.2.156.10197.6.1.4.2.2';
export const OID_GM_DATA = '1.2.156.10197.6.1.4.2.1';
const OID_PKCS7_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const SM2_SIG_OIDS = ['1.2.156.10197.1.501', '1.2.156.10197.1.301.1', '1.2.156.10197.1.301'];

export interface GmSignedDataResult {
  valid: boolean;
  reason: string | null;
  /** The encapsulated content (or the detached content given). */
  content: Uint8Array | null;
  signer: ParsedCertificate | null;
  certificates: ParsedCertificate[];
}

/** Is this a (GM or PKCS#7) SignedData ContentInfo? */
export function isSignedDataContentInfo(bytes: Uint8Array): boolean {
  try {
    const ci = fieldsOf(parseDer(bytes, STRICT_TREE), 'ContentInfo', 2, 2);
    const oid = decodeOid(ci[0], 'contentType');
    return oid === OID_GM_SIGNED_DATA || oid === OID_PKCS7_SIGNED_DATA;
  } catch {
    return false;
  }
}

function algOid(n: DerNode | undefined, what: string): string {
  return decodeOid(fieldsOf(n, what, 1, 2)[0], `${what}.algorithm`);
}

export function verifyGmSignedData(bytes: Uint8Array, detached?: Uint8Array): GmSignedDataResult {
  const res: GmSignedDataResult = { valid: false, reason: null, content: null, signer: null, certificates: [] };
  try {
    const ci = fieldsOf(parseDer(bytes, STRICT_TREE), 'ContentInfo', 2, 2);
    const ct = decodeOid(ci[0], 'contentType');
    if (ct !== OID_GM_SIGNED_DATA && ct !== OID_PKCS7_SIGNED_DATA) return { ...res, reason: 'not SignedData' };
    const sd = fieldsOf(children(expectTag(ci[1], 0xa0, 'content'))[0], 'SignedData', 4);
    const encap = fieldsOf(sd[2], 'encapContentInfo', 1, 2);
    const econtent = encap[1] === undefined ? undefined : decodeOctetString(children(expectTag(encap[1], 0xa0, 'eContent'))[0], 'eContent');
    const content = econtent ?? detached;
    if (content === undefined) return { ...res, reason: 'no content to verify' };
    if (econtent !== undefined && detached !== undefined && !bytesEqual(econtent, detached)) {
      return { ...res, reason: 'encapsulated content differs from the expected content' };
    }
    res.content = content;
    let idx = 3;
    if (sd[idx]?.tag === 0xa0) {
      for (const c of children(sd[idx]!)) if (c.tag === TAG.SEQUENCE) res.certificates.push(parseCertificate(encodedOf(c)));
      idx++;
    }
    if (sd[idx]?.tag === 0xa1) idx++;
    const infos = children(expectTag(sd[idx], TAG.SET, 'signerInfos'));
    if (infos.length !== 1) return { ...res, reason: 'exactly one signer expected' };
    const si = fieldsOf(infos[0], 'SignerInfo', 5, 7);
    const digestAlg = algOid(si[2], 'digestAlgorithm');
    if (digestAlg !== OID_SM3) return { ...res, reason: 'digest algorithm is not SM3' };
    let k = 3;
    let tbs = content;
    if (si[k]?.tag === 0xa0) {
      const attrs = si[k]!;
      const md = children(attrs).find((a) => decodeOid(children(a)[0], 'attrType') === OID_MESSAGE_DIGEST);
      const mdValue = md === undefined ? undefined : decodeOctetString(children(expectTag(children(md)[1], TAG.SET, 'attrValues'))[0], 'messageDigest');
      if (mdValue === undefined || !bytesEqual(mdValue, sm3(content))) return { ...res, reason: 'messageDigest does not match the content' };
      const set = Uint8Array.from(encodedOf(attrs));
      set[0] = TAG.SET;
      tbs = set;
      k++;
    }
    const sigAlg = algOid(si[k], 'signatureAlgorithm');
    if (!SM2_SIG_OIDS.includes(sigAlg)) return { ...res, reason: `signature algorithm ${sigAlg} is not SM2` };
    const sig = decodeOctetString(si[k + 1], 'signature');
    const signer = res.certificates.find((c) => c.sm2PublicKey !== null && sm2Verify(tbs, sig, c.sm2PublicKey));
    if (signer === undefined) return { ...res, reason: 'signature does not verify with any enclosed certificate' };
    return { ...res, valid: true, signer };
  } catch {
    return { ...res, reason: 'malformed SignedData' };
  }
}
