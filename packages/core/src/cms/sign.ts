/**
 * Detached CMS signatures for PDF (PAdES) over a document digest.
 *
 *   createCmsSignature({ contentDigest, hash, signer, profile, rsaScheme?, signingTime?, timestampUrl? | timestamper? })
 *   estimateCmsSize({ hash, signer, profile, rsaScheme?, signingTime?, timestampUrl? | timestamper? })
 *
 * profile 'cades' (SubFilter ETSI.CAdES.detached, the default): signed attributes content-type,
 * message-digest and signing-certificate-v2, and no signing-time (PAdES puts the time in /M).
 * profile 'pkcs7' (SubFilter adbe.pkcs7.detached): content-type, message-digest, and signing-time
 * when `signingTime` is given.
 * With a timestamper (or URL), the signature value is time-stamped (RFC 3161) and the token goes
 * into the unsigned attribute id-aa-signatureTimeStampToken (PAdES B-T).
 */
import { x509Time } from '../asn1/der.js';
import { SealError } from '../errors/index.js';
import type { Signer } from '../signer/signer.js';
import { createHttpTimestamper } from '../tsa/client.js';
import type { Timestamper } from '../tsa/timestamper.js';
import { type CmsHash, OIDS, attribute, buildSignedData, digest, isCmsHash, maxSignatureLength, schemeFor, signerParts } from './signed-data.js';

export type { CmsHash } from './signed-data.js';
export type { Timestamper } from '../tsa/timestamper.js';

export type CmsProfile = 'cades' | 'pkcs7';

export interface CmsSignatureSetup {
  hash: CmsHash;
  signer: Signer;
  /** Default 'cades'. */
  profile?: CmsProfile;
  /** For RSA keys: PKCS#1 v1.5 (default) or RSASSA-PSS (MGF1 with the same hash, salt = hash length). */
  rsaScheme?: 'RSA-PKCS1' | 'RSA-PSS';
  /** Only used by profile 'pkcs7' (a CAdES signature never carries signing-time). */
  signingTime?: Date;
  /** RFC 3161 TSA to time-stamp the signature (B-T). Ignored when `timestamper` is given. */
  timestampUrl?: string;
  /** Time-stamp source (an in-process TSA, a remote one with custom transport ...). */
  timestamper?: Timestamper;
  /** Timeout for `timestampUrl` requests (default 10 s). */
  timestampTimeoutMs?: number;
}

export interface CreateCmsSignatureOptions extends CmsSignatureSetup {
  /** Digest of the signed bytes (the PDF ByteRange), computed with `hash`. */
  contentDigest: Uint8Array;
}

const httpTimestampers = new Map<string, Timestamper>();

function timestamperOf(setup: CmsSignatureSetup): Timestamper | null {
  if (setup.timestamper) return setup.timestamper;
  if (setup.timestampUrl === undefined) return null;
  const key = `${setup.timestampTimeoutMs ?? ''} ${setup.timestampUrl}`;
  let t = httpTimestampers.get(key);
  if (t === undefined) {
    t = createHttpTimestamper(setup.timestampUrl, setup.timestampTimeoutMs === undefined ? {} : { timeoutMs: setup.timestampTimeoutMs });
    if (httpTimestampers.size > 64) httpTimestampers.clear();
    httpTimestampers.set(key, t);
  }
  return t;
}

function checkSetup(setup: CmsSignatureSetup): void {
  if (!isCmsHash(setup.hash)) throw new SealError('ERR_ALG_UNSUPPORTED', `unsupported digest ${String(setup.hash)}`);
  const profile = setup.profile ?? 'cades';
  if (profile !== 'cades' && profile !== 'pkcs7') throw new SealError('ERR_INPUT_INVALID', `unknown CMS profile ${String(profile)}`);
  if (setup.signingTime !== undefined && Number.isNaN(setup.signingTime.getTime())) {
    throw new SealError('ERR_INPUT_INVALID', 'invalid signing time');
  }
}

function extraAttributes(setup: CmsSignatureSetup): Uint8Array[] {
  const { essAttribute } = signerParts(setup.signer, setup.hash);
  if ((setup.profile ?? 'cades') === 'cades') return [essAttribute];
  return setup.signingTime ? [attribute(OIDS.signingTime, x509Time(setup.signingTime))] : [];
}

/** A detached CMS SignedData (DER) over `contentDigest`. */
export async function createCmsSignature(options: CreateCmsSignatureOptions): Promise<Uint8Array> {
  checkSetup(options);
  const scheme = schemeFor(options.signer, options.rsaScheme);
  const timestamper = timestamperOf(options);
  return buildSignedData({
    signer: options.signer,
    hash: options.hash,
    scheme,
    eContentType: OIDS.data,
    contentDigest: options.contentDigest,
    extraSignedAttributes: extraAttributes(options),
    includeCertificates: true,
    ...(timestamper
      ? {
          unsignedAttributes: async (signature: Uint8Array) => {
            const token = await timestamper.timestamp(digest(options.hash, signature), options.hash);
            return [attribute(OIDS.signatureTimeStampToken, token)];
          },
        }
      : {}),
  });
}

/** Bytes added to a time-stamp token size estimate: serial, time and nonce lengths vary a little. */
const TOKEN_SLACK = 64;

/**
 * An upper bound of the DER length createCmsSignature will return for this setup: the real
 * structure with a maximum-length signature value (and, for B-T, a token as large as the
 * timestamper's estimate, which for a URL means one probe request). Size /Contents from it.
 */
export async function estimateCmsSize(setup: CmsSignatureSetup): Promise<number> {
  checkSetup(setup);
  const scheme = schemeFor(setup.signer, setup.rsaScheme);
  const timestamper = timestamperOf(setup);
  let tokenSize = 0;
  if (timestamper) tokenSize = (await timestamper.estimateTokenSize(setup.hash)) + TOKEN_SLACK;
  const cms = await buildSignedData({
    signer: setup.signer,
    hash: setup.hash,
    scheme,
    eContentType: OIDS.data,
    contentDigest: new Uint8Array(digest(setup.hash, new Uint8Array(0)).length),
    extraSignedAttributes: extraAttributes(setup),
    includeCertificates: true,
    dryRunSignature: new Uint8Array(maxSignatureLength(setup.signer)),
    ...(tokenSize > 0
      ? { unsignedAttributes: async () => [attribute(OIDS.signatureTimeStampToken, fakeToken(tokenSize))] }
      : {}),
  });
  return cms.length;
}

/** A DER SEQUENCE of exactly `size` bytes (size >= 4), standing in for a token when sizing. */
function fakeToken(size: number): Uint8Array {
  const header = size - 2 < 0x80 ? 2 : size - 3 < 0x100 ? 3 : size - 4 < 0x10000 ? 4 : 5;
  const len = size - header;
  const out = new Uint8Array(size);
  out[0] = 0x30;
  if (header === 2) out[1] = len;
  else if (header === 3) out.set([0x81, len], 1);
  else if (header === 4) out.set([0x82, len >> 8, len & 0xff], 1);
  else out.set([0x83, len >> 16, (len >> 8) & 0xff, len & 0xff], 1);
  return out;
}
