/**
 * Revocation status of a delegated OCSP responder (RFC 6960 4.2.2.2): the certificate, issued by
 * the CA and carrying EKU OCSPSigning, that signed an OCSP response instead of the CA itself.
 * Unless it carries id-pkix-ocsp-nocheck its own status must be known to trust its answers. It
 * is judged at the response's producedAt from known CRLs and OCSP responses only — never from a
 * response signed by that same responder (it cannot vouch for itself), and one level deep: the
 * status of the responder of the responder's status is not chased.
 */
import type { RevocationSummary } from '../report/index.js';
import { checkCrl, type ParsedCrl } from './crl.js';
import type { CertInfo } from './cert.js';
import { checkOcsp, hasOcspNoCheck, ocspDelegatedResponder, ocspSignerFor, type ParsedOcsp } from './ocsp.js';

export interface ResponderStatus {
  /** The delegated responder certificate. */
  responder: CertInfo;
  /** Its status at the response's producedAt ('good' with source 'ocsp-nocheck' when exempt). */
  status: RevocationSummary;
  /** Revoked at or before producedAt: the response must not be used. */
  disqualified: boolean;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** Revocation data that can speak for `responder` (issued by `issuer`) at `at`, excluding anything it signed itself. */
export function responderStatusFrom(responder: CertInfo, issuer: CertInfo, at: Date, crls: readonly ParsedCrl[], ocsps: readonly ParsedOcsp[]): RevocationSummary {
  const answers: RevocationSummary[] = [];
  for (const crl of crls) {
    const r = checkCrl(crl, responder, issuer, at);
    if (r) answers.push({ status: r.status, reason: r.reason, revokedAt: iso(r.revokedAt), source: 'crl' });
  }
  for (const o of ocsps) {
    if (ocspSignerFor(o, issuer)?.fingerprint === responder.fingerprint) continue;
    const r = checkOcsp(o, responder, issuer, at);
    if (r && r.status !== 'unknown') answers.push({ status: r.status, reason: r.reason, revokedAt: iso(r.revokedAt), source: 'ocsp' });
  }
  const revoked = answers.filter((a) => a.status === 'revoked').sort((a, b) => (a.revokedAt ?? '').localeCompare(b.revokedAt ?? ''));
  return revoked[0] ?? answers[0] ?? { status: 'unknown', reason: null, revokedAt: null, source: null };
}

/**
 * The status of the delegated responder that signed `o` (for certificates of `issuer`), or null
 * when the issuer signed the response itself (or nobody valid did: `checkOcsp` refuses it then).
 */
export function checkOcspResponder(o: ParsedOcsp, issuer: CertInfo, crls: readonly ParsedCrl[], ocsps: readonly ParsedOcsp[]): ResponderStatus | null {
  const responder = ocspDelegatedResponder(o, issuer);
  if (!responder) return null;
  if (hasOcspNoCheck(responder)) return { responder, status: { status: 'good', reason: null, revokedAt: null, source: 'ocsp-nocheck' }, disqualified: false };
  const status = responderStatusFrom(responder, issuer, o.producedAt, crls, ocsps);
  const disqualified = status.status === 'revoked' && (status.revokedAt === null || new Date(status.revokedAt).getTime() <= o.producedAt.getTime());
  return { responder, status, disqualified };
}
