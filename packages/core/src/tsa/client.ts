/**
 * RFC 3161 time-stamp client.
 *
 *   requestTimestamp(url, { imprint, hash }, { timeoutMs?, policyOid? })  -> { token, genTime, ... }
 *   createHttpTimestamper(url, options)                                   -> Timestamper for CMS B-T
 *   encodeTimestampRequest / parseTimestampResponse / parseTimestampToken  (building blocks)
 *
 * The client sends a nonce and certReq=TRUE and checks that the answer is granted, that the
 * token's TSTInfo carries our imprint and our nonce. It does not validate the TSA's signature or
 * chain: that is verification's job (the verifier checks tokens against its trust anchors).
 * Errors: SealError ERR_UPSTREAM for network failures, timeouts, HTTP errors, rejections and
 * answers that do not fit the request.
 */
import { randomBytes } from 'node:crypto';
import {
  type DerNode,
  type ReadOptions,
  TAG,
  boolean,
  children,
  childrenOf,
  contentOf,
  decodeBoolean,
  decodeInteger,
  decodeOid,
  decodeSmallInt,
  decodeTime,
  encodedOf,
  expectTag,
  integer,
  octetString,
  octetStringValue,
  oid,
  parseDer,
  seq,
} from '../asn1/der.js';
import { type CmsHash, HASHES, OIDS, digestAlgorithmId, isCmsHash } from '../cms/signed-data.js';
import { SealError } from '../errors/index.js';
import type { Timestamper } from './timestamper.js';

const BER: ReadOptions = { ber: true };

export const PKI_STATUS = {
  granted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
} as const;

export interface TimestampRequestFields {
  /** Hash of the time-stamped data. */
  imprint: Uint8Array;
  hash: CmsHash;
  /** Positive nonce; random 64-bit when omitted by requestTimestamp. */
  nonce?: bigint;
  certReq?: boolean;
  policyOid?: string;
}

export interface TstInfo {
  policy: string;
  hash: CmsHash | null;
  hashOid: string;
  imprint: Uint8Array;
  /** Serial number, lower-case hex of the INTEGER content octets. */
  serialNumber: string;
  genTime: Date;
  nonce: bigint | null;
  ordering: boolean;
  /** Raw DER of the TSTInfo. */
  der: Uint8Array;
}

export interface TimestampResult {
  /** DER TimeStampToken (ContentInfo with SignedData), to embed as is. */
  token: Uint8Array;
  status: number;
  tstInfo: TstInfo;
}

export interface TimestampClientOptions {
  /** Whole-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Ask for this TSA policy. */
  policyOid?: string;
  /** Largest accepted answer (default 256 KiB). */
  maxResponseBytes?: number;
}

function upstream(message: string, cause?: unknown): SealError {
  return new SealError('ERR_UPSTREAM', `time-stamp: ${message}`, cause === undefined ? undefined : { cause });
}

/** DER TimeStampReq. */
export function encodeTimestampRequest(fields: TimestampRequestFields): Uint8Array {
  if (!isCmsHash(fields.hash)) throw new SealError('ERR_ALG_UNSUPPORTED', 'unsupported time-stamp digest');
  if (fields.imprint.length !== HASHES[fields.hash].length) throw new SealError('ERR_INPUT_INVALID', 'imprint length does not fit the digest');
  return seq(
    integer(1),
    seq(digestAlgorithmId(fields.hash), octetString(fields.imprint)),
    ...(fields.policyOid ? [oid(fields.policyOid)] : []),
    ...(fields.nonce !== undefined ? [integer(fields.nonce)] : []),
    ...(fields.certReq ? [boolean(true)] : []),
  );
}

const HASH_BY_OID: Record<string, CmsHash> = Object.fromEntries(
  (Object.keys(HASHES) as CmsHash[]).map((h) => [HASHES[h].oid, h]),
);

function parseImprint(node: DerNode | undefined): { hashOid: string; hash: CmsHash | null; imprint: Uint8Array } {
  const [alg, hashed] = childrenOf(node, TAG.SEQUENCE, 'messageImprint', BER);
  const [algOid, params] = childrenOf(alg, TAG.SEQUENCE, 'hashAlgorithm', BER);
  if (params !== undefined && params.tag !== TAG.NULL) throw new SealError('ERR_ASN1_INVALID', 'hash algorithm parameters');
  const hashOid = decodeOid(algOid!);
  return { hashOid, hash: HASH_BY_OID[hashOid] ?? null, imprint: Uint8Array.from(contentOf(expectTag(hashed, TAG.OCTET_STRING, 'hashedMessage'))) };
}

/** The TSTInfo inside a TimeStampToken (no signature check). Throws ERR_ASN1_INVALID. */
export function parseTimestampToken(token: Uint8Array): TstInfo {
  const [ctype, wrapped] = childrenOf(parseDer(token, BER), TAG.SEQUENCE, 'ContentInfo', BER);
  if (decodeOid(ctype!) !== OIDS.signedData) throw new SealError('ERR_ASN1_INVALID', 'token is not SignedData');
  const [sd] = childrenOf(wrapped, 0xa0, 'content', BER);
  const [, , encap] = childrenOf(sd, TAG.SEQUENCE, 'SignedData', BER);
  const [eType, eContentWrapped] = childrenOf(encap, TAG.SEQUENCE, 'encapContentInfo', BER);
  if (decodeOid(eType!) !== OIDS.tstInfo) throw new SealError('ERR_ASN1_INVALID', 'token content is not TSTInfo');
  const [eContent] = childrenOf(eContentWrapped, 0xa0, 'eContent', BER);
  if (eContent === undefined) throw new SealError('ERR_ASN1_INVALID', 'token has no TSTInfo');
  return parseTstInfo(octetStringValue(eContent, BER));
}

/** Parse a DER TSTInfo. */
export function parseTstInfo(der: Uint8Array): TstInfo {
  const f = childrenOf(parseDer(der), TAG.SEQUENCE, 'TSTInfo');
  if (decodeSmallInt(f[0]!) !== 1) throw new SealError('ERR_ASN1_INVALID', 'TSTInfo version');
  const policy = decodeOid(expectTag(f[1], TAG.OID, 'policy'));
  const mi = parseImprint(f[2]);
  const serial = expectTag(f[3], TAG.INTEGER, 'serialNumber');
  const genTimeNode = expectTag(f[4], TAG.GENERALIZED_TIME, 'genTime');
  let i = 5;
  if (f[i]?.tag === TAG.SEQUENCE) i++; // accuracy
  let ordering = false;
  if (f[i]?.tag === TAG.BOOLEAN) ordering = decodeBoolean(f[i++]!);
  let nonce: bigint | null = null;
  if (f[i]?.tag === TAG.INTEGER) nonce = decodeInteger(f[i++]!);
  return {
    policy,
    hash: mi.hash,
    hashOid: mi.hashOid,
    imprint: mi.imprint,
    serialNumber: Buffer.from(contentOf(serial)).toString('hex'),
    genTime: decodeTime(genTimeNode),
    nonce,
    ordering,
    der: Uint8Array.from(der),
  };
}

export interface ResponseExpectation {
  imprint: Uint8Array;
  hash: CmsHash;
  nonce?: bigint;
  policyOid?: string;
}

/** Check a DER TimeStampResp against the request it answers; returns the token and its TSTInfo. */
export function parseTimestampResponse(der: Uint8Array, expect: ResponseExpectation): TimestampResult {
  let parts: DerNode[];
  let status: number;
  let statusText = '';
  try {
    parts = childrenOf(parseDer(der, BER), TAG.SEQUENCE, 'TimeStampResp', BER);
    const statusInfo = childrenOf(parts[0], TAG.SEQUENCE, 'PKIStatusInfo', BER);
    status = decodeSmallInt(statusInfo[0]!);
    const text = statusInfo[1];
    if (text?.tag === TAG.SEQUENCE) {
      statusText = children(text, BER)
        .map((s) => Buffer.from(contentOf(s)).toString('utf8'))
        .join('; ')
        .replace(/[^\x20-\x7e]/g, '?')
        .slice(0, 200);
    }
  } catch (err) {
    throw upstream('malformed response from the TSA', err);
  }
  if (status !== PKI_STATUS.granted && status !== PKI_STATUS.grantedWithMods) {
    throw upstream(`the TSA refused the request (status ${status}${statusText ? `: ${statusText}` : ''})`);
  }
  const tokenNode = parts[1];
  if (tokenNode === undefined) throw upstream('granted response without a token');
  const token = Uint8Array.from(encodedOf(tokenNode));
  let tstInfo: TstInfo;
  try {
    tstInfo = parseTimestampToken(token);
  } catch (err) {
    throw upstream('malformed time-stamp token', err);
  }
  if (tstInfo.hash !== expect.hash || !Buffer.from(tstInfo.imprint).equals(Buffer.from(expect.imprint))) {
    throw upstream('the token does not carry the requested message imprint');
  }
  if (expect.nonce !== undefined && tstInfo.nonce !== expect.nonce) throw upstream('the token does not carry the request nonce');
  if (expect.policyOid !== undefined && tstInfo.policy !== expect.policyOid) throw upstream('the token has another policy');
  return { token, status, tstInfo };
}

async function readLimited(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) throw upstream('response too large');
  if (res.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      throw upstream('response too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** POST a TimeStampReq to `url` and return the checked token. */
export async function requestTimestamp(
  url: string,
  fields: { imprint: Uint8Array; hash: CmsHash },
  options: TimestampClientOptions = {},
): Promise<TimestampResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new SealError('ERR_INPUT_INVALID', 'the TSA URL is not a valid URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new SealError('ERR_INPUT_INVALID', 'the TSA URL must be http or https');
  const nonce = BigInt(`0x${randomBytes(8).toString('hex')}`) | 1n;
  const body = encodeTimestampRequest({ ...fields, nonce, certReq: true, ...(options.policyOid ? { policyOid: options.policyOid } : {}) });
  const timeoutMs = options.timeoutMs ?? 10_000;
  let res: Response;
  let bytes: Uint8Array;
  try {
    res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw upstream(`the TSA answered HTTP ${res.status}`);
    }
    const ctype = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (ctype !== 'application/timestamp-reply' && ctype !== 'application/timestamp-response') {
      await res.body?.cancel();
      throw upstream('the TSA answered with an unexpected content type');
    }
    bytes = await readLimited(res, options.maxResponseBytes ?? 256 * 1024);
  } catch (err) {
    if (err instanceof SealError) throw err;
    const name = (err as Error | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw upstream(`no answer from the TSA within ${timeoutMs} ms`, err);
    throw upstream('cannot reach the TSA', err);
  }
  return parseTimestampResponse(bytes, { ...fields, nonce, ...(options.policyOid ? { policyOid: options.policyOid } : {}) });
}

/**
 * A Timestamper over an RFC 3161 URL. estimateTokenSize asks the TSA once per hash (a probe
 * request over a zero digest) and remembers the size.
 */
export function createHttpTimestamper(url: string, options: TimestampClientOptions = {}): Timestamper {
  const sizes = new Map<CmsHash, number>();
  return {
    async timestamp(digest: Uint8Array, hash: CmsHash): Promise<Uint8Array> {
      const { token } = await requestTimestamp(url, { imprint: digest, hash }, options);
      const known = sizes.get(hash) ?? 0;
      if (token.length > known) sizes.set(hash, token.length);
      return token;
    },
    async estimateTokenSize(hash: CmsHash): Promise<number> {
      const known = sizes.get(hash);
      if (known !== undefined) return known;
      const { token } = await requestTimestamp(url, { imprint: new Uint8Array(HASHES[hash].length), hash }, options);
      sizes.set(hash, token.length);
      return token.length;
    },
  };
}
