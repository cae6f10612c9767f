/**
 * RFC 3161 time-stamp token verification: the token is a CMS SignedData over a TSTInfo; the
 * imprint must cover the given data (a signature value, or a document's byte ranges), the TSA
 * certificate must carry EKU timeStamping (RFC 3161 requires it critical and alone) and chain to
 * a trust anchor at genTime.
 */
import { timingSafeEqual } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Indication, SubIndication } from '../report/index.js';
import { digestNameForOid, hashBytes, AlgorithmPolicyError, WEAK_DIGESTS, type DigestName } from '../pki/algorithms.js';
import { EKU } from '../pki/cert.js';
import { validateCertificatePath, type PathValidationResult, type RevocationSources } from '../pki/validate-path.js';
import { OID, verifyCms, type CmsVerifyResult } from '../cms/verify.js';

export interface TimestampVerifyOptions {
  /** The time-stamped data, as chunks (e.g. a signature value, or the byte ranges of a document time-stamp). */
  data?: readonly Uint8Array[];
  /** Or a function giving the digest of the data for an algorithm (saves a pass over a big file). */
  dataDigest?: (alg: DigestName) => Uint8Array;
  trustAnchors?: readonly Uint8Array[];
  intermediates?: readonly Uint8Array[];
  revocation?: RevocationSources;
  revocationPolicy?: 'require' | 'if-available' | 'off';
  /** Validate the TSA chain at this time instead of genTime (e.g. now, for an archive time-stamp's own check). */
  at?: Date;
}

export interface TimestampVerifyResult {
  indication: Indication;
  subIndication: SubIndication | null;
  /** Token parsed and its CMS signature is valid (maths). */
  valid: boolean;
  /** The message imprint matches the data. */
  imprintMatches: boolean;
  genTime: Date | null;
  serialNumber: string | null;
  imprintAlgorithm: DigestName | null;
  tsa: string | null;
  /** TSA certificate chains to a trust anchor (with EKU timeStamping). */
  trusted: boolean;
  cms: CmsVerifyResult;
  path: PathValidationResult | null;
  errors: string[];
}

/** Verify a DER TimeStampToken (ContentInfo). Never throws on malformed input. */
export async function verifyTimestampToken(der: Uint8Array, opts: TimestampVerifyOptions = {}): Promise<TimestampVerifyResult> {
  const cms = verifyCms(der, { forbidEncapsulatedWithDetached: false });
  const r: TimestampVerifyResult = {
    indication: cms.indication,
    subIndication: cms.subIndication,
    valid: false,
    imprintMatches: false,
    genTime: null,
    serialNumber: null,
    imprintAlgorithm: null,
    tsa: cms.signerCertificate?.subject ?? null,
    trusted: false,
    cms,
    path: null,
    errors: [...cms.errors],
  };
  const fail = (ind: Indication, sub: SubIndication, msg: string) => {
    if (r.indication !== 'TOTAL_FAILED') {
      r.indication = ind;
      r.subIndication = sub;
    }
    r.errors.push(msg);
    return r;
  };
  if (!cms.parsed) return r;
  if (cms.eContentType !== OID.tstInfo || !cms.eContent) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'not a time-stamp token (no TSTInfo)');
  let tst: pkijs.TSTInfo;
  try {
    tst = pkijs.TSTInfo.fromBER(cms.eContent);
  } catch {
    return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'malformed TSTInfo');
  }
  r.genTime = tst.genTime;
  r.serialNumber = Buffer.from(tst.serialNumber.valueBlock.valueHexView).toString('hex');
  r.valid = cms.valid && cms.intact;
  // imprint
  try {
    const alg = digestNameForOid(tst.messageImprint.hashAlgorithm.algorithmId);
    r.imprintAlgorithm = alg;
    const expected = new Uint8Array(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
    if (opts.data || opts.dataDigest) {
      const actual = opts.dataDigest ? opts.dataDigest(alg) : hashBytes(alg, opts.data!);
      r.imprintMatches = expected.length === actual.length && timingSafeEqual(expected, actual);
      if (!r.imprintMatches) return fail('TOTAL_FAILED', 'HASH_FAILURE', 'the time-stamp imprint does not match the time-stamped data');
    }
    if (WEAK_DIGESTS.has(alg)) return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', `weak imprint digest ${alg}`);
  } catch (err) {
    if (err instanceof AlgorithmPolicyError) return fail('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', err.message);
    return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'malformed message imprint');
  }
  if (cms.indication !== 'TOTAL_PASSED') return r;
  const tsaCert = cms.signerCertificate!;
  if (!(tsaCert.extKeyUsage ?? []).includes(EKU.timeStamping)) return fail('INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE', 'TSA certificate lacks EKU timeStamping');
  if (!tsaCert.ekuCritical) r.errors.push('warning: TSA certificate EKU is not critical (RFC 3161)');
  const path = await validateCertificatePath(tsaCert.der, {
    intermediates: [...cms.certificates, ...(opts.intermediates ?? [])],
    trustAnchors: opts.trustAnchors ?? [],
    at: opts.at ?? tst.genTime,
    timeProven: true,
    requiredKeyUsage: ['digitalSignature', 'nonRepudiation'],
    requiredEku: EKU.timeStamping,
    revocation: {
      crls: [...cms.crls, ...(opts.revocation?.crls ?? [])],
      ocsps: [...cms.ocsps, ...(opts.revocation?.ocsps ?? [])],
      ...(opts.revocation?.registry ? { registry: opts.revocation.registry } : {}),
      ...(opts.revocation?.fetcher ? { fetcher: opts.revocation.fetcher } : {}),
    },
    revocationPolicy: opts.revocationPolicy ?? 'if-available',
  });
  r.path = path;
  r.trusted = path.trusted;
  // a TSA certificate that is not valid at genTime makes the time unprovable, not the document forged
  r.indication = path.indication === 'TOTAL_FAILED' && path.subIndication !== 'REVOKED' ? 'INDETERMINATE' : path.indication;
  r.subIndication = path.subIndication;
  r.errors.push(...path.errors.map((e) => `TSA: ${e}`));
  return r;
}

/** Read genTime and imprint without verifying anything (for reports of broken tokens). */
export function peekTimestamp(der: Uint8Array): { genTime: Date; imprint: Uint8Array } | null {
  try {
    const ci = pkijs.ContentInfo.fromBER(der);
    const sd = new pkijs.SignedData({ schema: ci.content });
    const ec = sd.encapContentInfo.eContent;
    if (!ec) return null;
    const tst = pkijs.TSTInfo.fromBER((ec as asn1js.OctetString).valueBlock.valueHexView);
    return { genTime: tst.genTime, imprint: new Uint8Array(tst.messageImprint.hashedMessage.valueBlock.valueHexView) };
  } catch {
    return null;
  }
}
