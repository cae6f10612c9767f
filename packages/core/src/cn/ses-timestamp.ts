/**
 * The optional time-stamp of an SES_Signature: an RFC 3161 TimeStampToken over the signature
 * value. Checked here without the CMS module so that SM2 TSAs work too: the message imprint
 * against the signature value, messageDigest against the TSTInfo, the TSA's signature over the
 * signed attributes (SM2-with-SM3, RSA or ECDSA), and the TSA certificate's path to an anchor.
 */
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import type { TimestampSummary } from '../report/index.js';
import {
  type DerNode,
  STRICT_TREE,
  TAG,
  bytesEqual,
  children,
  decodeOctetString,
  decodeOid,
  decodeTime,
  encodedOf,
  expectTag,
  fieldsOf,
  parseDer,
} from '../asn1/der.js';
import { buildCertificatePath, parseCertificate, type ParsedCertificate } from './sm2-cert.js';
import { OID_SM3, sm2Verify, sm3 } from './sm2.js';

const HASHES: Record<string, (d: Uint8Array) => Uint8Array> = {
  [OID_SM3]: sm3,
  '2.16.840.1.101.3.4.2.1': (d) => new Uint8Array(createHash('sha256').update(d).digest()),
  '2.16.840.1.101.3.4.2.2': (d) => new Uint8Array(createHash('sha384').update(d).digest()),
  '2.16.840.1.101.3.4.2.3': (d) => new Uint8Array(createHash('sha512').update(d).digest()),
};
const NODE_HASH: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const SIGNED_DATA_OIDS = ['1.2.840.113549.1.7.2', '1.2.156.10197.6.1.4.2.2'];
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

export interface SesTimestampResult {
  summary: TimestampSummary;
  reason: string | null;
  /** 'tampered' when the token is well-formed but its imprint or signature is wrong; 'unreadable' otherwise. */
  failure: 'tampered' | 'unreadable' | null;
}

function fail(reason: string, time = '', failure: 'tampered' | 'unreadable' = 'unreadable'): SesTimestampResult {
  return { summary: { time, valid: false, tsa: null, trusted: false }, reason, failure };
}

function algOid(n: DerNode | undefined, what: string): string {
  return decodeOid(fieldsOf(n, what, 1, 2)[0], `${what}.algorithm`);
}

export function verifySesTimestamp(token: Uint8Array, signatureValue: Uint8Array, anchors: readonly ParsedCertificate[], at: Date): SesTimestampResult {
  let time = '';
  try {
    const ci = fieldsOf(parseDer(token, STRICT_TREE), 'ContentInfo', 2, 2);
    if (!SIGNED_DATA_OIDS.includes(decodeOid(ci[0], 'contentType'))) return fail('time-stamp is not CMS SignedData');
    const sd = fieldsOf(children(expectTag(ci[1], 0xa0, 'content'))[0], 'SignedData', 4);
    const encap = fieldsOf(sd[2], 'encapContentInfo', 2, 2);
    const tstDer = decodeOctetString(children(expectTag(encap[1], 0xa0, 'eContent'))[0], 'eContent');
    const tst = fieldsOf(parseDer(tstDer, STRICT_TREE), 'TSTInfo', 5);
    const imprint = fieldsOf(tst[2], 'messageImprint', 2, 2);
    const imprintAlg = algOid(imprint[0], 'hashAlgorithm');
    const hashed = decodeOctetString(imprint[1], 'hashedMessage');
    time = decodeTime(tst[4], 'genTime').toISOString();
    const ih = HASHES[imprintAlg];
    if (ih === undefined) return fail('unsupported imprint hash', time);
    if (!bytesEqual(ih(signatureValue), hashed)) return fail('time-stamp imprint does not match the signature value', time, 'tampered');
    let idx = 3;
    const certs: ParsedCertificate[] = [];
    if (sd[idx]?.tag === 0xa0) {
      for (const c of children(sd[idx]!)) if (c.tag === TAG.SEQUENCE) certs.push(parseCertificate(encodedOf(c)));
      idx++;
    }
    if (sd[idx]?.tag === 0xa1) idx++;
    const signerInfos = children(expectTag(sd[idx], TAG.SET, 'signerInfos'));
    if (signerInfos.length !== 1) return fail('time-stamp must have exactly one signer', time);
    const si = fieldsOf(signerInfos[0], 'SignerInfo', 5);
    const digestAlg = algOid(si[2], 'digestAlgorithm');
    const attrs = expectTag(si[3], 0xa0, 'signedAttrs');
    const sigAlg = algOid(si[4], 'signatureAlgorithm');
    const sigValue = decodeOctetString(si[5], 'signature');
    const dh = HASHES[digestAlg];
    if (dh === undefined) return fail('unsupported digest algorithm', time);
    const md = children(attrs).find((a) => decodeOid(children(a)[0], 'attrType') === OID_MESSAGE_DIGEST);
    const mdValue = md === undefined ? undefined : decodeOctetString(children(expectTag(children(md)[1], TAG.SET, 'attrValues'))[0], 'messageDigest');
    if (mdValue === undefined || !bytesEqual(mdValue, dh(tstDer))) return fail('time-stamp messageDigest does not match', time, 'tampered');
    const signedAttrs = Uint8Array.from(encodedOf(attrs));
    signedAttrs[0] = TAG.SET;
    const tsaCert = certs.find((c) => checkSig(c, sigAlg, digestAlg, signedAttrs, sigValue));
    if (tsaCert === undefined) return fail('time-stamp signature does not verify with any enclosed certificate', time, 'tampered');
    const path = buildCertificatePath(tsaCert, certs, anchors, at);
    return { summary: { time, valid: true, tsa: tsaCert.subject, trusted: path.trusted }, reason: null, failure: null };
  } catch {
    return fail('malformed time-stamp token', time);
  }
}

function checkSig(cert: ParsedCertificate, sigAlg: string, digestAlg: string, data: Uint8Array, sig: Uint8Array): boolean {
  if (cert.sm2PublicKey !== null) return sm2Verify(data, sig, cert.sm2PublicKey);
  const hash = NODE_HASH[digestAlg];
  if (hash === undefined) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(cert.spki), format: 'der', type: 'spki' });
    void sigAlg;
    return cryptoVerify(hash, data, key, sig);
  } catch {
    return false;
  }
}
