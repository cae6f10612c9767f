/**
 * Verify GB/T 38540 seals and signatures into the shared VerificationReport shape.
 *
 * Seal: structure, the maker's SM2 signature (over DER(sealInfo) for v4/v5, over
 * SEQUENCE{sealInfo, cert, algorithm} for v1), the maker certificate's path to a trust
 * anchor, and the seal's validity period at the validation time.
 * Signature: the embedded seal as above (validity at the signing time), the signer's SM2
 * signature over DER(TBS_Sign), the signer certificate being in the seal's certificate list
 * (certificates or digests), its path and validity, the signing time within the seal's
 * validity, the data hash when the data is given, and the optional time-stamp.
 */
import { createHash } from 'node:crypto';
import { SealError, toSealError } from '../errors/index.js';
import { combineIndications, type Indication, type SignatureReport, type SubIndication, type VerificationReport } from '../report/index.js';
import { bytesEqual, toHex } from '../asn1/der.js';
import { decodeSesSeal, decodeSesSignature, looksLikeSesSignature } from './ses-decode.js';
import type { SesSeal, SesSignature } from './ses-types.js';
import { buildCertificatePath, parseCertificate, type ParsedCertificate } from './sm2-cert.js';
import { OID_SM2_WITH_SM3, sm2Verify, sm3 } from './sm2.js';
import { verifySesTimestamp } from './ses-timestamp.js';
import { checkCrlRevocation } from './sm2-crl.js';
import type { RevocationSummary } from '../report/index.js';
import { parseCertificate as parsePkiCertificate } from '../pki/cert.js';
import { checkOcsp, parseOcspResponse } from '../pki/ocsp.js';

export interface SesVerifyOptions {
  /** Trust anchors (DER or parsed). With none, nothing is trusted: a good seal is INDETERMINATE. */
  trustAnchors?: readonly (Uint8Array | ParsedCertificate)[];
  /** Validation time for certificates and the seal's validity (default: now). */
  at?: Date;
  /** CRLs (DER) for the signer and seal-maker certificates; without them (and OCSP) revocation is 'unknown'. */
  crls?: readonly Uint8Array[];
  /**
   * OCSP responses (DER OCSPResponse or BasicOCSPResponse) for the same certificates, signed by
   * their issuer or its delegated responder (SM2-with-SM3 included: pki/ocsp.ts).
   */
  ocsps?: readonly Uint8Array[];
}

export interface SesSignatureVerifyOptions extends SesVerifyOptions {
  /** The signed data; its SM3 digest must equal dataHash. */
  data?: Uint8Array;
  /** Or the digest directly (SM3 of the data). */
  dataHash?: Uint8Array;
}

interface Outcome {
  failed: { sub: SubIndication; why: string }[];
  indeterminate: { sub: SubIndication; why: string }[];
  warnings: string[];
}

function newOutcome(): Outcome {
  return { failed: [], indeterminate: [], warnings: [] };
}

function decide(o: Outcome): { indication: Indication; subIndication: SubIndication | null; errors: string[] } {
  if (o.failed.length > 0) return { indication: 'TOTAL_FAILED', subIndication: o.failed[0]!.sub, errors: [...o.failed, ...o.indeterminate].map((x) => x.why) };
  if (o.indeterminate.length > 0) return { indication: 'INDETERMINATE', subIndication: o.indeterminate[0]!.sub, errors: o.indeterminate.map((x) => x.why) };
  return { indication: 'TOTAL_PASSED', subIndication: null, errors: [] };
}

function anchorsOf(opts: SesVerifyOptions): ParsedCertificate[] {
  return (opts.trustAnchors ?? []).map((a) => (a instanceof Uint8Array ? parseCertificate(a) : a));
}

function summary(c: ParsedCertificate | null): SignatureReport['signer'] {
  return c === null ? null : { subject: c.subject, issuer: c.issuer, serialNumber: c.serialNumber };
}

function tryParseCert(der: Uint8Array): ParsedCertificate | null {
  try {
    return parseCertificate(der);
  } catch {
    return null;
  }
}

interface SealCheck {
  seal: SesSeal;
  maker: ParsedCertificate | null;
  signatureValid: boolean;
  trusted: boolean;
  revocation: RevocationSummary;
}

/** The revocation data given to a verification. */
interface RevocationData {
  crls: readonly Uint8Array[];
  ocsps: readonly Uint8Array[];
}

const revocationData = (opts: SesVerifyOptions): RevocationData => ({ crls: opts.crls ?? [], ocsps: opts.ocsps ?? [] });

/**
 * `cert`'s status from the OCSP responses (pki/ocsp.ts: CertID, freshness, the issuer's or a
 * delegated responder's signature): revoked if one says so at or before max(at, its thisUpdate)
 * (as for CRLs), good if one says good, else unknown.
 */
function ocspRevocation(cert: ParsedCertificate, issuer: ParsedCertificate, ocsps: readonly Uint8Array[], at: Date): RevocationSummary {
  let good = false;
  try {
    const c = parsePkiCertificate(cert.der);
    const i = parsePkiCertificate(issuer.der);
    for (const der of ocsps) {
      const p = parseOcspResponse(der);
      const r = p === null ? null : checkOcsp(p, c, i, at);
      if (r === null || r.status === 'unknown') continue;
      if (r.status === 'revoked' && r.revokedAt !== null && r.revokedAt.getTime() <= Math.max(at.getTime(), r.thisUpdate.getTime())) {
        return { status: 'revoked', reason: r.reason, revokedAt: r.revokedAt.toISOString(), source: 'ocsp' };
      }
      good = true;
    }
  } catch {
    // unreadable certificates or responses give no answer, never a pass
  }
  return good ? { status: 'good', reason: null, revokedAt: null, source: 'ocsp' } : { ...NO_REVOCATION };
}

/** CRLs first; OCSP when they do not say revoked (revoked from either wins, then good from either). */
function revocationOf(cert: ParsedCertificate, issuer: ParsedCertificate | null, rev: RevocationData, at: Date): RevocationSummary {
  if (issuer === null) return { ...NO_REVOCATION };
  const fromCrl: RevocationSummary = rev.crls.length > 0 ? checkCrlRevocation(cert, issuer, rev.crls, at) : { ...NO_REVOCATION };
  if (fromCrl.status === 'revoked' || rev.ocsps.length === 0) return fromCrl;
  const fromOcsp = ocspRevocation(cert, issuer, rev.ocsps, at);
  return fromOcsp.status === 'revoked' || fromCrl.status === 'unknown' ? fromOcsp : fromCrl;
}

/** Check a decoded seal, recording problems in `o`; `sealTime` is when the seal must be valid. */
function checkSeal(seal: SesSeal, anchors: ParsedCertificate[], at: Date, sealTime: Date, o: Outcome, prefix: string, rev: RevocationData): SealCheck {
  const info = seal.sealInfo;
  let signatureValid = false;
  let trusted = false;
  let revocation: RevocationSummary = { ...NO_REVOCATION };
  const maker = tryParseCert(seal.makerCert);
  if (maker === null) {
    o.failed.push({ sub: 'FORMAT_FAILURE', why: `${prefix}seal maker certificate is malformed` });
  } else if (seal.signatureAlgorithm !== OID_SM2_WITH_SM3 || maker.sm2PublicKey === null) {
    o.indeterminate.push({ sub: 'CRYPTO_CONSTRAINTS_FAILURE', why: `${prefix}seal signature algorithm ${seal.signatureAlgorithm} is not SM2-with-SM3` });
  } else {
    signatureValid = sm2Verify(seal.signedBytes, seal.signature, maker.sm2PublicKey);
    if (!signatureValid) o.failed.push({ sub: 'SIG_CRYPTO_FAILURE', why: `${prefix}seal maker signature does not verify` });
  }
  if (info.validStart.getTime() > info.validEnd.getTime()) {
    o.failed.push({ sub: 'FORMAT_FAILURE', why: `${prefix}seal validity starts after it ends` });
  }
  if (sealTime.getTime() < info.validStart.getTime()) {
    o.failed.push({ sub: 'NOT_YET_VALID', why: `${prefix}seal is not valid before ${info.validStart.toISOString()}` });
  } else if (sealTime.getTime() > info.validEnd.getTime()) {
    o.indeterminate.push({ sub: 'OUT_OF_BOUNDS_NO_POE', why: `${prefix}seal validity ended ${info.validEnd.toISOString()}` });
  }
  if (info.certListType === 1 && info.certs.length === 0) o.failed.push({ sub: 'FORMAT_FAILURE', why: `${prefix}seal lists no certificate` });
  if (info.certListType === 2 && info.certDigests.length === 0) o.failed.push({ sub: 'FORMAT_FAILURE', why: `${prefix}seal lists no certificate digest` });
  if (maker !== null && signatureValid) {
    const intermediates = info.certs.map(tryParseCert).filter((c): c is ParsedCertificate => c !== null);
    const path = buildCertificatePath(maker, intermediates, anchors, at);
    trusted = path.trusted;
    revocation = revocationOf(maker, path.chain[1] ?? null, rev, at);
    if (revocation.status === 'revoked') {
      const when = new Date(revocation.revokedAt!);
      if (when.getTime() <= info.createDate.getTime()) o.failed.push({ sub: 'REVOKED', why: `${prefix}seal maker certificate was revoked before the seal was made` });
      else o.indeterminate.push({ sub: 'REVOKED_NO_POE', why: `${prefix}seal maker certificate revoked ${revocation.revokedAt!}` });
    }
    if (!trusted) {
      o.indeterminate.push({
        sub: anchors.length === 0 ? 'NO_CERTIFICATE_CHAIN_FOUND' : 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
        why: `${prefix}seal maker certificate not trusted: ${anchors.length === 0 ? 'no trust anchors given' : path.errors.join('; ')}`,
      });
    }
  }
  return { seal, maker, signatureValid, trusted, revocation };
}

function sealFields(seal: SesSeal): Record<string, unknown> {
  const i = seal.sealInfo;
  return {
    format: 'SES_Seal',
    sesVersion: seal.version,
    sealName: i.name,
    sealType: i.type,
    esId: i.esId,
    vid: i.header.vid,
    validStart: i.validStart.toISOString(),
    validEnd: i.validEnd.toISOString(),
    pictureType: i.picture.type,
    certListType: i.certListType,
  };
}

const NO_REVOCATION = { status: 'unknown', reason: null, revokedAt: null, source: null } as const;

/** Verify a standalone SES_Seal. Throws only when the bytes are not an SES_Seal at all. */
export function verifySesSeal(bytes: Uint8Array, opts: SesVerifyOptions = {}): VerificationReport {
  const seal = decodeSesSeal(bytes);
  const at = opts.at ?? new Date();
  const o = newOutcome();
  const chk = checkSeal(seal, anchorsOf(opts), at, at, o, '', revocationData(opts));
  const d = decide(o);
  const sig: SignatureReport = {
    indication: d.indication,
    subIndication: d.subIndication,
    signer: summary(chk.maker),
    signingTime: seal.sealInfo.createDate.toISOString(),
    signingTimeSource: 'claimed',
    trusted: chk.trusted,
    revocation: chk.revocation,
    coversWholeDocument: true,
    modifications: [],
    timestamp: null,
    level: `SES_Seal v${seal.version}`,
    errors: d.errors,
    warnings: [...(chk.revocation.status === 'unknown' ? ['revocation of the maker certificate was not checked'] : []), ...o.warnings],
    intact: chk.signatureValid,
    valid: chk.signatureValid,
    ...sealFields(seal),
  };
  return { indication: combineIndications([sig]), signatures: [sig] };
}

function certDigestMatches(cert: Uint8Array, d: { type: string; value: Uint8Array }): boolean {
  const t = d.type.trim().toUpperCase().replace(/[-_]/g, '');
  let h: Uint8Array | null = null;
  if (t === 'SM3' || t === OID_SM3_NAME) h = sm3(cert);
  else if (t === 'SHA256') h = new Uint8Array(createHash('sha256').update(cert).digest());
  else if (t === 'SHA1') h = new Uint8Array(createHash('sha1').update(cert).digest());
  return h !== null && bytesEqual(h, d.value);
}
const OID_SM3_NAME = '1.2.156.10197.1.401';

/** Verify an already decoded SES_Signature (used by the OFD verifier too). */
export function verifyDecodedSesSignature(s: SesSignature, opts: SesSignatureVerifyOptions = {}): SignatureReport {
  const at = opts.at ?? new Date();
  const anchors = anchorsOf(opts);
  const o = newOutcome();
  const sealChk = checkSeal(s.seal, anchors, at, s.timeInfo, o, 'embedded ', revocationData(opts));
  const signer = tryParseCert(s.signerCert);
  let signatureValid = false;
  let trusted = false;
  let revocation: RevocationSummary = { ...NO_REVOCATION };
  let revokedAfterClaim: Date | null = null;
  if (signer === null) {
    o.failed.push({ sub: 'FORMAT_FAILURE', why: 'signer certificate is malformed' });
  } else {
    if (s.signatureAlgorithm !== OID_SM2_WITH_SM3 || signer.sm2PublicKey === null) {
      o.indeterminate.push({ sub: 'CRYPTO_CONSTRAINTS_FAILURE', why: `signature algorithm ${s.signatureAlgorithm} is not SM2-with-SM3` });
    } else {
      signatureValid = sm2Verify(s.signedBytes, s.signature, signer.sm2PublicKey);
      if (!signatureValid) o.failed.push({ sub: 'SIG_CRYPTO_FAILURE', why: 'signer signature does not verify' });
    }
    const info = s.seal.sealInfo;
    const listed = info.certListType === 1
      ? info.certs.some((c) => bytesEqual(c, s.signerCert))
      : info.certDigests.some((d) => certDigestMatches(s.signerCert, d));
    if (!listed) o.failed.push({ sub: 'SIG_CONSTRAINTS_FAILURE', why: 'signer certificate is not in the seal certificate list' });
    if (s.timeInfo.getTime() < signer.notBefore.getTime() || s.timeInfo.getTime() > signer.notAfter.getTime()) {
      o.indeterminate.push({ sub: 'OUT_OF_BOUNDS_NO_POE', why: 'claimed signing time is outside the signer certificate validity' });
    }
    if (signatureValid) {
      const pool = [...info.certs, s.seal.makerCert].map(tryParseCert).filter((c): c is ParsedCertificate => c !== null);
      const path = buildCertificatePath(signer, pool, anchors, at);
      trusted = path.trusted;
      revocation = revocationOf(signer, path.chain[1] ?? null, revocationData(opts), at);
      if (revocation.status === 'revoked') {
        const when = new Date(revocation.revokedAt!);
        if (when.getTime() <= s.timeInfo.getTime()) o.failed.push({ sub: 'REVOKED', why: 'signer certificate was revoked before the claimed signing time' });
        else revokedAfterClaim = when;
      }
      if (!trusted) {
        const expired = path.errors.some((e) => e.includes('not valid at'));
        o.indeterminate.push({
          sub: anchors.length === 0 ? 'NO_CERTIFICATE_CHAIN_FOUND' : expired ? 'OUT_OF_BOUNDS_NO_POE' : 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
          why: `signer certificate not trusted: ${anchors.length === 0 ? 'no trust anchors given' : path.errors.join('; ')}`,
        });
      }
    }
  }
  let dataHashOk: boolean | null = null;
  const expectedHash = opts.dataHash ?? (opts.data !== undefined ? sm3(opts.data) : undefined);
  if (expectedHash !== undefined) {
    dataHashOk = bytesEqual(expectedHash, s.dataHash);
    if (!dataHashOk) o.failed.push({ sub: 'HASH_FAILURE', why: 'data hash does not match the signed data' });
  } else {
    o.indeterminate.push({ sub: 'SIGNED_DATA_NOT_FOUND', why: 'signed data not given: data hash not checked' });
  }
  let timestamp: SignatureReport['timestamp'] = null;
  if (s.timestamp !== null) {
    const ts = verifySesTimestamp(s.timestamp, s.signature, anchors, at);
    timestamp = ts.summary;
    if (ts.failure === 'tampered') o.failed.push({ sub: 'SIG_CRYPTO_FAILURE', why: `time-stamp: ${ts.reason ?? 'invalid'}` });
    else if (ts.failure === 'unreadable') o.indeterminate.push({ sub: 'SIG_FORMAT_FAILURE', why: `time-stamp: ${ts.reason ?? 'unreadable'}` });
    else if (ts.summary.trusted !== true) o.warnings.push('time-stamp authority not trusted: its time is not used as proof');
  }
  const provenTime = timestamp?.valid === true && timestamp.trusted === true;
  if (revokedAfterClaim !== null && !(provenTime && new Date(timestamp!.time).getTime() < revokedAfterClaim.getTime())) {
    o.indeterminate.push({ sub: 'REVOKED_NO_POE', why: 'signer certificate was revoked after the claimed signing time, which is not proven' });
  }
  const sealOk = sealChk.signatureValid;
  const d = decide(o);
  const seal = sealFields(s.seal);
  return {
    indication: d.indication,
    subIndication: d.subIndication,
    signer: summary(signer),
    signingTime: provenTime ? timestamp!.time : s.timeInfo.toISOString(),
    signingTimeSource: provenTime ? 'timestamp' : 'claimed',
    trusted: trusted && sealChk.trusted,
    revocation,
    coversWholeDocument: dataHashOk === true,
    modifications: [],
    timestamp,
    level: `SES_Signature v${s.version}`,
    errors: d.errors,
    warnings: [...(revocation.status === 'unknown' ? ['revocation of the signer certificate was not checked'] : []), ...o.warnings],
    format: 'SES_Signature',
    sesVersion: s.version,
    intact: signatureValid && dataHashOk !== false,
    valid: signatureValid && sealOk,
    dataHashChecked: dataHashOk !== null,
    propertyInfo: s.propertyInfo,
    dataHash: toHex(s.dataHash),
    seal: { ...seal, maker: summary(sealChk.maker), makerSignatureValid: sealChk.signatureValid, trusted: sealChk.trusted },
  };
}

export function verifySesSignature(bytes: Uint8Array, opts: SesSignatureVerifyOptions = {}): VerificationReport {
  const sig = verifyDecodedSesSignature(decodeSesSignature(bytes), opts);
  return { indication: combineIndications([sig]), signatures: [sig] };
}

/** Verify a file that is either an SES_Seal or an SES_Signature (detected from its structure). */
export function verifySes(bytes: Uint8Array, opts: SesSignatureVerifyOptions = {}): VerificationReport & { kind: 'seal' | 'signature' } {
  let isSignature: boolean;
  try {
    isSignature = looksLikeSesSignature(bytes);
  } catch (err) {
    const e = toSealError(err);
    throw e.code === 'ERR_INTERNAL' ? new SealError('ERR_ASN1_INVALID', 'not an SES object') : e;
  }
  return isSignature ? { kind: 'signature', ...verifySesSignature(bytes, opts) } : { kind: 'seal', ...verifySesSeal(bytes, opts) };
}
