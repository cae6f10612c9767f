/**
 * OCSP responses (RFC 6960): parse, find the responder (the issuer itself or a delegated responder
 * certified by the issuer with EKU OCSPSigning), verify the signature, match the CertID, check times.
 * Also builds OCSP requests for the online fetcher.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AlgorithmPolicyError, DIGEST_OIDS, hashBytes, verifySignature } from './algorithms.js';
import { CRL_REASONS } from './crl.js';
import { bytesToHex, EKU, namesEqual, parseCertificate, type CertInfo } from './cert.js';

export interface ParsedOcsp {
  readonly der: Uint8Array;
  readonly basic: pkijs.BasicOCSPResponse;
  readonly producedAt: Date;
}

/** Parse an OCSPResponse (or a bare BasicOCSPResponse as stored in a DSS); null if not usable. */
export function parseOcspResponse(der: Uint8Array): ParsedOcsp | null {
  try {
    let basic: pkijs.BasicOCSPResponse;
    const asn = asn1js.fromBER(der);
    if (asn.offset === -1) return null;
    const seq = asn.result as asn1js.Sequence;
    const first = seq.valueBlock?.value?.[0];
    if (first instanceof asn1js.Enumerated) {
      const resp = pkijs.OCSPResponse.fromBER(der);
      if (resp.responseStatus.valueBlock.valueDec !== 0 || !resp.responseBytes) return null;
      if (resp.responseBytes.responseType !== '1.3.6.1.5.5.7.48.1.1') return null;
      basic = pkijs.BasicOCSPResponse.fromBER(resp.responseBytes.response.valueBlock.valueHexView);
    } else {
      basic = pkijs.BasicOCSPResponse.fromBER(der);
    }
    return { der, basic, producedAt: basic.tbsResponseData.producedAt };
  } catch {
    return null;
  }
}

export interface OcspCheckResult {
  status: 'good' | 'revoked' | 'unknown';
  reason: string | null;
  revokedAt: Date | null;
  thisUpdate: Date;
}

function responderMatches(respId: unknown, cert: CertInfo): boolean {
  if (respId instanceof pkijs.RelativeDistinguishedNames) return namesEqual(respId, cert.pkijs.subject);
  if (respId instanceof asn1js.OctetString) {
    return bytesToHex(respId.valueBlock.valueHexView) === bytesToHex(hashBytes('sha1', cert.publicKeyBits));
  }
  return false;
}

function signedBy(o: ParsedOcsp, signer: CertInfo): boolean {
  try {
    return verifySignature({
      signatureAlgorithm: o.basic.signatureAlgorithm,
      publicKey: signer.spki,
      data: o.basic.tbsResponseData.tbsView,
      signature: o.basic.signature.valueBlock.valueHexView,
    });
  } catch (err) {
    if (err instanceof AlgorithmPolicyError) return false;
    throw err;
  }
}

function certSignedBy(cert: CertInfo, issuer: CertInfo): boolean {
  if (!namesEqual(cert.pkijs.issuer, issuer.pkijs.subject)) return false;
  try {
    return verifySignature({
      signatureAlgorithm: cert.pkijs.signatureAlgorithm,
      publicKey: issuer.spki,
      data: cert.pkijs.tbsView,
      signature: cert.pkijs.signatureValue.valueBlock.valueHexView,
    });
  } catch (err) {
    if (err instanceof AlgorithmPolicyError) return false;
    throw err;
  }
}

/** Is the response authentic for certificates issued by `issuer` at time `at`? */
export function ocspAuthenticFor(o: ParsedOcsp, issuer: CertInfo, at: Date): boolean {
  void at;
  return ocspSignerFor(o, issuer) !== null;
}

/**
 * Who signed the response for certificates issued by `issuer`: the issuer itself, or a delegated
 * responder certificate from the response (EKU OCSPSigning, issued by `issuer`, valid when the
 * response was produced); null when neither did. Memoised per response and issuer.
 */
export function ocspSignerFor(o: ParsedOcsp, issuer: CertInfo): CertInfo | null {
  let m = signerCache.get(o.basic);
  if (!m) signerCache.set(o.basic, (m = new Map()));
  const hit = m.get(issuer.fingerprint);
  if (hit !== undefined) return hit;
  const found = findSigner(o, issuer);
  m.set(issuer.fingerprint, found);
  return found;
}

const signerCache = new WeakMap<pkijs.BasicOCSPResponse, Map<string, CertInfo | null>>();

function findSigner(o: ParsedOcsp, issuer: CertInfo): CertInfo | null {
  const respId = o.basic.tbsResponseData.responderID;
  if (responderMatches(respId, issuer) && signedBy(o, issuer)) return issuer;
  for (const c of o.basic.certs ?? []) {
    let rc: CertInfo;
    try {
      rc = parseCertificate(new Uint8Array(c.toSchema().toBER()));
    } catch {
      continue;
    }
    if (!responderMatches(respId, rc)) continue;
    if (!rc.extKeyUsage?.includes(EKU.ocspSigning)) continue;
    if (rc.keyUsage && !rc.keyUsage.has('digitalSignature') && !rc.keyUsage.has('nonRepudiation')) continue;
    const t = o.producedAt.getTime();
    if (t < rc.notBefore.getTime() - 1000 || t > rc.notAfter.getTime() + 1000) continue;
    if (!certSignedBy(rc, issuer)) continue;
    if (signedBy(o, rc)) return rc;
  }
  return null;
}

/** The delegated responder certificate that signed the response (null when the issuer signed it itself, or nobody valid did). */
export function ocspDelegatedResponder(o: ParsedOcsp, issuer: CertInfo): CertInfo | null {
  const s = ocspSignerFor(o, issuer);
  return s && s.fingerprint !== issuer.fingerprint ? s : null;
}

/** RFC 6960 4.2.2.2.1: an OCSP signing certificate with id-pkix-ocsp-nocheck is not checked for revocation. */
export function hasOcspNoCheck(c: CertInfo): boolean {
  return (c.extKeyUsage ?? []).includes(EKU.ocspSigning) && (c.pkijs.extensions ?? []).some((e) => e.extnID === '1.3.6.1.5.5.7.48.1.5');
}

/** Check `cert` (issued by `issuer`) in the response for validation time `at`; null when it does not apply. */
export function checkOcsp(o: ParsedOcsp, cert: CertInfo, issuer: CertInfo, at: Date): OcspCheckResult | null {
  let match: pkijs.SingleResponse | undefined;
  for (const sr of o.basic.tbsResponseData.responses) {
    const id = sr.certID;
    if (bytesToHex(id.serialNumber.valueBlock.valueHexView) !== cert.serialNumber) continue;
    const alg = DIGEST_OIDS[id.hashAlgorithm.algorithmId];
    if (!alg) continue;
    const nameHash = hashBytes(alg, new Uint8Array(issuer.pkijs.subject.valueBeforeDecode));
    const keyHash = hashBytes(alg, issuer.publicKeyBits);
    if (bytesToHex(id.issuerNameHash.valueBlock.valueHexView) !== nameHash.toString('hex')) continue;
    if (bytesToHex(id.issuerKeyHash.valueBlock.valueHexView) !== keyHash.toString('hex')) continue;
    match = sr;
    break;
  }
  if (!match) return null;
  const thisUpdate = match.thisUpdate;
  const nextUpdate = match.nextUpdate ?? null;
  const fresh = thisUpdate.getTime() >= at.getTime() || (nextUpdate !== null && nextUpdate.getTime() >= at.getTime());
  if (!fresh) return null;
  if (!ocspAuthenticFor(o, issuer, at)) return null;
  const st = match.certStatus as asn1js.BaseBlock;
  const tag = st.idBlock.tagNumber;
  if (tag === 0) return { status: 'good', reason: null, revokedAt: null, thisUpdate };
  if (tag === 1) {
    // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
    let revokedAt: Date | null = null;
    let reason: string | null = 'unspecified';
    const inner = st instanceof asn1js.Constructed ? st.valueBlock.value : [];
    for (const item of inner) {
      if (item instanceof asn1js.GeneralizedTime) revokedAt = item.toDate();
      else if (item instanceof asn1js.Constructed && item.idBlock.tagNumber === 0) {
        const e = item.valueBlock.value[0];
        if (e instanceof asn1js.Enumerated) reason = CRL_REASONS[e.valueBlock.valueDec] ?? 'unspecified';
      } else if (item.idBlock.tagNumber === 24) {
        // implicitly tagged primitive GeneralizedTime
        const s = Buffer.from((item as asn1js.Primitive).valueBlock.valueHexView).toString('latin1');
        const g = new asn1js.GeneralizedTime({ value: s });
        revokedAt = g.toDate();
      }
    }
    return { status: 'revoked', reason, revokedAt, thisUpdate };
  }
  return { status: 'unknown', reason: null, revokedAt: null, thisUpdate };
}

/** DER OCSPRequest for one certificate (SHA-1 CertID, as most responders expect). */
export function buildOcspRequest(cert: CertInfo, issuer: CertInfo): Uint8Array {
  const req = new pkijs.OCSPRequest();
  req.tbsRequest.requestList = [
    new pkijs.Request({
      reqCert: new pkijs.CertID({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.3.14.3.2.26', algorithmParams: new asn1js.Null() }),
        issuerNameHash: new asn1js.OctetString({ valueHex: hashBytes('sha1', new Uint8Array(issuer.pkijs.subject.valueBeforeDecode)) }),
        issuerKeyHash: new asn1js.OctetString({ valueHex: hashBytes('sha1', issuer.publicKeyBits) }),
        serialNumber: new asn1js.Integer({ valueHex: Buffer.from(cert.serialNumber, 'hex') }),
      }),
    }),
  ];
  return new Uint8Array(req.toSchema(true).toBER());
}
