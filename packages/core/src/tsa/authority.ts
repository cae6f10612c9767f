/**
 * An RFC 3161 Time-Stamp Authority core: TimeStampReq in, TimeStampResp out.
 *
 *   const tsa = createTimestampAuthority({ signer, policyOid, clock?, serialSource?, accuracy? })
 *   const respDer = await tsa.respond(reqDer)
 *   tsa.timestamper   // an in-process Timestamper for createCmsSignature (no HTTP)
 *
 * Tokens are SignedData (id-ct-TSTInfo) signed through the Signer with signed attributes
 * content-type, message-digest and signing-certificate-v2; the TSA certificate (and its chain) is
 * included when the request says certReq. Malformed or unacceptable requests get a rejection
 * with the RFC 3161 PKIFailureInfo bit: badDataFormat, badRequest, badAlg, unacceptedPolicy,
 * unacceptedExtension; a Signer failure gets systemFailure. respond() never throws for bad input.
 */
import { randomBytes } from 'node:crypto';
import { parseCertificateInfo } from '../asn1/certificate.js';
import {
  type DerNode,
  TAG,
  childrenOf,
  contentOf,
  ctx,
  ctxPrim,
  decodeBoolean,
  decodeOid,
  decodeSmallInt,
  encodedOf,
  expectTag,
  generalizedTime,
  integer,
  namedBits,
  oid,
  parseDer,
  seq,
  tlv,
  utf8String,
} from '../asn1/der.js';
import { type CmsHash, HASHES, OIDS, buildSignedData, digest, digestAlgorithmId, schemeFor, signerParts } from '../cms/signed-data.js';
import { SealError } from '../errors/index.js';
import type { Signer } from '../signer/signer.js';
import { PKI_STATUS } from './client.js';
import type { Timestamper } from './timestamper.js';

/** PKIFailureInfo bit numbers (RFC 3161 section 2.4.2). */
export const FAIL_INFO = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;

export type FailInfoName = keyof typeof FAIL_INFO;

const OID_KP_TIMESTAMPING = '1.3.6.1.5.5.7.3.8';

export interface TimestampAuthorityOptions {
  /** Signs the tokens; its first certificate must carry a critical EKU of timeStamping only. */
  signer: Signer;
  /** TSA policy OID put in every TSTInfo (requests naming another policy are refused). */
  policyOid: string;
  /** Time source (default: the system clock). */
  clock?: () => Date;
  /** Serial numbers (positive, unique): default 128 random bits. */
  serialSource?: () => bigint;
  /** Accuracy claimed in TSTInfo; null to leave it out. Default { seconds: 1 }. */
  accuracy?: { seconds?: number; millis?: number } | null;
  /** Digest for the token's own signature (default SHA-256). */
  signatureHash?: CmsHash;
  /** RSA TSA keys: PKCS#1 v1.5 (default) or PSS. */
  rsaScheme?: 'RSA-PKCS1' | 'RSA-PSS';
  /** Imprint digests accepted (default SHA-256, SHA-384, SHA-512). */
  acceptedHashes?: readonly CmsHash[];
  /** Put the TSA's name in TSTInfo (default true). */
  includeTsaName?: boolean;
}

export interface TimestampAuthority {
  readonly policyOid: string;
  /** Answer a DER TimeStampReq with a DER TimeStampResp (granted or rejection). */
  respond(requestDer: Uint8Array): Promise<Uint8Array>;
  /** Issue a token directly (in-process Timestamper; certReq is true). */
  readonly timestamper: Timestamper;
}

class Rejection extends Error {
  constructor(
    readonly failInfo: FailInfoName,
    readonly text: string,
  ) {
    super(text);
  }
}

interface ParsedRequest {
  hash: CmsHash;
  imprint: Uint8Array;
  nonce: Uint8Array | null;
  certReq: boolean;
}

function parseRequest(der: Uint8Array, accepted: readonly CmsHash[], policyOid: string): ParsedRequest {
  let f: DerNode[];
  try {
    f = childrenOf(parseDer(der), TAG.SEQUENCE, 'TimeStampReq');
  } catch {
    throw new Rejection('badDataFormat', 'the request is not a DER TimeStampReq');
  }
  try {
    if (decodeSmallInt(f[0]!) !== 1) throw new Rejection('badRequest', 'unsupported request version');
    const [alg, hashed] = childrenOf(f[1], TAG.SEQUENCE, 'messageImprint');
    const [algOid, params] = childrenOf(alg, TAG.SEQUENCE, 'hashAlgorithm');
    const hashOid = decodeOid(algOid!);
    const hash = accepted.find((h) => HASHES[h].oid === hashOid);
    if (hash === undefined) throw new Rejection('badAlg', 'unsupported hash algorithm');
    if (params !== undefined && !(params.tag === TAG.NULL && params.contentEnd === params.contentStart)) {
      throw new Rejection('badDataFormat', 'bad hash algorithm parameters');
    }
    const imprint = contentOf(expectTag(hashed, TAG.OCTET_STRING, 'hashedMessage'));
    if (imprint.length !== HASHES[hash].length) throw new Rejection('badDataFormat', 'the imprint length does not fit the hash algorithm');
    let i = 2;
    if (f[i]?.tag === TAG.OID) {
      if (decodeOid(f[i]!) !== policyOid) throw new Rejection('unacceptedPolicy', 'the requested policy is not supported');
      i++;
    }
    let nonce: Uint8Array | null = null;
    if (f[i]?.tag === TAG.INTEGER) {
      nonce = encodedOf(f[i]!);
      if (nonce.length > 2 + 32) throw new Rejection('badDataFormat', 'nonce too long');
      i++;
    }
    let certReq = false;
    if (f[i]?.tag === TAG.BOOLEAN) certReq = decodeBoolean(f[i++]!);
    if (f[i]?.tag === 0xa0) throw new Rejection('unacceptedExtension', 'request extensions are not supported');
    if (i !== f.length) throw new Rejection('badDataFormat', 'unexpected fields in the request');
    return { hash, imprint: Uint8Array.from(imprint), nonce, certReq };
  } catch (err) {
    if (err instanceof Rejection) throw err;
    throw new Rejection('badDataFormat', 'the request is malformed');
  }
}

function rejection(failInfo: FailInfoName, text: string): Uint8Array {
  return seq(seq(integer(PKI_STATUS.rejection), seq(utf8String(text)), namedBits([FAIL_INFO[failInfo]])));
}

function defaultSerial(): bigint {
  return BigInt(`0x${randomBytes(16).toString('hex')}`) | 1n;
}

export function createTimestampAuthority(options: TimestampAuthorityOptions): TimestampAuthority {
  const { signer, policyOid } = options;
  const leafDer = signer.certificateChain[0];
  if (leafDer === undefined) throw new SealError('ERR_CERT_INVALID', 'the TSA signer has no certificate');
  const leaf = parseCertificateInfo(leafDer);
  if (!leaf.extKeyUsageCritical || leaf.extKeyUsage?.length !== 1 || leaf.extKeyUsage[0] !== OID_KP_TIMESTAMPING) {
    throw new SealError('ERR_CERT_INVALID', 'a TSA certificate needs a critical extended key usage of timeStamping only (RFC 3161)');
  }
  const policy = oid(policyOid); // validates the OID
  const sigHash = options.signatureHash ?? 'SHA-256';
  const scheme = schemeFor(signer, options.rsaScheme);
  const essAttribute = signerParts(signer, sigHash).essAttribute;
  const accepted = options.acceptedHashes ?? (['SHA-256', 'SHA-384', 'SHA-512'] as const);
  const clock = options.clock ?? (() => new Date());
  const serialSource = options.serialSource ?? defaultSerial;
  const acc = options.accuracy === undefined ? { seconds: 1 } : options.accuracy;
  const accuracy =
    acc === null
      ? null
      : seq(
          ...(acc.seconds !== undefined ? [integer(acc.seconds)] : []),
          ...(acc.millis !== undefined ? [ctxPrim(0, contentOf(parseDer(integer(acc.millis))))] : []),
        );
  const tsaName = options.includeTsaName === false ? null : ctx(0, ctx(4, leaf.subjectDer));

  async function issue(req: ParsedRequest): Promise<Uint8Array> {
    const serial = serialSource();
    if (serial <= 0n) throw new SealError('ERR_INTERNAL', 'serial numbers must be positive');
    const now = clock();
    const tstInfo = seq(
      integer(1),
      policy,
      seq(digestAlgorithmId(req.hash), tlv(TAG.OCTET_STRING, req.imprint)),
      integer(serial),
      generalizedTime(now, true),
      ...(accuracy ? [accuracy] : []),
      ...(req.nonce ? [req.nonce] : []),
      ...(tsaName ? [tsaName] : []),
    );
    return buildSignedData({
      signer,
      hash: sigHash,
      scheme,
      eContentType: OIDS.tstInfo,
      eContent: tstInfo,
      contentDigest: digest(sigHash, tstInfo),
      extraSignedAttributes: [essAttribute],
      includeCertificates: req.certReq,
    });
  }

  return {
    policyOid,
    async respond(requestDer: Uint8Array): Promise<Uint8Array> {
      let req: ParsedRequest;
      try {
        req = parseRequest(requestDer, accepted, policyOid);
      } catch (err) {
        if (err instanceof Rejection) return rejection(err.failInfo, err.text);
        return rejection('badDataFormat', 'the request is malformed');
      }
      let token: Uint8Array;
      try {
        token = await issue(req);
      } catch {
        return rejection('systemFailure', 'the time-stamp could not be issued');
      }
      return seq(seq(integer(PKI_STATUS.granted)), token);
    },
    timestamper: {
      async timestamp(d: Uint8Array, hash: CmsHash): Promise<Uint8Array> {
        if (!accepted.includes(hash)) throw new SealError('ERR_ALG_UNSUPPORTED', 'unsupported time-stamp digest');
        if (d.length !== HASHES[hash].length) throw new SealError('ERR_INPUT_INVALID', 'imprint length does not fit the digest');
        return issue({ hash, imprint: d, nonce: null, certReq: true });
      },
      async estimateTokenSize(hash: CmsHash): Promise<number> {
        const t = await issue({ hash, imprint: new Uint8Array(HASHES[hash].length), nonce: null, certReq: true });
        return t.length;
      },
    },
  };
}
