/**
 * Certificate path building and validation (RFC 5280 subset, shell model at one validation time).
 * Chains by issuer name AND key identifier AND signature: a same-name certificate with another key
 * never anchors. Revocation of every non-anchor certificate comes from CRLs, OCSP responses, an
 * optional registry callback and an optional online fetcher (short timeout; unreachable -> unknown).
 */
import type { Indication, RevocationSummary, SubIndication } from '../report/index.js';
import { AlgorithmPolicyError, checkKey, resolveSignatureAlgorithm, toKeyObject, verifySignature } from './algorithms.js';
import { OID_SM2_WITH_SM3 } from '../cn/sm2.js';
import { parseCertificate, namesEqual, type CertInfo, type KeyUsageName } from './cert.js';
import { checkCrl, parseCrl, type ParsedCrl } from './crl.js';
import { buildOcspRequest, checkOcsp, hasOcspNoCheck, parseOcspResponse, type ParsedOcsp } from './ocsp.js';
import { checkOcspResponder } from './ocsp-responder.js';

/** A caIssuers answer, or why there is none (shown to the user: no secrets in it). */
export type CaIssuersFetchResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/** Fetches revocation data online. Must honour its own short timeout and resolve null when unreachable. */
export interface RevocationFetcher {
  fetchCrl(url: string): Promise<Uint8Array | null>;
  fetchOcsp(url: string, request: Uint8Array): Promise<Uint8Array | null>;
  /**
   * GET an AIA caIssuers URL (RFC 5280 4.2.2.1), same timeout and size limits; never throws.
   * Optional: without it, missing issuers are not fetched (pki/ca-issuers).
   */
  fetchCaIssuers?(url: string): Promise<CaIssuersFetchResult>;
}

/** A registry lookup (e.g. the seal registry): its own answer for a certificate, or null when it does not know it. */
export type RegistryRevocationLookup = (cert: CertInfo, issuer: CertInfo) => Promise<RevocationSummary | null>;

export interface RevocationSources {
  /** DER or PEM CRLs (from --crl, a DSS, the CMS revocation data ...). */
  crls?: readonly Uint8Array[];
  /** DER OCSPResponse or BasicOCSPResponse. */
  ocsps?: readonly Uint8Array[];
  registry?: RegistryRevocationLookup;
  fetcher?: RevocationFetcher;
}

export interface PathValidationOptions {
  /** Extra certificates to build the chain from (CMS certificates, DSS, --chain). */
  intermediates?: readonly Uint8Array[];
  /** Trusted certificates (DER). A certificate anchors only if its exact name AND key match. */
  trustAnchors: readonly Uint8Array[];
  /** Validation time (signing time, timestamp time or now). */
  at: Date;
  /** Whether `at` is proven (by a time-stamp) rather than claimed: decides REVOKED vs REVOKED_NO_POE. */
  timeProven?: boolean;
  revocation?: RevocationSources;
  /**
   * 'require' (default): unknown revocation of the leaf or a CA -> INDETERMINATE TRY_LATER.
   * 'if-available': use what is given, unknown does not lower the indication. 'off': no checking.
   */
  revocationPolicy?: 'require' | 'if-available' | 'off';
  /** Leaf must have at least one of these key usages when keyUsage is present. Default digitalSignature|nonRepudiation. */
  requiredKeyUsage?: readonly KeyUsageName[];
  /** Leaf must carry this EKU (e.g. timeStamping for a TSA). */
  requiredEku?: string;
  /** Max chain length (default 10). */
  maxDepth?: number;
}

export interface CertRevocation extends RevocationSummary {
  subject: string;
  /**
   * Set on the entries of delegated OCSP responder certificates (after the chain's entries): the
   * subject of the certificate whose OCSP answer this responder signed. Their status is judged at
   * the response's producedAt from the known data only (pki/ocsp-responder).
   */
  ocspResponderFor?: string;
}

export interface PathValidationResult {
  /** The chain reached a trust anchor and every check passed (revocation included, per policy). */
  trusted: boolean;
  indication: Indication;
  subIndication: SubIndication | null;
  /** Leaf first, anchor last (partial when no anchor was reached). */
  chain: CertInfo[];
  /** Leaf status (or the worst status along the chain if a CA is revoked). */
  revocation: RevocationSummary;
  /** Per non-anchor certificate, leaf first; then the delegated OCSP responders whose answers were used. */
  revocationDetails: CertRevocation[];
  errors: string[];
  warnings: string[];
}

const UNKNOWN: RevocationSummary = { status: 'unknown', reason: null, revokedAt: null, source: null };

function sameKeyAndName(a: CertInfo, b: CertInfo): boolean {
  return Buffer.compare(Buffer.from(a.spki), Buffer.from(b.spki)) === 0 && namesEqual(a.pkijs.subject, b.pkijs.subject);
}

const certSigCache = new Map<string, boolean>();

/** Is `cert` signed by `issuer`'s key (names and key identifiers consistent)? */
export function isIssuedBy(cert: CertInfo, issuer: CertInfo): boolean {
  if (!namesEqual(cert.pkijs.issuer, issuer.pkijs.subject)) return false;
  if (cert.authorityKeyId && issuer.subjectKeyId && cert.authorityKeyId !== issuer.subjectKeyId) return false;
  const k = `${cert.fingerprint}:${issuer.fingerprint}`;
  const hit = certSigCache.get(k);
  if (hit !== undefined) return hit;
  let ok: boolean;
  try {
    ok = verifySignature({
      signatureAlgorithm: cert.pkijs.signatureAlgorithm,
      publicKey: issuer.spki,
      data: cert.pkijs.tbsView,
      signature: cert.pkijs.signatureValue.valueBlock.valueHexView,
      allowWeak: true, // weak certificate signatures are reported separately below
    });
  } catch (err) {
    if (!(err instanceof AlgorithmPolicyError)) throw err;
    ok = false;
  }
  if (certSigCache.size > 5000) certSigCache.clear();
  certSigCache.set(k, ok);
  return ok;
}

function safeParse(list: readonly Uint8Array[], warnings: string[]): CertInfo[] {
  const out: CertInfo[] = [];
  const seen = new Set<string>();
  for (const der of list) {
    try {
      const c = parseCertificate(der);
      if (!seen.has(c.fingerprint)) {
        seen.add(c.fingerprint);
        out.push(c);
      }
    } catch {
      warnings.push('an unparseable certificate was ignored');
    }
  }
  return out;
}

/** Depth-first search for chains from leaf to an anchor; returns all complete chains (bounded). */
function buildChains(leaf: CertInfo, pool: CertInfo[], anchors: CertInfo[], maxDepth: number): CertInfo[][] {
  const results: CertInfo[][] = [];
  let steps = 0;
  const walk = (path: CertInfo[]): void => {
    if (results.length >= 4 || ++steps > 500) return;
    const cur = path[path.length - 1]!;
    if (anchors.some((a) => sameKeyAndName(a, cur))) {
      results.push([...path]);
      return;
    }
    if (path.length >= maxDepth) return;
    const candidates = [...anchors, ...pool].filter((c) => !path.some((p) => p.fingerprint === c.fingerprint || sameKeyAndName(p, c)));
    for (const cand of candidates) {
      if (isIssuedBy(cur, cand)) walk([...path, cand]);
    }
  };
  walk([leaf]);
  return results;
}

/** The longest chain we could build without reaching an anchor (for reporting). */
function partialChain(leaf: CertInfo, pool: CertInfo[], maxDepth: number): CertInfo[] {
  const path = [leaf];
  while (path.length < maxDepth) {
    const cur = path[path.length - 1]!;
    const next = pool.find((c) => !path.includes(c) && isIssuedBy(cur, c));
    if (!next) break;
    path.push(next);
  }
  return path;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function checkStructure(chain: CertInfo[], opts: PathValidationOptions, errors: string[], warnings: string[]): SubIndication | null {
  const at = opts.at.getTime();
  const leaf = chain[0]!;
  let sub: SubIndication | null = null;
  const set = (s: SubIndication, msg: string) => {
    errors.push(msg);
    sub ??= s;
  };
  // validity (shell model): every certificate at `at`
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i]!;
    if (at < c.notBefore.getTime()) set(i === 0 ? 'NOT_YET_VALID' : 'CHAIN_CONSTRAINTS_FAILURE', `certificate "${c.subject}" is not yet valid at ${opts.at.toISOString()}`);
    else if (at > c.notAfter.getTime()) set(i === 0 ? 'OUT_OF_BOUNDS_NO_POE' : 'OUT_OF_BOUNDS_NO_POE', `certificate "${c.subject}" expired ${c.notAfter.toISOString()} before ${opts.at.toISOString()}`);
    if (c.unknownCritical.length > 0 && i < chain.length - 1) set('CHAIN_CONSTRAINTS_FAILURE', `certificate "${c.subject}" has unknown critical extension(s) ${c.unknownCritical.join(', ')}`);
  }
  // leaf key usage / EKU
  const ku = opts.requiredKeyUsage ?? ['digitalSignature', 'nonRepudiation'];
  if (leaf.keyUsage && ku.length > 0 && !ku.some((u) => leaf.keyUsage!.has(u))) {
    set('CHAIN_CONSTRAINTS_FAILURE', `signer certificate key usage lacks ${ku.join(' or ')}`);
  }
  if (opts.requiredEku && !(leaf.extKeyUsage ?? []).includes(opts.requiredEku)) {
    set('CHAIN_CONSTRAINTS_FAILURE', `signer certificate lacks extended key usage ${opts.requiredEku}`);
  }
  // CAs: basicConstraints, keyCertSign, path length (anchor included when it carries extensions)
  for (let i = 1; i < chain.length; i++) {
    const ca = chain[i]!;
    const isAnchor = i === chain.length - 1;
    const v1Anchor = isAnchor && ca.pkijs.version < 2;
    if (!v1Anchor && !ca.isCA) set('CHAIN_CONSTRAINTS_FAILURE', `issuer "${ca.subject}" is not a CA (basicConstraints)`);
    if (ca.keyUsage && !ca.keyUsage.has('keyCertSign')) set('CHAIN_CONSTRAINTS_FAILURE', `issuer "${ca.subject}" lacks keyCertSign`);
    if (ca.pathLen !== null) {
      // number of non-self-issued intermediates below this CA
      let below = 0;
      for (let j = 1; j < i; j++) if (!chain[j]!.selfIssued) below++;
      if (below > ca.pathLen) set('CHAIN_CONSTRAINTS_FAILURE', `path length constraint of "${ca.subject}" exceeded`);
    }
  }
  // weak certificate signatures (not the anchor's own signature, which is never relied on)
  for (let i = 0; i < chain.length - 1; i++) {
    const c = chain[i]!;
    // SM2-with-SM3 (256-bit SM2, SM3) passes the policy; its signature was checked while building the chain
    if (c.pkijs.signatureAlgorithm.algorithmId === OID_SM2_WITH_SM3) continue;
    try {
      // the signature itself was verified while building the chain; here only the policy
      const alg = resolveSignatureAlgorithm(c.pkijs.signatureAlgorithm, undefined, false);
      checkKey(toKeyObject(chain[i + 1]!.spki), alg.scheme, false);
    } catch (err) {
      if (err instanceof AlgorithmPolicyError) set('CRYPTO_CONSTRAINTS_FAILURE', `certificate "${c.subject}": ${err.message}`);
      else throw err;
    }
  }
  void warnings;
  return sub;
}

interface CollectedRevocation {
  crls: ParsedCrl[];
  ocsps: ParsedOcsp[];
}

function collect(src: RevocationSources | undefined): CollectedRevocation {
  const crls: ParsedCrl[] = [];
  const ocsps: ParsedOcsp[] = [];
  for (const c of src?.crls ?? []) {
    const p = parseCrl(c);
    if (p) crls.push(p);
  }
  for (const o of src?.ocsps ?? []) {
    const p = parseOcspResponse(o);
    if (p) ocsps.push(p);
  }
  return { crls, ocsps };
}

/**
 * Revocation status of one certificate at `at` from all sources. Never throws on bad data; never hangs beyond the fetcher's timeout.
 * An OCSP answer signed by a delegated responder without id-pkix-ocsp-nocheck is checked against
 * the known CRLs/OCSP responses for that responder: revoked at or before the response's producedAt
 * -> the answer is not used; its status (good, revoked later, unknown) is pushed to `responders`.
 * An unknown responder status does not discard the answer (as before: reported, not enforced).
 */
export async function checkCertificateRevocation(
  cert: CertInfo,
  issuer: CertInfo,
  at: Date,
  sources: RevocationSources | undefined,
  collected: CollectedRevocation = collect(sources),
  responders?: CertRevocation[],
): Promise<RevocationSummary> {
  const answers: RevocationSummary[] = [];
  const ocspAnswer = (o: ParsedOcsp): RevocationSummary | null => {
    const r = checkOcsp(o, cert, issuer, at);
    if (!r || r.status === 'unknown') return null;
    const rs = checkOcspResponder(o, issuer, collected.crls, collected.ocsps);
    if (rs && rs.status.source !== 'ocsp-nocheck') {
      if (responders && !responders.some((x) => x.subject === rs.responder.subject && x.ocspResponderFor === cert.subject)) {
        responders.push({ ...rs.status, subject: rs.responder.subject, ocspResponderFor: cert.subject });
      }
      if (rs.disqualified) return null;
    }
    return { status: r.status, reason: r.reason, revokedAt: iso(r.revokedAt), source: 'ocsp' };
  };
  for (const crl of collected.crls) {
    const r = checkCrl(crl, cert, issuer, at);
    if (r) answers.push({ status: r.status, reason: r.reason, revokedAt: iso(r.revokedAt), source: 'crl' });
  }
  for (const o of collected.ocsps) {
    const a = ocspAnswer(o);
    if (a) answers.push(a);
  }
  if (sources?.registry) {
    try {
      const r = await sources.registry(cert, issuer);
      if (r && r.status !== 'unknown') answers.push({ ...r, source: r.source ?? 'registry' });
    } catch {
      // a failing registry is "no answer", never a pass
    }
  }
  if (answers.length === 0 && sources?.fetcher) {
    const f = sources.fetcher;
    for (const url of cert.ocspUrls) {
      const der = await f.fetchOcsp(url, buildOcspRequest(cert, issuer)).catch(() => null);
      const p = der ? parseOcspResponse(der) : null;
      const a = p ? ocspAnswer(p) : null;
      if (a) {
        answers.push(a);
        break;
      }
    }
    if (answers.length === 0) {
      for (const url of cert.crlUrls) {
        const der = await f.fetchCrl(url).catch(() => null);
        const p = der ? parseCrl(der) : null;
        const r = p ? checkCrl(p, cert, issuer, at) : null;
        if (r) {
          answers.push({ status: r.status, reason: r.reason, revokedAt: iso(r.revokedAt), source: 'crl' });
          break;
        }
      }
    }
  }
  if (answers.length === 0) return { ...UNKNOWN };
  // any authentic "revoked" wins; report the earliest revocation time
  const revoked = answers.filter((a) => a.status === 'revoked');
  if (revoked.length > 0) {
    revoked.sort((a, b) => (a.revokedAt ?? '').localeCompare(b.revokedAt ?? ''));
    return revoked[0]!;
  }
  return answers[0]!;
}

/**
 * Build and validate the path of `leafDer` at `opts.at`. Never throws for bad certificates or
 * revocation data: the result carries the indication. Throws SealError ERR_CERT_INVALID only when
 * the leaf itself cannot be parsed.
 */
export async function validateCertificatePath(leafDer: Uint8Array, opts: PathValidationOptions): Promise<PathValidationResult> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const leaf = parseCertificate(leafDer);
  const anchors = safeParse(opts.trustAnchors, warnings);
  const pool = safeParse(opts.intermediates ?? [], warnings).filter((c) => c.fingerprint !== leaf.fingerprint);
  const maxDepth = opts.maxDepth ?? 10;
  const chains = anchors.length > 0 ? buildChains(leaf, pool, anchors, maxDepth) : [];
  if (chains.length === 0) {
    const chain = partialChain(leaf, pool, maxDepth);
    const top = chain[chain.length - 1]!;
    errors.push(
      anchors.length === 0
        ? 'no trust anchor given'
        : top.selfIssued && isIssuedBy(top, top)
          ? `chain ends at "${top.subject}", which is not a trust anchor (name and key must both match)`
          : `no certificate chain to a trust anchor found (issuer "${top.issuer}" not available)`,
    );
    return {
      trusted: false,
      indication: 'INDETERMINATE',
      subIndication: 'NO_CERTIFICATE_CHAIN_FOUND',
      chain,
      revocation: { ...UNKNOWN },
      revocationDetails: [],
      errors,
      warnings,
    };
  }
  // prefer a chain that passes the structural checks
  let chain = chains[0]!;
  let structural: SubIndication | null = null;
  let structErrors: string[] = [];
  for (const c of chains) {
    const e: string[] = [];
    const s = checkStructure(c, opts, e, warnings);
    if (s === null) {
      chain = c;
      structural = null;
      structErrors = [];
      break;
    }
    if (c === chains[0]) {
      structural = s;
      structErrors = e;
    }
  }
  errors.push(...structErrors);

  // revocation of every non-anchor certificate
  const policy = opts.revocationPolicy ?? 'require';
  const details: CertRevocation[] = [];
  let revocationSub: SubIndication | null = null;
  let revocationFailed = false;
  let leafRevocation: RevocationSummary = { ...UNKNOWN };
  if (policy !== 'off') {
    const collected = collect(opts.revocation);
    const responders: CertRevocation[] = [];
    for (let i = 0; i < chain.length - 1; i++) {
      const cert = chain[i]!;
      const issuer = chain[i + 1]!;
      // RFC 6960 id-pkix-ocsp-nocheck on an OCSP responder certificate: not checked for revocation
      const r = hasOcspNoCheck(cert) ? { status: 'good' as const, reason: null, revokedAt: null, source: 'ocsp-nocheck' } : await checkCertificateRevocation(cert, issuer, opts.at, opts.revocation, collected, responders);
      details.push({ ...r, subject: cert.subject });
      if (i === 0) leafRevocation = r;
      if (r.status === 'revoked') {
        const revokedAt = r.revokedAt ? new Date(r.revokedAt).getTime() : -Infinity;
        const before = revokedAt <= opts.at.getTime();
        if (before) {
          revocationFailed = true;
          errors.push(`certificate "${cert.subject}" was revoked (${r.reason ?? 'unspecified'}) at ${r.revokedAt ?? '?'}, not after the validation time`);
          if (i === 0) revocationSub ??= opts.timeProven ? 'REVOKED' : 'REVOKED_NO_POE';
          else revocationSub ??= 'REVOKED_CA_NO_POE';
          if (i === 0 && opts.timeProven) leafRevocation = r;
        } else {
          warnings.push(`certificate "${cert.subject}" was revoked at ${r.revokedAt ?? '?'}, after the validation time`);
          if (!opts.timeProven) {
            // without proof of existence before the revocation we cannot tell
            revocationSub ??= i === 0 ? 'REVOKED_NO_POE' : 'REVOKED_CA_NO_POE';
            errors.push(`certificate "${cert.subject}" is revoked and the signing time is not proven by a time-stamp`);
          }
        }
      } else if (r.status === 'unknown' && policy === 'require') {
        revocationSub ??= 'TRY_LATER';
        errors.push(`revocation status of "${cert.subject}" is unknown`);
      }
    }
    // delegated OCSP responders (without id-pkix-ocsp-nocheck) whose answers were looked at
    for (const rs of responders) {
      details.push(rs);
      const who = `OCSP responder "${rs.subject}" (answering for "${rs.ocspResponderFor ?? '?'}")`;
      if (rs.status === 'revoked') warnings.push(`${who} was revoked (${rs.reason ?? 'unspecified'}) at ${rs.revokedAt ?? '?'}; its answers produced after that were not used`);
      else if (rs.status === 'unknown') warnings.push(`${who}: its own revocation status is unknown (no CRL or OCSP data for it); its answer was used`);
    }
  }

  let indication: Indication = 'TOTAL_PASSED';
  let sub: SubIndication | null = null;
  const failedSubs: SubIndication[] = ['NOT_YET_VALID', 'REVOKED', 'EXPIRED'];
  if (revocationSub === 'REVOKED' && revocationFailed) {
    indication = 'TOTAL_FAILED';
    sub = 'REVOKED';
  } else if (structural && failedSubs.includes(structural)) {
    indication = 'TOTAL_FAILED';
    sub = structural;
  } else if (structural) {
    indication = 'INDETERMINATE';
    sub = structural;
  } else if (revocationSub) {
    indication = 'INDETERMINATE';
    sub = revocationSub;
  }
  return {
    trusted: structural === null,
    indication,
    subIndication: sub,
    chain,
    revocation: leafRevocation,
    revocationDetails: details,
    errors,
    warnings,
  };
}
