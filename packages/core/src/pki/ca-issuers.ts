/**
 * AIA caIssuers (RFC 5280 4.2.2.1): complete a chain whose issuer certificate is not known by
 * fetching the URL the certificate names. Only http: URLs are fetched (no https:, which would
 * need the chain being built; no ldap:, file: ...). The answer must be one DER certificate or a
 * DER certs-only ("degenerate") PKCS#7 SignedData (no signers); PEM, BER and anything else is
 * refused. A fetched certificate is used only when it really issued the certificate (names, key
 * identifiers and the signature, `isIssuedBy`) and is never a trust anchor: the caller decides
 * where a chain may end. Bounded: at most URLS_PER_CERT URLs per certificate, `maxFetches`
 * requests per resolver (one run), every URL fetched at most once per run, and a URL seen again
 * while completing the same chain is a loop.
 */
import type * as pkijs from 'pkijs';
import { SealError } from '../errors/index.js';
import { children, decodeOid, encodedOf, expectTag, parseDer, TAG, type DerNode } from '../asn1/der.js';
import { parseCertificate, type CertInfo } from './cert.js';
import { isIssuedBy, type RevocationFetcher } from './validate-path.js';

export const OID_CA_ISSUERS = '1.3.6.1.5.5.7.48.2';
const OID_AIA = '1.3.6.1.5.5.7.1.1';
const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';

/** At most this many caIssuers URLs are tried per certificate. */
export const CA_ISSUERS_URLS_PER_CERT = 2;
/** Default number of caIssuers requests per run. */
export const CA_ISSUERS_MAX_FETCHES = 8;
/** At most this many certificates are read from one answer. */
const MAX_CERTS_PER_ANSWER = 16;

/** The caIssuers URIs of the certificate's Authority Information Access extension, in order. */
export function caIssuersUrls(cert: CertInfo): string[] {
  const out: string[] = [];
  for (const ext of cert.pkijs.extensions ?? []) {
    if (ext.extnID !== OID_AIA) continue;
    const info = ext.parsedValue as pkijs.InfoAccess | undefined;
    for (const ad of info?.accessDescriptions ?? []) {
      if (ad.accessMethod === OID_CA_ISSUERS && ad.accessLocation.type === 6 && typeof ad.accessLocation.value === 'string') out.push(ad.accessLocation.value);
    }
  }
  return out;
}

/**
 * The certificates of a caIssuers answer: one DER Certificate, or a DER certs-only PKCS#7
 * (ContentInfo with SignedData whose signerInfos is empty). Throws ERR_CERT_INVALID otherwise.
 */
export function parseCaIssuersAnswer(bytes: Uint8Array): CertInfo[] {
  const refuse = (cause: unknown) => new SealError('ERR_CERT_INVALID', 'the caIssuers answer is neither a DER certificate nor a DER certs-only PKCS#7', { cause });
  let fields: DerNode[];
  try {
    fields = children(expectTag(parseDer(bytes), TAG.SEQUENCE, 'answer'));
  } catch (err) {
    throw refuse(err);
  }
  // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }; a Certificate has three fields
  if (fields.length === 2 && fields[0]!.tag === TAG.OID) {
    try {
      return certsOnlyPkcs7(fields);
    } catch (err) {
      if (err instanceof SealError && err.code === 'ERR_CERT_INVALID') throw err;
      throw refuse(err);
    }
  }
  try {
    return [parseCertificate(new Uint8Array(bytes))];
  } catch (err) {
    throw refuse(err);
  }
}

function certsOnlyPkcs7(contentInfo: DerNode[]): CertInfo[] {
  if (decodeOid(contentInfo[0]) !== OID_SIGNED_DATA) throw new SealError('ERR_CERT_INVALID', 'the caIssuers PKCS#7 is not SignedData');
  const explicit = children(expectTag(contentInfo[1], 0xa0, 'content'));
  if (explicit.length !== 1) throw new SealError('ERR_CERT_INVALID', 'malformed caIssuers PKCS#7');
  // SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo, [0] certificates, [1] crls, signerInfos SET }
  const sd = children(expectTag(explicit[0], TAG.SEQUENCE, 'SignedData'));
  const signerInfos = sd[sd.length - 1];
  if (sd.length < 4 || signerInfos?.tag !== TAG.SET || children(signerInfos).length !== 0) {
    throw new SealError('ERR_CERT_INVALID', 'the caIssuers PKCS#7 is not certs-only (it has signers or no signerInfos)');
  }
  const certSet = sd.find((n) => n.tag === 0xa0);
  if (!certSet) throw new SealError('ERR_CERT_INVALID', 'the caIssuers PKCS#7 holds no certificate');
  const out: CertInfo[] = [];
  for (const c of children(certSet)) {
    if (out.length >= MAX_CERTS_PER_ANSWER) break;
    if (c.tag !== TAG.SEQUENCE) continue; // other CertificateChoices (attribute certificates ...) are not used
    out.push(parseCertificate(new Uint8Array(encodedOf(c))));
  }
  if (out.length === 0) throw new SealError('ERR_CERT_INVALID', 'the caIssuers PKCS#7 holds no certificate');
  return out;
}

export interface CaIssuersResolverOptions {
  /** Requests per run (default CA_ISSUERS_MAX_FETCHES). */
  maxFetches?: number;
}

export interface IssuerLookup {
  /** The fetched certificate that issued the certificate, or null. */
  issuer: CertInfo | null;
  /** Why URLs were refused or answers ignored (for warnings or the error message). */
  notes: string[];
}

const shortUrl = (u: string): string => JSON.stringify(u.length > 120 ? `${u.slice(0, 120)}...` : u);

/**
 * One run's caIssuers state: the request budget and the answers already fetched (by URL).
 * `visited` is the caller's per-chain set of URLs, for loop detection.
 */
export class CaIssuersResolver {
  private fetchesLeft: number;
  private readonly answers = new Map<string, Promise<CertInfo[] | string>>();

  constructor(
    private readonly fetcher: RevocationFetcher,
    opts: CaIssuersResolverOptions = {},
  ) {
    this.fetchesLeft = Math.max(0, opts.maxFetches ?? CA_ISSUERS_MAX_FETCHES);
  }

  /** Requests made so far. */
  get fetchCount(): number {
    return this.answers.size;
  }

  async issuerOf(cert: CertInfo, visited: Set<string>): Promise<IssuerLookup> {
    const notes: string[] = [];
    const urls = caIssuersUrls(cert);
    if (urls.length === 0) return { issuer: null, notes };
    const note = (url: string, why: string) => notes.push(`caIssuers URL ${shortUrl(url)} of "${cert.subject}" ${why}`);
    for (const url of urls.slice(0, CA_ISSUERS_URLS_PER_CERT)) {
      if (!/^http:\/\//i.test(url)) {
        note(url, 'refused: only http: URLs are fetched');
        continue;
      }
      if (visited.has(url)) {
        note(url, 'refused: loop (the URL was already used for this chain)');
        continue;
      }
      visited.add(url);
      const answer = await this.fetch(url);
      if (typeof answer === 'string') {
        note(url, answer);
        continue;
      }
      const issuer = answer.find((c) => c.fingerprint !== cert.fingerprint && isIssuedBy(cert, c));
      if (issuer) return { issuer, notes };
      note(url, 'ignored: the certificate there did not issue it (names, key identifier or signature do not match)');
    }
    return { issuer: null, notes };
  }

  private fetch(url: string): Promise<CertInfo[] | string> {
    const known = this.answers.get(url);
    if (known) return known;
    if (!this.fetcher.fetchCaIssuers) return Promise.resolve('not fetched: the fetcher cannot fetch certificates');
    if (this.fetchesLeft <= 0) return Promise.resolve('not fetched: the caIssuers request budget of this run is used up');
    this.fetchesLeft--;
    const fetchCaIssuers = this.fetcher.fetchCaIssuers.bind(this.fetcher);
    const p = (async (): Promise<CertInfo[] | string> => {
      const r = await fetchCaIssuers(url).catch(() => ({ ok: false as const, reason: 'unreachable' }));
      if (!r.ok) return `refused: ${r.reason}`;
      try {
        return parseCaIssuersAnswer(r.bytes);
      } catch (err) {
        return `refused: ${err instanceof SealError ? err.message : 'unreadable answer'}`;
      }
    })();
    this.answers.set(url, p);
    return p;
  }
}
