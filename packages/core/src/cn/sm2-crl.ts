/**
 * Revocation for SM2 certificates: issue X.509 CRLs signed SM2-with-SM3 by an SM2 Signer (for the
 * registry), parse CRLs, and look a certificate up in CRLs whose signature verifies with its
 * issuer's key (SM2, RSA or ECDSA) and that are current at the validation time.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { SealError } from '../errors/index.js';
import type { RevocationSummary } from '../report/index.js';
import type { Signer } from '../signer/signer.js';
import {
  type DerNode,
  STRICT_TREE,
  TAG,
  bitStringBytes,
  bytesEqual,
  children,
  contentOf,
  ctx,
  enumerated,
  decodeBitString,
  decodeOid,
  decodeTime,
  encodedOf,
  expectTag,
  fieldsOf,
  fromHex,
  integer,
  octetString,
  oid,
  parseDer,
  seq,
  toHex,
  x509Time,
} from '../asn1/der.js';
import { parseCertificate, type ParsedCertificate } from './sm2-cert.js';
import { OID_SM2_WITH_SM3, sm2Verify } from './sm2.js';
import { CRL_REASONS } from '../pki/crl.js';

const OID_REASON_CODE = '2.5.29.21';
const OID_CRL_NUMBER = '2.5.29.20';

// RFC 5280 reason codes: one table for every CRL this project reads or writes.
export { CRL_REASONS };
export type CrlReason = (typeof CRL_REASONS)[number];

export interface RevokedEntry {
  /** Serial number, lower-case hex as in ParsedCertificate.serialNumber. */
  serialNumber: string;
  revocationDate: Date;
  reason: CrlReason | null;
}

export interface ParsedCrl {
  der: Uint8Array;
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  issuerDer: Uint8Array;
  thisUpdate: Date;
  nextUpdate: Date | null;
  revoked: RevokedEntry[];
}

function serialHex(node: DerNode): string {
  const n = expectTag(node, TAG.INTEGER, 'serialNumber');
  return toHex(contentOf(n)).toLowerCase();
}

export function parseCrl(der: Uint8Array): ParsedCrl {
  try {
    const top = fieldsOf(parseDer(der, STRICT_TREE), 'CertificateList', 3, 3);
    const tbs = fieldsOf(top[0], 'TBSCertList', 3);
    let i = 0;
    if (tbs[i]?.tag === TAG.INTEGER) i++;
    i++; // signature AlgorithmIdentifier
    const issuerDer = encodedOf(expectTag(tbs[i++], TAG.SEQUENCE, 'issuer'));
    const thisUpdate = decodeTime(tbs[i++], 'thisUpdate');
    let nextUpdate: Date | null = null;
    if (tbs[i] !== undefined && (tbs[i]!.tag === TAG.UTC_TIME || tbs[i]!.tag === TAG.GENERALIZED_TIME)) nextUpdate = decodeTime(tbs[i++], 'nextUpdate');
    const revoked: RevokedEntry[] = [];
    if (tbs[i]?.tag === TAG.SEQUENCE) {
      for (const e of children(tbs[i]!)) {
        const f = fieldsOf(e, 'revokedCertificate', 2, 3);
        let reason: CrlReason | null = null;
        if (f[2] !== undefined) {
          for (const ext of fieldsOf(f[2], 'crlEntryExtensions')) {
            const x = fieldsOf(ext, 'Extension', 2, 3);
            if (decodeOid(x[0], 'extnID') === OID_REASON_CODE) {
              const v = parseDer(contentOf(expectTag(x[x.length - 1], TAG.OCTET_STRING, 'extnValue')), STRICT_TREE);
              const code = contentOf(expectTag(v, 0x0a, 'reasonCode'))[0] ?? 0;
              reason = CRL_REASONS[code] ?? 'unspecified';
            }
          }
        }
        revoked.push({ serialNumber: serialHex(f[0]!), revocationDate: decodeTime(f[1], 'revocationDate'), reason });
      }
    }
    const sigAlg = fieldsOf(top[1], 'signatureAlgorithm', 1, 2);
    return {
      der,
      tbs: encodedOf(top[0]!),
      signatureAlgorithm: decodeOid(sigAlg[0], 'signatureAlgorithm'),
      signature: decodeBitString(top[2], 'signatureValue'),
      issuerDer,
      thisUpdate,
      nextUpdate,
      revoked,
    };
  } catch (err) {
    if (err instanceof SealError && err.code !== 'ERR_ASN1_INVALID') throw err;
    throw new SealError('ERR_INPUT_INVALID', 'malformed CRL');
  }
}

const NODE_SIG_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

export function verifyCrlSignature(crl: ParsedCrl, issuer: ParsedCertificate): boolean {
  if (!bytesEqual(crl.issuerDer, issuer.subjectDer)) return false;
  if (crl.signatureAlgorithm === OID_SM2_WITH_SM3) return issuer.sm2PublicKey !== null && sm2Verify(crl.tbs, crl.signature, issuer.sm2PublicKey);
  const hash = NODE_SIG_HASH[crl.signatureAlgorithm];
  if (hash === undefined) return false;
  try {
    return cryptoVerify(hash, crl.tbs, createPublicKey({ key: Buffer.from(issuer.spki), format: 'der', type: 'spki' }), crl.signature);
  } catch {
    return false;
  }
}

/**
 * Revocation status of `cert` (issued by `issuer`) at `at` from the given CRLs. Only CRLs by that
 * issuer, with a verifying signature, issued by `at` and not past nextUpdate count; none: unknown.
 */
export function checkCrlRevocation(cert: ParsedCertificate, issuer: ParsedCertificate, crls: readonly (Uint8Array | ParsedCrl)[], at: Date): RevocationSummary {
  let sawCurrent = false;
  for (const c of crls) {
    let crl: ParsedCrl;
    try {
      crl = c instanceof Uint8Array ? parseCrl(c) : c;
    } catch {
      continue;
    }
    if (!bytesEqual(crl.issuerDer, cert.issuerDer) || !verifyCrlSignature(crl, issuer)) continue;
    const entry = crl.revoked.find((e) => e.serialNumber === cert.serialNumber || e.serialNumber.replace(/^0+/, '') === cert.serialNumber.replace(/^0+/, ''));
    if (entry !== undefined && entry.revocationDate.getTime() <= Math.max(at.getTime(), crl.thisUpdate.getTime())) {
      return { status: 'revoked', reason: entry.reason, revokedAt: entry.revocationDate.toISOString(), source: 'crl' };
    }
    const current = crl.thisUpdate.getTime() <= at.getTime() && (crl.nextUpdate === null || at.getTime() <= crl.nextUpdate.getTime());
    if (current) sawCurrent = true;
  }
  return sawCurrent ? { status: 'good', reason: null, revokedAt: null, source: 'crl' } : { status: 'unknown', reason: null, revokedAt: null, source: null };
}

export interface IssueSm2CrlOptions {
  /** The CA's SM2 signer; certificateChain[0] is the CA certificate. */
  issuer: Signer;
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: readonly { serialNumber: Uint8Array | string; revocationDate: Date; reason?: CrlReason }[];
  crlNumber?: bigint | number;
}

/** Issue a v2 CRL signed SM2-with-SM3. Returns DER. */
export async function issueSm2Crl(opts: IssueSm2CrlOptions): Promise<Uint8Array> {
  if (opts.issuer.keyType !== 'SM2') throw new SealError('ERR_KEY_INVALID', 'an SM2 CRL needs an SM2 signer');
  const caDer = opts.issuer.certificateChain[0];
  if (caDer === undefined) throw new SealError('ERR_CERT_INVALID', 'the CRL signer has no certificate');
  if (opts.crlNumber !== undefined && BigInt(opts.crlNumber) < 0n) throw new SealError('ERR_INPUT_INVALID', 'the CRL number is non-negative');
  const ca = parseCertificate(caDer);
  const sigAlg = seq(oid(OID_SM2_WITH_SM3));
  const entries = opts.revoked.map((r) => {
    const serial = typeof r.serialNumber === 'string' ? fromHex(r.serialNumber.length % 2 === 1 ? `0${r.serialNumber}` : r.serialNumber) : r.serialNumber;
    const ext = r.reason === undefined
      ? []
      : [seq(seq(oid(OID_REASON_CODE), octetString(enumerated(CRL_REASONS.indexOf(r.reason)))))];
    return seq(integer(serial), x509Time(r.revocationDate), ...ext);
  });
  const tbs = seq(
    integer(1),
    sigAlg,
    ca.subjectDer,
    x509Time(opts.thisUpdate),
    x509Time(opts.nextUpdate),
    ...(entries.length > 0 ? [seq(...entries)] : []),
    ctx(0, seq(seq(oid(OID_CRL_NUMBER), octetString(integer(opts.crlNumber ?? 1))))),
  );
  const signature = await opts.issuer.sign(tbs, { scheme: 'SM2', hash: 'SM3' });
  return seq(tbs, sigAlg, bitStringBytes(signature));
}
