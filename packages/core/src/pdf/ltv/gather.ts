/**
 * Gathering validation data for every signature and document time-stamp of a PDF: the CMS
 * certificates, the chain up to a trust anchor (or a self-signed root), and revocation data for
 * every non-root certificate of the signer's and each time-stamp authority's chain — from given
 * CRLs/OCSP responses, the document's DSS and the CMS itself, else online through the
 * RevocationFetcher (OCSP first, then CRL distribution points). Missing data is a typed error:
 * B-LT without revocation data is not B-LT.
 * A missing issuer is fetched through the certificate's AIA caIssuers URLs (pki/ca-issuers: http:
 * only, bounded, used only when it really issued the certificate, never a trust anchor). The
 * delegated OCSP responders of the responses used get their own revocation data too (unless
 * they carry id-pkix-ocsp-nocheck); when there is none, that is a warning, not an error.
 */
import { createHash } from 'node:crypto';
import { InputInvalidError, SealError } from '../../errors/index.js';
import { verifyCms } from '../../cms/verify.js';
import { parseCertificate, type CertInfo } from '../../pki/cert.js';
import { checkCrl, parseCrl, type ParsedCrl } from '../../pki/crl.js';
import { buildOcspRequest, checkOcsp, hasOcspNoCheck, ocspDelegatedResponder, ocspSignerFor, parseOcspResponse, type ParsedOcsp } from '../../pki/ocsp.js';
import { CaIssuersResolver } from '../../pki/ca-issuers.js';
import { checkOcspResponder } from '../../pki/ocsp-responder.js';
import { isIssuedBy, type RevocationFetcher } from '../../pki/validate-path.js';
import { peekTimestamp } from '../../tsa/verify.js';
import { parsePdfDate } from '../verify.js';
import { PdfString, type PdfDocument } from '../parser/index.js';
import { listSignatures, readByteRange, readDss } from '../verify-fields.js';
import { vriKey, type DssAddition, type VriData } from './dss.js';

export interface GatherOptions {
  /** Trusted roots (DER). When given, every chain must reach one of them. */
  trustAnchors?: readonly Uint8Array[];
  /** Extra certificates for chain building (DER). */
  certificates?: readonly Uint8Array[];
  /** CRLs to use before going online (DER or PEM). */
  crls?: readonly Uint8Array[];
  /** OCSP responses to use before going online (DER OCSPResponse). */
  ocsps?: readonly Uint8Array[];
  /** Online source for revocation data (pki/fetcher: short timeout). Without it only given data is used. */
  fetcher?: RevocationFetcher;
  /** Time-stamp tokens about to be added (e.g. a probe of the TSA for a document time-stamp): their TSA chains are gathered too. */
  extraTokens?: readonly Uint8Array[];
  /**
   * Reference time for revocation data (default: each signature's own time — its time-stamp,
   * else its claimed signing time, else now). Data applies when issued after it, or when it lies
   * inside the data's [thisUpdate, nextUpdate].
   */
  at?: Date;
}

export interface GatheredSignature {
  fieldName: string;
  kind: 'signature' | 'document-timestamp';
  vriKey: string;
  /** Whether the signature (not a document time-stamp) carries a signature time-stamp. */
  hasSignatureTimestamp: boolean;
}

export interface GatheredData extends DssAddition {
  vri: Map<string, VriData>;
  signatures: GatheredSignature[];
  /**
   * What was not as it should be but did not stop the gathering: caIssuers URLs refused or
   * answers ignored on the way to a complete chain, delegated OCSP responders whose own
   * revocation data could not be gathered.
   */
  warnings: string[];
}

interface Pools {
  pool: CertInfo[];
  anchors: CertInfo[];
  crls: ParsedCrl[];
  ocsps: ParsedOcsp[];
  /** Online requests left (a hostile file must not make us fetch for minutes). */
  fetchBudget: number;
  /** caIssuers fetching (null without a fetcher). */
  caIssuers: CaIssuersResolver | null;
  /** Fingerprints of certificates that came only from caIssuers answers: never where a chain may end. */
  fetched: Set<string>;
  warnings: string[];
}

/** At most this many OCSP and CRL URLs per certificate, and requests per document. */
const URLS_PER_CERT = 2;
const FETCH_BUDGET = 32;

class Collector {
  readonly certs = new Map<string, Uint8Array>();
  readonly crls = new Map<string, Uint8Array>();
  readonly ocsps = new Map<string, Uint8Array>();
  add(map: Map<string, Uint8Array>, der: Uint8Array): void {
    map.set(createHash('sha256').update(der).digest('hex'), der);
  }
  data(): VriData {
    return { certs: [...this.certs.values()], crls: [...this.crls.values()], ocsps: [...this.ocsps.values()] };
  }
}

function parseAll(list: readonly Uint8Array[]): CertInfo[] {
  const out: CertInfo[] = [];
  for (const der of list) {
    try {
      out.push(parseCertificate(der));
    } catch {
      // unparseable certificates cannot help building a chain
    }
  }
  return out;
}

const sameCert = (a: CertInfo, b: CertInfo): boolean => a.fingerprint === b.fingerprint || (Buffer.compare(Buffer.from(a.spki), Buffer.from(b.spki)) === 0 && a.subject === b.subject);

/**
 * Leaf first; ends at a trust anchor or a self-signed certificate. A missing issuer is looked up
 * through caIssuers; a self-signed certificate that came only from there never ends a chain.
 */
async function chainOf(leaf: CertInfo, p: Pools, requireAnchor: boolean): Promise<CertInfo[]> {
  const chain = [leaf];
  const visited = new Set<string>();
  for (let depth = 0; depth < 10; depth++) {
    const cur = chain[chain.length - 1]!;
    if (p.anchors.some((a) => sameCert(a, cur))) return chain;
    if (cur.selfIssued && isIssuedBy(cur, cur)) {
      if (requireAnchor) throw new SealError('ERR_CERT_INVALID', `the chain of "${leaf.subject}" ends at "${cur.subject}", which is not a given trust anchor`);
      if (p.fetched.has(cur.fingerprint)) {
        throw new SealError('ERR_CERT_INVALID', `the chain of "${leaf.subject}" ends at "${cur.subject}", fetched through caIssuers, which is never a trust anchor: give the root as a trust anchor`);
      }
      return chain;
    }
    let next = [...p.anchors, ...p.pool].find((c) => !chain.some((x) => sameCert(x, c)) && isIssuedBy(cur, c));
    if (!next && p.caIssuers) {
      const found = await p.caIssuers.issuerOf(cur, visited);
      if (found.issuer && !chain.some((x) => sameCert(x, found.issuer!))) {
        next = found.issuer;
        if (!p.pool.some((c) => c.fingerprint === next!.fingerprint)) {
          p.pool.push(next);
          p.fetched.add(next.fingerprint);
        }
        p.warnings.push(...found.notes);
      } else {
        const why = found.notes.length ? `; ${found.notes.join('; ')}` : '';
        throw new SealError('ERR_CERT_INVALID', `no issuer certificate found for "${cur.subject}" (give it with the chain certificates)${why}`);
      }
    }
    if (!next) throw new SealError('ERR_CERT_INVALID', `no issuer certificate found for "${cur.subject}" (give it with the chain certificates)`);
    chain.push(next);
  }
  throw new SealError('ERR_CERT_INVALID', `the chain of "${leaf.subject}" is too long`);
}

/**
 * Revocation data for `cert` issued by `issuer`: known data first, then online. Throws when there is none.
 * `responder`: `cert` is a delegated OCSP responder; OCSP answers it signed itself do not count.
 */
async function revocationFor(cert: CertInfo, issuer: CertInfo, p: Pools, at: Date, opts: GatherOptions, out: Collector, responder = false): Promise<void> {
  const usable = (o: ParsedOcsp): boolean => {
    if (responder && ocspSignerFor(o, issuer)?.fingerprint === cert.fingerprint) return false;
    const r = checkOcsp(o, cert, issuer, at);
    return r !== null && r.status !== 'unknown';
  };
  /** Take the answer (and its delegated responder's own revocation data); false when that responder was revoked when it answered. */
  const useOcsp = async (o: ParsedOcsp): Promise<boolean> => {
    // RFC 6960 4.2.2.2.1: the responder's own status, unless it carries id-pkix-ocsp-nocheck (one level deep)
    const delegated = ocspDelegatedResponder(o, issuer);
    if (!responder && delegated && !hasOcspNoCheck(delegated)) {
      try {
        await revocationFor(delegated, issuer, p, o.producedAt, opts, out, true);
      } catch (err) {
        if (!(err instanceof SealError)) throw err;
        p.warnings.push(`OCSP responder "${delegated.subject}" (answering for "${cert.subject}"): its own revocation data was not gathered: ${err.message}`);
      }
      if (checkOcspResponder(o, issuer, p.crls, p.ocsps)?.disqualified) {
        p.warnings.push(`OCSP responder "${delegated.subject}" was revoked when it answered for "${cert.subject}": its answer is not used`);
        return false;
      }
    }
    addOcsp(o, out);
    return true;
  };
  for (const o of p.ocsps) {
    if (usable(o) && (await useOcsp(o))) return;
  }
  for (const crl of p.crls) {
    if (checkCrl(crl, cert, issuer, at)) return out.add(out.crls, crl.der);
  }
  const urls = [...cert.ocspUrls, ...cert.crlUrls];
  if (!opts.fetcher || urls.length === 0) {
    // say so when there is data for this issuer that is only too old or too new for `at`
    const stale = p.crls.some((c) => checkCrl(c, cert, issuer, new Date(0)) !== null) || p.ocsps.some((o) => checkOcsp(o, cert, issuer, new Date(0)) !== null);
    if (responder) throw new InputInvalidError(`no revocation data for it at ${at.toISOString()}${stale ? ' (the known data does not cover that time)' : ''}${urls.length === 0 ? ' and it names no OCSP or CRL URL' : ' (offline)'}`);
    throw new InputInvalidError(
      `no revocation data for "${cert.subject}" at ${at.toISOString()}${stale ? ' (the known data does not cover that time)' : ''}${urls.length === 0 ? ' and the certificate names no OCSP or CRL URL' : ' (offline)'}: give its CRL (--crl)`,
    );
  }
  const take = (list: readonly string[]): string[] => {
    const n = Math.max(0, Math.min(URLS_PER_CERT, p.fetchBudget));
    p.fetchBudget -= Math.min(n, list.length);
    return list.slice(0, n);
  };
  for (const url of take(cert.ocspUrls)) {
    const der = await opts.fetcher.fetchOcsp(url, buildOcspRequest(cert, issuer)).catch(() => null);
    const o = der ? parseOcspResponse(der) : null;
    if (o && usable(o)) {
      p.ocsps.push(o);
      if (await useOcsp(o)) return;
    }
  }
  for (const url of take(cert.crlUrls)) {
    const der = await opts.fetcher.fetchCrl(url).catch(() => null);
    const crl = der ? parseCrl(der) : null;
    if (crl && checkCrl(crl, cert, issuer, at)) {
      p.crls.push(crl);
      return out.add(out.crls, crl.der);
    }
  }
  throw new SealError('ERR_UPSTREAM', `no usable revocation data for "${cert.subject}" from ${urls.slice(0, 2 * URLS_PER_CERT).join(', ')}${p.fetchBudget <= 0 ? ' (online request budget used up)' : ''}`);
}

function addOcsp(o: ParsedOcsp, out: Collector): void {
  out.add(out.ocsps, o.der);
  // the responder's certificate(s), so the response can be checked offline
  for (const c of o.basic.certs ?? []) {
    try {
      out.add(out.certs, new Uint8Array(c.toSchema().toBER(false)));
    } catch {
      // skip a certificate pkijs cannot re-encode
    }
  }
}

async function gatherChain(leaf: CertInfo, p: Pools, at: Date, opts: GatherOptions, out: Collector): Promise<void> {
  const chain = await chainOf(leaf, p, (opts.trustAnchors?.length ?? 0) > 0);
  for (const c of chain) out.add(out.certs, c.der);
  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i]!;
    if (hasOcspNoCheck(cert)) continue;
    await revocationFor(cert, chain[i + 1]!, p, at, opts, out);
  }
}

/** Validation data for every signature and document time-stamp in `doc` (plus `extraTokens`). */
export async function gatherValidationData(doc: PdfDocument, opts: GatherOptions = {}): Promise<GatheredData> {
  const dss = readDss(doc);
  const p: Pools = {
    pool: parseAll([...(opts.certificates ?? []), ...(dss?.certs ?? [])]),
    anchors: parseAll(opts.trustAnchors ?? []),
    crls: [...(opts.crls ?? []), ...(dss?.crls ?? [])].map(parseCrl).filter((c): c is ParsedCrl => c !== null),
    ocsps: [...(opts.ocsps ?? []), ...(dss?.ocsps ?? [])].map(parseOcspResponse).filter((o): o is ParsedOcsp => o !== null),
    fetchBudget: FETCH_BUDGET,
    caIssuers: opts.fetcher ? new CaIssuersResolver(opts.fetcher) : null,
    fetched: new Set(),
    warnings: [],
  };
  if ((opts.trustAnchors?.length ?? 0) > 0 && p.anchors.length === 0) throw new InputInvalidError('none of the trust anchors is a readable certificate');
  const all = new Collector();
  const vri = new Map<string, VriData>();
  const signatures: GatheredSignature[] = [];

  const gatherToken = async (token: Uint8Array, out: Collector, what: string): Promise<void> => {
    const cms = verifyCms(token, { forbidEncapsulatedWithDetached: false });
    if (!cms.parsed || !cms.signerCertificate) throw new InputInvalidError(`${what}: the time-stamp token has no readable signer certificate`);
    if (!cms.intact || !cms.valid) throw new InputInvalidError(`${what}: the time-stamp token does not verify (${cms.subIndication ?? 'invalid'})`);
    p.pool.push(...parseAll(cms.certificates));
    await gatherChain(cms.signerCertificate, p, opts.at ?? peekTimestamp(token)?.genTime ?? new Date(), opts, out);
  };

  const sigs = listSignatures(doc);
  if (sigs.length === 0 && (opts.extraTokens?.length ?? 0) === 0) throw new InputInvalidError('the PDF has no signature to extend');
  for (const s of sigs) {
    const contents = doc.resolve(s.sig.get('Contents'));
    if (!(contents instanceof PdfString)) throw new InputInvalidError(`signature "${s.field.name}" has no /Contents string`);
    const typeName = s.sig.getName('Type');
    const subFilter = s.sig.getName('SubFilter');
    const kind = typeName === 'DocTimeStamp' || subFilter === 'ETSI.RFC3161' ? 'document-timestamp' : 'signature';
    const key = vriKey(contents.bytes);
    const out = new Collector();
    let hasTs = false;
    if (kind === 'document-timestamp') {
      await gatherToken(contents.bytes, out, `document time-stamp "${s.field.name}"`);
    } else {
      if (subFilter === 'adbe.x509.rsa_sha1') throw new InputInvalidError(`signature "${s.field.name}" uses adbe.x509.rsa_sha1, which cannot be extended`);
      const br = readByteRange(doc, s.sig);
      const len = doc.bytes.length;
      if (!br || br[0] !== 0 || br[1] > br[2] || br[2] + br[3] > len) throw new InputInvalidError(`signature "${s.field.name}" has an invalid /ByteRange`);
      const parts = [doc.bytes.subarray(0, br[1]), doc.bytes.subarray(br[2], br[2] + br[3])];
      const cms = verifyCms(contents.bytes, { detachedContent: parts, forbidEncapsulatedWithDetached: false });
      if (!cms.parsed || !cms.signerCertificate || !cms.intact || !cms.valid) {
        throw new InputInvalidError(`signature "${s.field.name}" does not verify (${cms.subIndication ?? 'no signer certificate'}); it cannot be extended`);
      }
      p.pool.push(...parseAll(cms.certificates));
      for (const c of cms.crls) {
        const parsed = parseCrl(c);
        if (parsed) p.crls.push(parsed);
      }
      for (const o of cms.ocsps) {
        const parsed = parseOcspResponse(o);
        if (parsed) p.ocsps.push(parsed);
      }
      const tsTimes = cms.signatureTimestamps.map((t) => peekTimestamp(t)?.genTime.getTime()).filter((t): t is number => t !== undefined && Number.isFinite(t));
      const m = doc.resolve(s.sig.get('M'));
      const claimed = cms.claimedSigningTime ?? (m instanceof PdfString ? parsePdfDate(m.text()) : null);
      const at = opts.at ?? (tsTimes.length ? new Date(Math.min(...tsTimes)) : (claimed ?? new Date()));
      await gatherChain(cms.signerCertificate, p, at, opts, out);
      for (const token of cms.signatureTimestamps) {
        hasTs = true;
        await gatherToken(token, out, `signature "${s.field.name}"`);
      }
    }
    signatures.push({ fieldName: s.field.name, kind, vriKey: key, hasSignatureTimestamp: hasTs });
    const data = out.data();
    vri.set(key, data);
    for (const c of data.certs) all.add(all.certs, c);
    for (const c of data.crls) all.add(all.crls, c);
    for (const o of data.ocsps) all.add(all.ocsps, o);
  }
  for (const token of opts.extraTokens ?? []) await gatherToken(token, all, 'the TSA');
  return { ...all.data(), vri, signatures, warnings: [...new Set(p.warnings)] };
}
