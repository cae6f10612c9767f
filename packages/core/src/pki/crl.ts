/** CRL parsing and checking: issuer name + signature by the certificate's issuer, time window, entry lookup. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AlgorithmPolicyError, verifySignature } from './algorithms.js';
import { bytesToHex, namesEqual, type CertInfo } from './cert.js';

/** RFC 5280 5.3.1 CRLReason names, indexed by their enumerated value (7 is not used): the one table. */
export const CRL_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'unused',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
] as const;
export type CrlReasonName = (typeof CRL_REASONS)[number];

export interface ParsedCrl {
  readonly der: Uint8Array;
  readonly pkijs: pkijs.CertificateRevocationList;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | null;
}

/** Parse a DER (or PEM) CRL; returns null if it is not one (callers treat that as "no data"). */
export function parseCrl(input: Uint8Array): ParsedCrl | null {
  let der = input;
  const head = Buffer.from(input.subarray(0, 64)).toString('latin1');
  if (head.includes('-----BEGIN')) {
    const m = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(Buffer.from(input).toString('latin1'));
    if (!m) return null;
    der = new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  }
  try {
    const crl = pkijs.CertificateRevocationList.fromBER(der);
    return { der, pkijs: crl, thisUpdate: crl.thisUpdate.value, nextUpdate: crl.nextUpdate?.value ?? null };
  } catch {
    return null;
  }
}

export interface CrlCheckResult {
  /** 'good' when this CRL is authoritative for the cert and does not list it. */
  status: 'good' | 'revoked';
  reason: string | null;
  revokedAt: Date | null;
  thisUpdate: Date;
}

/** Does this CRL come from the cert's issuer (name, key usage, signature)? Memoised per pair. */
const sigCache = new WeakMap<pkijs.CertificateRevocationList, Map<string, boolean>>();

export function crlIssuedBy(crl: ParsedCrl, issuer: CertInfo): boolean {
  if (!namesEqual(crl.pkijs.issuer, issuer.pkijs.subject)) return false;
  if (issuer.keyUsage && !issuer.keyUsage.has('cRLSign')) return false;
  let m = sigCache.get(crl.pkijs);
  if (!m) sigCache.set(crl.pkijs, (m = new Map()));
  const hit = m.get(issuer.fingerprint);
  if (hit !== undefined) return hit;
  let ok = false;
  try {
    ok = verifySignature({
      signatureAlgorithm: crl.pkijs.signature,
      publicKey: issuer.spki,
      data: crl.pkijs.tbsView,
      signature: crl.pkijs.signatureValue.valueBlock.valueHexView,
    });
  } catch (err) {
    if (!(err instanceof AlgorithmPolicyError)) throw err;
    ok = false;
  }
  m.set(issuer.fingerprint, ok);
  return ok;
}

/**
 * Check `cert` against a CRL issued by `issuer`, for validation time `at`. Returns null when the CRL
 * does not apply (other issuer, bad signature, not fresh for `at`, delta/indirect CRL).
 * A CRL applies when it was issued at or after `at`, or when `at` is inside [thisUpdate, nextUpdate].
 */
export function checkCrl(crl: ParsedCrl, cert: CertInfo, issuer: CertInfo, at: Date): CrlCheckResult | null {
  for (const ext of crl.pkijs.crlExtensions?.extensions ?? []) {
    // deltaCRLIndicator or issuingDistributionPoint with indirectCRL: not supported -> not used
    if (ext.extnID === '2.5.29.27') return null;
    if (ext.extnID === '2.5.29.28' && ext.critical) {
      const idp = ext.parsedValue as pkijs.IssuingDistributionPoint | undefined;
      if (idp?.indirectCRL || idp?.onlyContainsAttributeCerts) return null;
      if (idp?.onlyContainsCACerts && !cert.isCA) return null;
      if (idp?.onlyContainsUserCerts && cert.isCA) return null;
    }
  }
  const fresh = crl.thisUpdate.getTime() >= at.getTime() || (crl.nextUpdate !== null && crl.nextUpdate.getTime() >= at.getTime());
  if (!fresh) return null;
  if (!crlIssuedBy(crl, issuer)) return null;
  for (const entry of crl.pkijs.revokedCertificates ?? []) {
    if (bytesToHex(entry.userCertificate.valueBlock.valueHexView) !== cert.serialNumber) continue;
    let reason: string | null = null;
    for (const ext of entry.crlEntryExtensions?.extensions ?? []) {
      if (ext.extnID === '2.5.29.21') {
        const v = ext.parsedValue as asn1js.Enumerated | undefined;
        const code = v?.valueBlock.valueDec;
        reason = code !== undefined ? (CRL_REASONS[code] ?? 'unspecified') : null;
      }
    }
    if (reason === 'removeFromCRL') return { status: 'good', reason: null, revokedAt: null, thisUpdate: crl.thisUpdate };
    return { status: 'revoked', reason: reason ?? 'unspecified', revokedAt: entry.revocationDate.value, thisUpdate: crl.thisUpdate };
  }
  return { status: 'good', reason: null, revokedAt: null, thisUpdate: crl.thisUpdate };
}
