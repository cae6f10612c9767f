/**
 * Verify the signatures of an OFD document (GB/T 33190 §18, GB/T 38540 §8): OFD.xml →
 * Signatures.xml → each Signature.xml; every reference digest (SM3 unless CheckMethod names
 * another), then the signed value over Signature.xml: an SES_Signature (Type="Seal", data hash
 * = SM3 of Signature.xml), a bare SM2 signature over Signature.xml (Type="Sign"; the signer
 * certificate must be supplied) or a GM/T 0010 SignedData. Files without signatures but with
 * GM/T 0099 integrity protection (OFDEntries.xml) are checked for that instead.
 */
import { createHash } from 'node:crypto';
import { SealError } from '../errors/index.js';
import { blankSignatureReport, combineIndications, type SignatureReport, type SubIndication, type VerificationReport } from '../report/index.js';
import { bytesEqual } from '../asn1/der.js';
import { isSignedDataContentInfo, verifyGmSignedData } from './gm-signed-data.js';
import { normalisePackagePath, readOfdZip, type OfdZipLimits } from './ofd-zip.js';
import { decodeSesSignature } from './ses-decode.js';
import { verifyDecodedSesSignature, type SesVerifyOptions } from './ses-verify.js';
import { buildCertificatePath, parseCertificate, type ParsedCertificate } from './sm2-cert.js';
import { sm2Verify, sm3 } from './sm2.js';
import { child, childrenNamed, findAll, parseXml, type XmlElement } from './xml.js';

export interface OfdVerifyOptions extends SesVerifyOptions {
  /** Certificates to try for bare SM2 signatures (Type="Sign" without an embedded certificate). */
  signerCertificates?: readonly (Uint8Array | ParsedCertificate)[];
  limits?: Partial<OfdZipLimits>;
}

export interface OfdReferenceResult {
  path: string;
  ok: boolean;
  reason: string | null;
}

type Pkg = Map<string, Uint8Array>;

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i === -1 ? '' : p.slice(0, i);
}

/** Resolve an ST_Loc: absolute from the package root, else relative to `baseDir`, else to the root. */
function resolveLoc(pkg: Pkg, loc: string, baseDir: string): string {
  const t = loc.trim();
  const rel = normalisePackagePath(t, baseDir);
  if (t.startsWith('/') || pkg.has(rel)) return rel;
  const fromRoot = normalisePackagePath(t, '');
  return pkg.has(fromRoot) ? fromRoot : rel;
}

function xmlOf(pkg: Pkg, path: string): XmlElement {
  const b = pkg.get(path);
  if (b === undefined) throw new SealError('ERR_INPUT_INVALID', `OFD: missing part ${path}`);
  return parseXml(b);
}

const DIGESTS: Record<string, (d: Uint8Array) => Uint8Array> = {
  SM3: sm3,
  '1.2.156.10197.1.401': sm3,
  SHA256: (d) => new Uint8Array(createHash('sha256').update(d).digest()),
  '2.16.840.1.101.3.4.2.1': (d) => new Uint8Array(createHash('sha256').update(d).digest()),
};

function digestFor(method: string): ((d: Uint8Array) => Uint8Array) | undefined {
  const m = method.trim();
  return DIGESTS[m.toUpperCase().replace(/-/g, '')] ?? DIGESTS[m];
}

function decodeBase64Strict(s: string): Uint8Array | null {
  const t = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) return null;
  return new Uint8Array(Buffer.from(t, 'base64'));
}

interface Problems {
  failed: { sub: SubIndication; why: string }[];
  indeterminate: { sub: SubIndication; why: string }[];
}

function emptyReport(): SignatureReport {
  return { ...blankSignatureReport('INDETERMINATE', null), signingTimeSource: 'claimed' };
}

/** Apply reference/packaging problems on top of a signature report; failures win. */
function merge(report: SignatureReport, p: Problems): SignatureReport {
  const errors = [...p.failed.map((x) => x.why), ...p.indeterminate.map((x) => x.why), ...(report.errors ?? [])];
  if (p.failed.length > 0 && report.indication !== 'TOTAL_FAILED') {
    return { ...report, indication: 'TOTAL_FAILED', subIndication: p.failed[0]!.sub, errors };
  }
  if (p.indeterminate.length > 0 && report.indication === 'TOTAL_PASSED') {
    return { ...report, indication: 'INDETERMINATE', subIndication: p.indeterminate[0]!.sub, errors };
  }
  return { ...report, errors };
}

function anchorsOf(list: readonly (Uint8Array | ParsedCertificate)[] | undefined): ParsedCertificate[] {
  return (list ?? []).map((a) => (a instanceof Uint8Array ? parseCertificate(a) : a));
}

function verifyOneSignature(pkg: Pkg, entry: XmlElement, signaturesDir: string, opts: OfdVerifyOptions, signParts: Set<string>): SignatureReport {
  const id = entry.attrs['ID'] ?? null;
  const type = entry.attrs['Type'] ?? 'Seal';
  const baseLoc = entry.attrs['BaseLoc'];
  const p: Problems = { failed: [], indeterminate: [] };
  const extra: Record<string, unknown> = { signatureId: id, signatureType: type };
  if (baseLoc === undefined) {
    return merge({ ...emptyReport(), ...extra }, { failed: [{ sub: 'FORMAT_FAILURE', why: 'Signature entry without BaseLoc' }], indeterminate: [] });
  }
  const sigPath = resolveLoc(pkg, baseLoc, signaturesDir);
  extra['signaturePath'] = sigPath;
  const sigXmlBytes = pkg.get(sigPath);
  if (sigXmlBytes === undefined) {
    return merge({ ...emptyReport(), ...extra }, { failed: [], indeterminate: [{ sub: 'SIGNED_DATA_NOT_FOUND', why: `missing ${sigPath}` }] });
  }
  signParts.add(sigPath);
  let sigXml: XmlElement;
  try {
    sigXml = parseXml(sigXmlBytes);
  } catch {
    return merge({ ...emptyReport(), ...extra }, { failed: [{ sub: 'FORMAT_FAILURE', why: `${sigPath} is not well-formed XML` }], indeterminate: [] });
  }
  const sigDir = dirOf(sigPath);
  const signedInfo = child(sigXml, 'SignedInfo');
  const refsEl = signedInfo === undefined ? undefined : child(signedInfo, 'References');
  const checkMethod = refsEl?.attrs['CheckMethod'] ?? 'SM3';
  extra['checkMethod'] = checkMethod;
  extra['signatureMethod'] = signedInfo === undefined ? null : (child(signedInfo, 'SignatureMethod')?.text.trim() ?? null);
  const claimedTime = signedInfo === undefined ? undefined : child(signedInfo, 'SignatureDateTime')?.text.trim();
  const references: OfdReferenceResult[] = [];
  const covered = new Set<string>();
  const digest = digestFor(checkMethod);
  if (refsEl === undefined || childrenNamed(refsEl, 'Reference').length === 0) {
    p.failed.push({ sub: 'FORMAT_FAILURE', why: 'Signature.xml has no references' });
  } else if (digest === undefined) {
    p.indeterminate.push({ sub: 'CRYPTO_CONSTRAINTS_FAILURE', why: `unsupported CheckMethod ${checkMethod}` });
  } else {
    for (const ref of childrenNamed(refsEl, 'Reference')) {
      const loc = ref.attrs['FileRef'] ?? '';
      let path: string;
      try {
        path = resolveLoc(pkg, loc, sigDir);
      } catch {
        references.push({ path: loc, ok: false, reason: 'unsafe path' });
        p.failed.push({ sub: 'FORMAT_FAILURE', why: 'reference with an unsafe path' });
        continue;
      }
      const data = pkg.get(path);
      const expected = decodeBase64Strict(child(ref, 'CheckValue')?.text ?? '');
      if (data === undefined) {
        references.push({ path, ok: false, reason: 'missing' });
        p.failed.push({ sub: 'HASH_FAILURE', why: `referenced part ${path} is missing` });
      } else if (expected === null) {
        references.push({ path, ok: false, reason: 'bad CheckValue' });
        p.failed.push({ sub: 'FORMAT_FAILURE', why: `CheckValue of ${path} is not base64` });
      } else if (!bytesEqual(digest(data), expected)) {
        references.push({ path, ok: false, reason: 'digest mismatch' });
        p.failed.push({ sub: 'HASH_FAILURE', why: `digest of ${path} does not match` });
      } else {
        references.push({ path, ok: true, reason: null });
        covered.add(path);
      }
    }
  }
  extra['references'] = references;
  const svLoc = child(sigXml, 'SignedValue')?.text.trim();
  if (svLoc === undefined || svLoc === '') {
    return merge({ ...emptyReport(), ...extra }, { failed: [...p.failed, { sub: 'FORMAT_FAILURE', why: 'Signature.xml names no SignedValue' }], indeterminate: p.indeterminate });
  }
  const svPath = resolveLoc(pkg, svLoc, sigDir);
  signParts.add(svPath);
  const sv = pkg.get(svPath);
  if (sv === undefined) {
    return merge({ ...emptyReport(), ...extra }, { failed: p.failed, indeterminate: [...p.indeterminate, { sub: 'SIGNED_DATA_NOT_FOUND', why: `missing ${svPath}` }] });
  }
  const anchors = anchorsOf(opts.trustAnchors);
  const at = opts.at ?? new Date();
  let report: SignatureReport;
  let sesSig = null;
  try {
    sesSig = decodeSesSignature(sv);
  } catch {
    sesSig = null;
  }
  if (sesSig !== null) {
    report = verifyDecodedSesSignature(sesSig, { trustAnchors: anchors, at, dataHash: sm3(sigXmlBytes), ...(opts.crls ? { crls: opts.crls } : {}), ...(opts.ocsps ? { ocsps: opts.ocsps } : {}) });
    report = { ...report, level: `OFD ${report.level ?? ''}`.trim() };
  } else if (isSignedDataContentInfo(sv)) {
    report = verifySignedDataValue(sv, sigXmlBytes, anchors, at);
  } else if (type === 'Seal') {
    report = merge(emptyReport(), { failed: [{ sub: 'FORMAT_FAILURE', why: 'SignedValue of a Seal signature is not an SES_Signature' }], indeterminate: [] });
  } else {
    report = verifyBareSm2(sv, sigXmlBytes, anchorsOf(opts.signerCertificates), anchors, at);
  }
  if (report.signingTime === null && claimedTime !== undefined) report = { ...report, signingTime: claimedTime };
  return merge({ ...report, ...extra, coveredParts: [...covered] }, p);
}

function verifySignedDataValue(sv: Uint8Array, signedXml: Uint8Array, anchors: ParsedCertificate[], at: Date): SignatureReport {
  const p: Problems = { failed: [], indeterminate: [] };
  // The content is Signature.xml itself or its SM3 digest.
  let r = verifyGmSignedData(sv);
  if (r.content !== null && !bytesEqual(r.content, signedXml) && !bytesEqual(r.content, sm3(signedXml))) {
    p.failed.push({ sub: 'HASH_FAILURE', why: 'SignedData content is not Signature.xml or its SM3 digest' });
  }
  if (r.content === null) r = verifyGmSignedData(sv, signedXml);
  if (!r.valid) p.failed.push({ sub: 'SIG_CRYPTO_FAILURE', why: r.reason ?? 'SignedData does not verify' });
  return finishCertReport(r.signer, r.valid, r.certificates, anchors, at, p, 'OFD SignedData (GM/T 0010)');
}

function verifyBareSm2(sv: Uint8Array, signedXml: Uint8Array, candidates: ParsedCertificate[], anchors: ParsedCertificate[], at: Date): SignatureReport {
  const p: Problems = { failed: [], indeterminate: [] };
  const signer = candidates.find((c) => c.sm2PublicKey !== null && sm2Verify(signedXml, sv, c.sm2PublicKey)) ?? null;
  if (signer === null && candidates.length === 0) {
    p.indeterminate.push({ sub: 'NO_SIGNING_CERTIFICATE_FOUND', why: 'bare SM2 signature: no signer certificate supplied' });
  } else if (signer === null) {
    p.failed.push({ sub: 'SIG_CRYPTO_FAILURE', why: 'bare SM2 signature does not verify with any supplied certificate' });
  }
  return finishCertReport(signer, signer !== null, [...candidates], anchors, at, p, 'OFD SM2 signature');
}

function finishCertReport(
  signer: ParsedCertificate | null,
  valid: boolean,
  pool: ParsedCertificate[],
  anchors: ParsedCertificate[],
  at: Date,
  p: Problems,
  level: string,
): SignatureReport {
  let trusted = false;
  if (signer !== null && valid) {
    const path = buildCertificatePath(signer, pool, anchors, at);
    trusted = path.trusted;
    if (!trusted) {
      p.indeterminate.push({
        sub: anchors.length === 0 ? 'NO_CERTIFICATE_CHAIN_FOUND' : 'CERTIFICATE_CHAIN_GENERAL_FAILURE',
        why: `signer certificate not trusted: ${anchors.length === 0 ? 'no trust anchors given' : path.errors.join('; ')}`,
      });
    }
  }
  const base: SignatureReport = {
    ...emptyReport(),
    indication: 'TOTAL_PASSED',
    signer: signer === null ? null : { subject: signer.subject, issuer: signer.issuer, serialNumber: signer.serialNumber },
    trusted,
    level,
    warnings: ['revocation of the signer certificate was not checked'],
    valid,
    intact: valid,
  };
  return merge(base, p);
}

/** GM/T 0099 integrity protection: OFDEntries.xml signed; every package part listed, nothing smuggled. */
function verifyIntegrity(pkg: Pkg, entriesPath: string, anchors: ParsedCertificate[], at: Date): SignatureReport {
  const p: Problems = { failed: [], indeterminate: [] };
  const entriesBytes = pkg.get(entriesPath)!;
  let entries: XmlElement;
  try {
    entries = parseXml(entriesBytes);
  } catch {
    return merge(emptyReport(), { failed: [{ sub: 'FORMAT_FAILURE', why: 'OFDEntries.xml is not well-formed XML' }], indeterminate: [] });
  }
  const svLoc = child(entries, 'SignedValueLoc')?.text.trim() ?? '';
  const svPath = svLoc === '' ? '' : resolveLoc(pkg, svLoc, dirOf(entriesPath));
  const sv = pkg.get(svPath);
  const listed = new Set<string>();
  for (const f of findAll(entries, 'File')) {
    const loc = f.attrs['FileLoc'];
    if (loc === undefined) continue;
    const path = resolveLoc(pkg, loc, dirOf(entriesPath));
    listed.add(path);
    if (!pkg.has(path)) p.failed.push({ sub: 'HASH_FAILURE', why: `protected part ${path} is missing` });
  }
  const smuggled = [...pkg.keys()].filter((k) => k !== entriesPath && k !== svPath && !listed.has(k));
  for (const s of smuggled) p.failed.push({ sub: 'SIG_CONSTRAINTS_FAILURE', why: `part ${s} is not listed in OFDEntries.xml` });
  let r = null;
  if (sv === undefined) {
    p.indeterminate.push({ sub: 'SIGNED_DATA_NOT_FOUND', why: 'integrity signed value is missing' });
  } else {
    r = verifyGmSignedData(sv);
    if (r.content === null || !(bytesEqual(r.content, sm3(entriesBytes)) || bytesEqual(r.content, entriesBytes))) {
      p.failed.push({ sub: 'HASH_FAILURE', why: 'integrity signature does not cover OFDEntries.xml' });
    }
    if (!r.valid) p.failed.push({ sub: 'SIG_CRYPTO_FAILURE', why: r.reason ?? 'integrity signature does not verify' });
  }
  // Note: GM/T 0099 protects the list of parts (against smuggled files), not their content.
  const report = finishCertReport(r?.signer ?? null, r?.valid ?? false, r?.certificates ?? [], anchors, at, p, 'OFD integrity (GM/T 0099)');
  return { ...report, coversWholeDocument: smuggled.length === 0, protectedParts: [...listed], signaturePath: svPath };
}

export function verifyOfd(bytes: Uint8Array, opts: OfdVerifyOptions = {}): VerificationReport {
  const pkg = readOfdZip(bytes, opts.limits);
  const ofd = xmlOf(pkg, 'OFD.xml');
  if (ofd.local !== 'OFD') throw new SealError('ERR_INPUT_INVALID', 'OFD: OFD.xml has no OFD root element');
  const signatures: SignatureReport[] = [];
  const signParts = new Set<string>();
  const allCovered = new Set<string>();
  for (const body of childrenNamed(ofd, 'DocBody')) {
    const loc = child(body, 'Signatures')?.text.trim();
    if (loc === undefined || loc === '') continue;
    const path = resolveLoc(pkg, loc, '');
    signParts.add(path);
    const sx = xmlOf(pkg, path);
    for (const entry of childrenNamed(sx, 'Signature')) {
      const r = verifyOneSignature(pkg, entry, dirOf(path), opts, signParts);
      for (const c of (r['coveredParts'] as string[] | undefined) ?? []) allCovered.add(c);
      signatures.push(r);
    }
  }
  if (signatures.length === 0 && pkg.has('OFDEntries.xml')) {
    signatures.push(verifyIntegrity(pkg, 'OFDEntries.xml', anchorsOf(opts.trustAnchors), opts.at ?? new Date()));
    return { indication: combineIndications(signatures), signatures, format: 'OFD' };
  }
  // Coverage: a signature covers the whole document when every part other than signature
  // machinery (Signatures.xml, each Signature.xml and whatever sits in its folder) is referenced.
  const sigXmlDirs = signatures.map((s) => s['signaturePath']).filter((x): x is string => typeof x === 'string').map(dirOf).filter((d) => d !== '');
  const isSignMachinery = (k: string): boolean => signParts.has(k) || sigXmlDirs.some((d) => k.startsWith(`${d}/`));
  const content = [...pkg.keys()].filter((k) => !isSignMachinery(k));
  const uncovered = content.filter((k) => !allCovered.has(k));
  for (const s of signatures) {
    const mine = new Set((s['coveredParts'] as string[] | undefined) ?? []);
    const missing = content.filter((k) => !mine.has(k));
    s.coversWholeDocument = s.indication !== 'TOTAL_FAILED' && missing.length === 0;
    s['unsignedParts'] = missing;
    if (missing.length > 0) s.warnings = [...(s.warnings ?? []), `${missing.length} package part(s) not covered by this signature`];
  }
  return { indication: combineIndications(signatures), signatures, format: 'OFD', unsignedParts: uncovered };
}
