/**
 * verifyPdf: every signature and document time-stamp of a PDF, per ETSI EN 319 102-1 indications.
 * Integrity (ByteRange shape, gap = exactly /Contents, end = a revision end, no overlap; CMS digest
 * and signature), identity and trust (pki/), revocation, time-stamps, and the changes made after
 * each signature (diff.ts). Nothing here trusts the document: every check fails closed.
 */
import * as asn1js from 'asn1js';
import { PdfMalformedError, SealError, InputInvalidError } from '../errors/index.js';
import { combineIndications, type Indication, type ModificationEntry, type RevocationSummary, type SignatureReport, type SubIndication, type VerificationReport } from '../report/index.js';
import { hashBytes, verifySignature, AlgorithmPolicyError, type DigestName } from '../pki/algorithms.js';
import { parseCertificate, type CertInfo } from '../pki/cert.js';
import { validateCertificatePath, type PathValidationResult, type RegistryRevocationLookup, type RevocationFetcher } from '../pki/validate-path.js';
import { verifyCms, type CmsVerifyResult } from '../cms/verify.js';
import { verifyTimestampToken, type TimestampVerifyResult } from '../tsa/verify.js';
import { parsePdf, PdfDict, PdfString, isArray, type PdfDocument } from './parser/index.js';
import { listSignatures, readByteRange, readDss, repairStaleOffsets, type SignatureField } from './verify-fields.js';
import { analyseChanges, type ChangeAnalysis } from './diff.js';

export interface VerifyPdfOptions {
  /** Trusted certificates (DER). With none, nothing is trusted: a good signature is INDETERMINATE. */
  trustAnchors?: readonly Uint8Array[];
  /** Extra certificates for chain building. */
  intermediates?: readonly Uint8Array[];
  /** Extra CRLs (DER or PEM). */
  crls?: readonly Uint8Array[];
  /** Extra OCSP responses (DER). */
  ocsps?: readonly Uint8Array[];
  /** Validation time. Default: the proven signing time (time-stamp), else the claimed one, else now. */
  at?: Date;
  /** Default 'require': unknown revocation status -> INDETERMINATE. */
  revocationPolicy?: 'require' | 'if-available' | 'off';
  fetcher?: RevocationFetcher;
  registry?: RegistryRevocationLookup;
  /** Refuse larger inputs (ERR_INPUT_TOO_LARGE). Default 512 MiB. */
  maxBytes?: number;
}

export type SignatureKind = 'signature' | 'document-timestamp';

/** A SignatureReport with the PDF-specific facts. */
export interface PdfSignatureReport extends SignatureReport {
  kind: SignatureKind;
  fieldName: string;
  subFilter: string | null;
  byteRange: number[] | null;
  /** Revision (0-based) the signature covers up to, or null. */
  revision: number | null;
  /** Digest over the ranges matches (and CMS signature ok): pyHanko's intact/valid split. */
  intact: boolean;
  valid: boolean;
  algorithm: string | null;
  certification: { permissions: 1 | 2 | 3 } | null;
}

const SUB_ORDER: Indication[] = ['TOTAL_FAILED', 'INDETERMINATE', 'TOTAL_PASSED'];

class Verdict {
  indication: Indication = 'TOTAL_PASSED';
  sub: SubIndication | null = null;
  errors: string[] = [];
  warnings: string[] = [];
  /** Lower the verdict (never raise it). The first reason at the worst level is kept as sub-indication. */
  lower(ind: Indication, sub: SubIndication | null, msg?: string): void {
    if (msg) this.errors.push(msg);
    if (SUB_ORDER.indexOf(ind) < SUB_ORDER.indexOf(this.indication)) {
      this.indication = ind;
      this.sub = sub;
    }
  }
}

const UNKNOWN_REV: RevocationSummary = { status: 'unknown', reason: null, revokedAt: null, source: null };

function nameOf(o: unknown): string | null {
  return o && typeof o === 'object' && 'name' in o && typeof (o as { name: unknown }).name === 'string' ? (o as { name: string }).name : null;
}

interface Located {
  sf: SignatureField;
  kind: SignatureKind;
  subFilter: string | null;
  br: [number, number, number, number] | null;
  contents: PdfString | null;
  revision: number | null;
  end: number;
  verdict: Verdict;
  report: PdfSignatureReport;
}

/** Find the revision whose end the signed bytes reach. */
function revisionEndingAt(doc: PdfDocument, end: number): number | null {
  for (const r of doc.revisions) if (r.end === end || r.eofMarkerEnd === end) return r.index;
  if (end === doc.bytes.length) return doc.revisions.length - 1;
  return null;
}

function checkStructure(doc: PdfDocument, l: Located): void {
  const v = l.verdict;
  const len = doc.bytes.length;
  const br = l.br;
  if (!br) return v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', '/ByteRange is not four non-negative integers');
  const [a, b, c, d] = br;
  if (a !== 0) v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', '/ByteRange does not start at byte 0');
  if (c < b) v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', '/ByteRange ranges are out of order');
  if (b > len || c + d > len) return v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', '/ByteRange reaches beyond the end of the file');
  if (!(l.contents instanceof PdfString) || !l.contents.hex) return v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', '/Contents is not a hex string');
  const located = l.sf.sigRef ? doc.getObject(l.sf.sigRef) : undefined;
  if (l.sf.sigRef && (!located || located.inObjectStream !== undefined)) {
    return v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', 'the signature dictionary is not a plain indirect object');
  }
  if (l.contents.offset !== b || l.contents.end !== c) {
    v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', 'the /ByteRange gap does not hold exactly this signature\'s /Contents');
  }
  l.end = c + d;
  l.revision = revisionEndingAt(doc, c + d);
  if (l.revision === null) {
    v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', 'the signed bytes do not end at the end of a revision');
    return;
  }
  // The signature dictionary the field shows now must be the one that existed in the signed revision.
  if (l.sf.sigRef && located) {
    const then = doc.getObject(l.sf.sigRef, l.revision);
    if (!then || then.offset !== located.offset) {
      v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', 'the signature dictionary was replaced after signing');
    }
    if (located.offset >= c + d) v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', 'the signature dictionary lies outside the signed bytes');
  }
}

function ranges(doc: PdfDocument, br: [number, number, number, number]): Uint8Array[] {
  const [a, b, c, d] = br;
  return [doc.bytes.subarray(a, a + b), doc.bytes.subarray(c, c + d)];
}

function memoDigest(parts: readonly Uint8Array[]): (alg: DigestName) => Uint8Array {
  const memo = new Map<DigestName, Uint8Array>();
  return (alg) => {
    let h = memo.get(alg);
    if (!h) memo.set(alg, (h = hashBytes(alg, parts)));
    return h;
  };
}

function signerSummary(c: CertInfo | null | undefined): SignatureReport['signer'] {
  return c ? { subject: c.subject, issuer: c.issuer, serialNumber: c.serialNumber } : null;
}

function certificationOf(doc: PdfDocument, sig: PdfDict): { permissions: 1 | 2 | 3 } | null {
  const refs = doc.resolve(sig.get('Reference'));
  if (!isArray(refs)) return null;
  for (const r of refs) {
    const rd = doc.resolveDict(r);
    if (!rd || nameOf(doc.resolve(rd.get('TransformMethod'))) !== 'DocMDP') continue;
    const params = doc.resolveDict(rd.get('TransformParams'));
    const p = params ? doc.resolve(params.get('P')) : undefined;
    return { permissions: p === 1 || p === 3 ? p : 2 };
  }
  return null;
}

/** legacy adbe.x509.rsa_sha1: PKCS#1 signature in an OCTET STRING, certificate(s) in /Cert. */
function verifyX509RsaSha1(doc: PdfDocument, l: Located, parts: Uint8Array[]): CertInfo | null {
  const v = l.verdict;
  const certObj = doc.resolve(l.sf.sig.get('Cert'));
  const certStr = isArray(certObj) ? doc.resolve(certObj[0]) : certObj;
  if (!(certStr instanceof PdfString)) {
    v.lower('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'adbe.x509.rsa_sha1 signature without /Cert');
    return null;
  }
  let cert: CertInfo;
  try {
    cert = parseCertificate(certStr.bytes);
  } catch {
    v.lower('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'unreadable /Cert');
    return null;
  }
  const raw = l.contents!.bytes;
  const asn = asn1js.fromBER(raw);
  const sigBytes = asn.offset !== -1 && asn.result instanceof asn1js.OctetString ? new Uint8Array(asn.result.valueBlock.valueHexView) : null;
  if (!sigBytes) {
    v.lower('TOTAL_FAILED', 'FORMAT_FAILURE', 'adbe.x509.rsa_sha1 /Contents is not an OCTET STRING');
    return cert;
  }
  let ok = false;
  try {
    ok = verifySignature({ signatureAlgorithm: { algorithmId: '1.2.840.113549.1.1.5' }, publicKey: cert.spki, data: new Uint8Array(Buffer.concat(parts)), signature: sigBytes, allowWeak: true });
  } catch (err) {
    if (!(err instanceof AlgorithmPolicyError)) throw err;
  }
  l.report.valid = ok;
  l.report.intact = ok;
  if (!ok) v.lower('TOTAL_FAILED', 'HASH_FAILURE', 'the adbe.x509.rsa_sha1 signature does not verify');
  else v.lower('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', 'adbe.x509.rsa_sha1 uses SHA-1 (not accepted by policy)');
  l.report.algorithm = 'RSA/SHA1';
  return cert;
}

function newReport(kind: SignatureKind, fieldName: string, subFilter: string | null, br: number[] | null): PdfSignatureReport {
  return {
    indication: 'INDETERMINATE',
    subIndication: null,
    signer: null,
    signingTime: null,
    signingTimeSource: null,
    trusted: false,
    revocation: { ...UNKNOWN_REV },
    coversWholeDocument: false,
    modifications: [],
    timestamp: null,
    level: null,
    kind,
    fieldName,
    subFilter,
    byteRange: br,
    revision: null,
    intact: false,
    valid: false,
    algorithm: null,
    certification: null,
  };
}

/**
 * Verify every signature and document time-stamp of a PDF. Throws SealError only when no report
 * can be made (not a PDF, unreadable structure: ERR_PDF_MALFORMED; too large: ERR_INPUT_TOO_LARGE).
 */
export async function verifyPdf(bytes: Uint8Array, opts: VerifyPdfOptions = {}): Promise<VerificationReport> {
  if (!(bytes instanceof Uint8Array)) throw new InputInvalidError('verifyPdf needs the PDF bytes');
  if (bytes.length > (opts.maxBytes ?? 512 * 1024 * 1024)) throw new SealError('ERR_INPUT_TOO_LARGE', 'the PDF is too large');
  let doc: PdfDocument;
  let sigs: SignatureField[];
  try {
    doc = parsePdf(bytes);
    repairStaleOffsets(doc);
    sigs = listSignatures(doc);
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw new PdfMalformedError('malformed PDF', { cause: err });
  }
  let dss: ReturnType<typeof readDss> = null;
  try {
    dss = readDss(doc);
  } catch {
    dss = null;
  }
  const located: Located[] = sigs.map((sf) => {
    const typeName = nameOf(doc.resolve(sf.sig.get('Type')));
    const subFilter = nameOf(doc.resolve(sf.sig.get('SubFilter')));
    const kind: SignatureKind = typeName === 'DocTimeStamp' || subFilter === 'ETSI.RFC3161' ? 'document-timestamp' : 'signature';
    const br = readByteRange(doc, sf.sig);
    const contents = doc.resolve(sf.sig.get('Contents'));
    return {
      sf,
      kind,
      subFilter,
      br,
      contents: contents instanceof PdfString ? contents : null,
      revision: null,
      end: -1,
      verdict: new Verdict(),
      report: newReport(kind, sf.field.name, subFilter, br),
    };
  });
  for (const l of located) {
    try {
      checkStructure(doc, l);
    } catch (err) {
      if (!(err instanceof SealError)) throw err;
      l.verdict.lower('TOTAL_FAILED', 'FORMAT_FAILURE', 'the signature dictionary cannot be read');
    }
  }
  // overlap: two signatures never cover the same bytes, and a later signature's excluded gap never
  // hides bytes an earlier signature covers
  for (const x of located) {
    for (const y of located) {
      if (x === y || !x.br || !y.br || x.end < 0 || y.end < 0) continue;
      if (x.end === y.end) x.verdict.lower('TOTAL_FAILED', 'FORMAT_FAILURE', 'two signatures cover the same bytes');
      else if (x.end < y.end && y.br[1] < x.end) y.verdict.lower('TOTAL_FAILED', 'FORMAT_FAILURE', "the /ByteRange gap overlaps an earlier signature's signed bytes");
    }
  }

  // cryptography, per signature
  const revSources = {
    crls: [...(opts.crls ?? []), ...(dss?.crls ?? [])],
    ocsps: [...(opts.ocsps ?? []), ...(dss?.ocsps ?? [])],
  };
  const extraCerts = [...(opts.intermediates ?? []), ...(dss?.certs ?? [])];
  const anchors = opts.trustAnchors ?? [];
  const cmsOf = new Map<Located, CmsVerifyResult>();
  const tsOf = new Map<Located, TimestampVerifyResult>();
  for (const l of located) {
    const v = l.verdict;
    const r = l.report;
    r.coversWholeDocument = l.end === bytes.length && v.indication !== 'TOTAL_FAILED';
    r.revision = l.revision;
    if (!l.br || !l.contents || v.indication === 'TOTAL_FAILED') continue;
    const parts = ranges(doc, l.br);
    const digest = memoDigest(parts);
    if (l.kind === 'document-timestamp') {
      const ts = await verifyTimestampToken(l.contents.bytes, {
        dataDigest: digest,
        trustAnchors: anchors,
        intermediates: extraCerts,
        revocation: { ...revSources, ...(opts.registry ? { registry: opts.registry } : {}), ...(opts.fetcher ? { fetcher: opts.fetcher } : {}) },
        revocationPolicy: opts.revocationPolicy ?? 'require',
        ...(opts.at ? { at: opts.at } : {}),
      });
      tsOf.set(l, ts);
      r.intact = ts.imprintMatches;
      r.valid = ts.valid;
      r.algorithm = ts.cms.signatureAlgorithm;
      r.signer = signerSummary(ts.cms.signerCertificate);
      r.trusted = ts.trusted;
      r.signingTime = ts.genTime?.toISOString() ?? null;
      r.signingTimeSource = ts.genTime ? 'timestamp' : null;
      r.timestamp = ts.genTime ? { time: ts.genTime.toISOString(), valid: ts.indication === 'TOTAL_PASSED', tsa: ts.tsa, trusted: ts.trusted } : null;
      if (ts.path) r.revocation = ts.path.revocation;
      v.lower(ts.indication, ts.subIndication);
      v.errors.push(...ts.errors);
      r.level = 'DOC-TIMESTAMP';
      continue;
    }
    let signer: CertInfo | null = null;
    let cms: CmsVerifyResult | null = null;
    if (l.subFilter === 'adbe.x509.rsa_sha1') {
      signer = verifyX509RsaSha1(doc, l, parts);
    } else if (l.subFilter === 'adbe.pkcs7.sha1') {
      cms = verifyCms(l.contents.bytes);
      const expected = hashBytes('sha1', parts);
      if (cms.eContent && Buffer.compare(Buffer.from(cms.eContent), expected) !== 0) {
        cms.intact = false;
        v.lower('TOTAL_FAILED', 'HASH_FAILURE', 'the SHA-1 digest in the adbe.pkcs7.sha1 signature does not match the signed bytes');
      }
      v.lower(cms.indication, cms.subIndication);
      v.lower('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', 'adbe.pkcs7.sha1 uses SHA-1 (not accepted by policy)');
    } else if (l.subFilter === 'adbe.pkcs7.detached' || l.subFilter === 'ETSI.CAdES.detached' || l.subFilter === 'PBAD.PAdES' || l.subFilter === null) {
      cms = verifyCms(l.contents.bytes, { detachedContent: parts, contentDigest: digest });
      v.lower(cms.indication, cms.subIndication);
    } else {
      v.lower('INDETERMINATE', 'SIG_FORMAT_FAILURE', `unsupported /SubFilter ${l.subFilter}`);
      continue;
    }
    if (cms) {
      cmsOf.set(l, cms);
      v.errors.push(...cms.errors);
      v.warnings.push(...cms.warnings);
      signer = cms.signerCertificate;
      r.intact = cms.intact;
      r.valid = cms.valid;
      r.algorithm = cms.signatureAlgorithm;
    }
    r.signer = signerSummary(signer);
    r.certification = certificationOf(doc, l.sf.sig);
  }

  // signature time-stamps (unsigned attribute)
  for (const [l, cms] of cmsOf) {
    const token = cms.signatureTimestamps[0];
    if (!token || !cms.signatureValue) continue;
    const ts = await verifyTimestampToken(token, {
      data: [cms.signatureValue],
      trustAnchors: anchors,
      intermediates: [...extraCerts, ...cms.certificates],
      revocation: { ...revSources },
      revocationPolicy: 'if-available',
    });
    tsOf.set(l, ts);
    l.report.timestamp = ts.genTime ? { time: ts.genTime.toISOString(), valid: ts.indication === 'TOTAL_PASSED', tsa: ts.tsa, trusted: ts.trusted } : null;
    const broken = ts.cms.parsed && (ts.cms.subIndication === 'HASH_FAILURE' || ts.cms.subIndication === 'SIG_CRYPTO_FAILURE' || ts.subIndication === 'HASH_FAILURE');
    if (broken) {
      l.verdict.lower('TOTAL_FAILED', ts.subIndication ?? 'SIG_CRYPTO_FAILURE', `signature time-stamp is broken: ${ts.errors[0] ?? 'invalid'}`);
    } else if (ts.indication !== 'TOTAL_PASSED') {
      l.verdict.warnings.push(`signature time-stamp not validated: ${ts.errors.join('; ')}`);
    }
  }

  // changes after signing
  let changes: ChangeAnalysis | null = null;
  try {
    changes = analyseChanges(doc, located.filter((l) => l.revision !== null && l.verdict.indication !== 'TOTAL_FAILED').map((l) => ({ revision: l.revision!, kind: l.kind, sigRef: l.sf.sigRef, certification: l.report.certification, fieldName: l.sf.field.name })));
  } catch (err) {
    if (!(err instanceof SealError)) throw err;
    changes = null;
    for (const l of located) l.verdict.lower('TOTAL_FAILED', 'FORMAT_FAILURE', 'the revisions after signing cannot be analysed');
  }
  if (changes) {
    for (const l of located) {
      if (l.revision === null) continue;
      const mods: ModificationEntry[] = changes.forSignature(l.revision);
      l.report.modifications = mods;
      const bad = mods.filter((m) => !m.allowed);
      if (bad.length > 0) l.verdict.lower('TOTAL_FAILED', 'FORMAT_FAILURE', `disallowed change after signing: ${bad[0]!.description}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}`);
      for (const e of changes.errorsFor(l.revision)) l.verdict.lower('TOTAL_FAILED', 'FORMAT_FAILURE', e);
    }
  }

  // proof of existence from document time-stamps that cover a signature
  const docTs = located.filter((l) => l.kind === 'document-timestamp' && tsOf.get(l)?.valid && tsOf.get(l)?.imprintMatches && l.verdict.indication !== 'TOTAL_FAILED');

  // trust, revocation, time
  for (const l of located) {
    if (l.kind !== 'signature') continue;
    const r = l.report;
    const v = l.verdict;
    const cms = cmsOf.get(l);
    const signerDer = cms?.signerCertificate?.der ?? null;
    const ts = tsOf.get(l);
    const tsOk = ts && ts.valid && ts.imprintMatches && ts.indication === 'TOTAL_PASSED' && ts.genTime;
    const poeCandidates: Date[] = [];
    if (tsOk) poeCandidates.push(ts.genTime!);
    for (const d of docTs) {
      const t = tsOf.get(d)!.genTime;
      if (t && d.end > l.end && tsOf.get(d)!.indication === 'TOTAL_PASSED') poeCandidates.push(t);
    }
    const poe = poeCandidates.length ? new Date(Math.min(...poeCandidates.map((d) => d.getTime()))) : null;
    const mStr = doc.resolve(l.sf.sig.get('M'));
    const claimed = cms?.claimedSigningTime ?? (mStr instanceof PdfString ? parsePdfDate(mStr.text()) : null);
    const at = pastSignatureTime(opts.at, poe, l, tsOk ? ts : undefined, docTs, tsOf) ?? opts.at ?? poe ?? claimed ?? new Date();
    r.signingTime = (poe ?? claimed)?.toISOString() ?? null;
    r.signingTimeSource = poe ? 'timestamp' : claimed ? 'claimed' : null;
    // level
    if (cms) {
      const base = l.subFilter === 'ETSI.CAdES.detached' ? 'B' : 'PKCS7';
      const laterDss = changes?.dssAfter(l.revision ?? -1) ?? false;
      const laterDocTs = docTs.some((d) => d.end > l.end && (changes?.dssBefore(d.revision ?? -1) ?? false));
      // B-T needs a time-stamp: the signature's own or a later document time-stamp (EN 319 142-1 §6.3); LT and LTA build on T
      const timed = ts !== undefined || docTs.some((d) => d.end > l.end);
      r.level = `${base}-${!timed ? 'B' : laterDocTs && laterDss ? 'LTA' : laterDss ? 'LT' : 'T'}`;
    }
    if (!signerDer) continue;
    let path: PathValidationResult;
    try {
      path = await validateCertificatePath(signerDer, {
        intermediates: [...(cms?.certificates ?? []), ...extraCerts],
        trustAnchors: anchors,
        at,
        timeProven: poe !== null,
        revocation: {
          crls: [...revSources.crls, ...(cms?.crls ?? [])],
          ocsps: [...revSources.ocsps, ...(cms?.ocsps ?? [])],
          ...(opts.registry ? { registry: opts.registry } : {}),
          ...(opts.fetcher ? { fetcher: opts.fetcher } : {}),
        },
        revocationPolicy: opts.revocationPolicy ?? 'require',
      });
    } catch (err) {
      if (!(err instanceof SealError)) throw err;
      v.lower('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'the signer certificate cannot be parsed');
      continue;
    }
    r.trusted = path.trusted;
    r.revocation = path.revocation;
    r.chain = path.chain.map((c) => c.subject);
    v.lower(path.indication, path.subIndication);
    v.errors.push(...path.errors);
    v.warnings.push(...path.warnings);
  }
  // doc time-stamps chained to a trust anchor but sig not verified for the timestamp path: already lowered above

  for (const l of located) {
    l.report.indication = l.verdict.indication;
    l.report.subIndication = l.verdict.indication === 'TOTAL_PASSED' ? null : (l.verdict.sub ?? 'GENERIC');
    l.report.errors = [...new Set(l.verdict.errors)];
    l.report.warnings = [...new Set(l.verdict.warnings)];
    if (l.report.indication !== 'TOTAL_PASSED') l.report.trusted = l.report.trusted && l.report.indication !== 'TOTAL_FAILED';
  }
  const signatures = located.map((l) => l.report);
  return { indication: combineIndications(signatures), signatures, revisions: doc.revisions.length };
}

/**
 * Past-signature validation (ETSI EN 319 102-1 §5.6.2.4, the basis of B-LT/B-LTA): when validating
 * at a time later than a proof of existence (POE) of the signature, the signer's chain is checked at
 * the POE, so a certificate that expired or was revoked after it does not fail the signature.
 * The POE counts only when it is still trustworthy at `at`: a later document time-stamp that
 * passed validation at `at` covers the signature, or the signature time-stamp's own chain is
 * still valid at `at`. Returns null when past-signature validation does not apply.
 */
function pastSignatureTime(
  at: Date | undefined,
  poe: Date | null,
  l: Located,
  sigTs: TimestampVerifyResult | undefined,
  docTs: readonly Located[],
  tsOf: ReadonlyMap<Located, TimestampVerifyResult>,
): Date | null {
  if (!at || !poe || poe.getTime() >= at.getTime()) return null;
  const covered = docTs.some((d) => d.end > l.end && tsOf.get(d)?.indication === 'TOTAL_PASSED');
  const tsChain = sigTs?.path?.chain ?? [];
  const sigTsStillValid = sigTs !== undefined && tsChain.length > 0 && tsChain.every((c) => c.notAfter.getTime() >= at.getTime());
  return covered || sigTsStillValid ? poe : null;
}

/** PDF date string (D:YYYYMMDDHHmmSSOHH'mm) to Date; null if malformed. */
export function parsePdfDate(s: string): Date | null {
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?'?/.exec(s.trim());
  if (!m) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', tz, th = '00', tm = '00'] = m;
  let t = Date.UTC(+y!, +mo - 1, +d, +h, +mi, +se);
  if (tz === '+' || tz === '-') {
    const off = (+th * 60 + +tm) * 60_000;
    t += tz === '+' ? -off : off;
  }
  return Number.isFinite(t) ? new Date(t) : null;
}
