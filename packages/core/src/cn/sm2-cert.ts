/**
 * SM2 certificates: parse, check signatures (SM2-with-SM3 1.2.156.10197.1.501, plus RSA/ECDSA
 * issuers through node:crypto), build a path to trust anchors, and issue new certificates
 * signed by an SM2 Signer (for the registry).
 */
import 'reflect-metadata';
import { createHash, createPublicKey, randomBytes, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SealError } from '../errors/index.js';
import type { Signer } from '../signer/signer.js';
import {
  STRICT_TREE,
  bitStringBytes,
  bytesEqual,
  ctx,
  decodeBitString,
  decodeOid,
  encodedOf,
  fieldsOf,
  integer,
  oid,
  parseDer,
  seq,
  x509Time,
} from '../asn1/der.js';
import { OID_SM2_WITH_SM3, sm2PublicPointFromSpki, sm2Verify } from './sm2.js';
import { buildSm2Spki } from './sm2-spki.js';

export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly spki: Uint8Array;
  /** Uncompressed SM2 point when the key is SM2, else null. */
  readonly sm2PublicKey: Uint8Array | null;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** basicConstraints cA. */
  readonly isCa: boolean;
  /** keyUsage bits present? undefined when the extension is absent. */
  readonly keyCertSign: boolean | undefined;
}

function certError(message: string): SealError {
  return new SealError('ERR_CERT_INVALID', message);
}

/** Parse a DER (or PEM) X.509 certificate; any key type, SM2 keys get their point extracted. */
export function parseCertificate(input: Uint8Array | string): ParsedCertificate {
  let der: Uint8Array;
  if (typeof input === 'string') {
    const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(input);
    if (m === null) throw certError('no PEM certificate found');
    der = new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  } else {
    der = input;
  }
  try {
    const top = fieldsOf(parseDer(der, STRICT_TREE), 'Certificate', 3, 3);
    const tbsFields = fieldsOf(top[0], 'TBSCertificate', 6);
    const off = tbsFields[0]!.tag === 0xa0 ? 1 : 0;
    const issuerNode = tbsFields[off + 2]!;
    const subjectNode = tbsFields[off + 4]!;
    const spkiNode = tbsFields[off + 5]!;
    const sigAlg = fieldsOf(top[1], 'signatureAlgorithm', 1, 2);
    const signatureAlgorithm = decodeOid(sigAlg[0], 'signatureAlgorithm');
    const signature = decodeBitString(top[2], 'signatureValue');
    let sm2PublicKey: Uint8Array | null = null;
    try {
      sm2PublicKey = sm2PublicPointFromSpki(encodedOf(spkiNode));
    } catch (err) {
      if (!(err instanceof SealError) || err.code !== 'ERR_ALG_UNSUPPORTED') throw err;
    }
    const cert = new x509.X509Certificate(Uint8Array.from(der));
    const bc = cert.getExtension(x509.BasicConstraintsExtension);
    const ku = cert.getExtension(x509.KeyUsagesExtension);
    return {
      der,
      tbs: encodedOf(top[0]!),
      signatureAlgorithm,
      signature,
      spki: encodedOf(spkiNode),
      sm2PublicKey,
      subject: cert.subject,
      issuer: cert.issuer,
      subjectDer: encodedOf(subjectNode),
      issuerDer: encodedOf(issuerNode),
      serialNumber: cert.serialNumber.toLowerCase(),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      isCa: bc?.ca === true,
      keyCertSign: ku === null ? undefined : (ku.usages & x509.KeyUsageFlags.keyCertSign) !== 0,
    };
  } catch (err) {
    if (err instanceof SealError && err.code !== 'ERR_ASN1_INVALID') throw err;
    throw certError('malformed certificate');
  }
}

const NODE_SIG_ALGS: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** Does `issuer`'s key verify `cert`'s signature? False (never throws) for any failure. */
export function verifyCertificateSignature(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (cert.signatureAlgorithm === OID_SM2_WITH_SM3) {
    if (issuer.sm2PublicKey === null) return false;
    return sm2Verify(cert.tbs, cert.signature, issuer.sm2PublicKey);
  }
  const hash = NODE_SIG_ALGS[cert.signatureAlgorithm];
  if (hash === undefined) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(issuer.spki), format: 'der', type: 'spki' });
    return cryptoVerify(hash, cert.tbs, key, cert.signature);
  } catch {
    return false;
  }
}

export interface ChainResult {
  /** Path from the certificate to an anchor was found and every link verified. */
  trusted: boolean;
  /** The chain found, leaf first (may end short of an anchor). */
  chain: ParsedCertificate[];
  errors: string[];
}

/**
 * Build and check a path from `leaf` through `intermediates` to one of `anchors`, at `at`.
 * Every issuer must be a CA (basicConstraints cA, and keyCertSign when keyUsage is present);
 * no rule is relaxed for test PKIs that lack those extensions.
 */
export function buildCertificatePath(
  leaf: ParsedCertificate,
  intermediates: readonly ParsedCertificate[],
  anchors: readonly ParsedCertificate[],
  at: Date,
): ChainResult {
  const chain: ParsedCertificate[] = [leaf];
  const errors: string[] = [];
  const timeOk = (c: ParsedCertificate): boolean => c.notBefore.getTime() <= at.getTime() && at.getTime() <= c.notAfter.getTime();
  let current = leaf;
  for (let depth = 0; depth < 8; depth++) {
    if (!timeOk(current)) errors.push(`certificate ${current.subject} is not valid at ${at.toISOString()}`);
    if (anchors.some((a) => bytesEqual(a.der, current.der))) {
      return { trusted: errors.length === 0, chain, errors };
    }
    const pool = [...anchors, ...intermediates];
    const issuer = pool.find((c) => bytesEqual(c.subjectDer, current.issuerDer) && verifyCertificateSignature(current, c));
    if (issuer === undefined) {
      errors.push(`no verified issuer found for ${current.subject}`);
      return { trusted: false, chain, errors };
    }
    if (!issuer.isCa || issuer.keyCertSign === false) {
      errors.push(`issuer ${issuer.subject} is not a CA (basicConstraints/keyUsage)`);
      return { trusted: false, chain: [...chain, issuer], errors };
    }
    if (bytesEqual(issuer.der, current.der)) {
      errors.push(`self-signed ${current.subject} is not a trust anchor`);
      return { trusted: false, chain, errors };
    }
    chain.push(issuer);
    current = issuer;
  }
  errors.push('certificate path too long');
  return { trusted: false, chain, errors };
}

// ---------- issuing ----------

export interface IssueSm2CertificateOptions {
  /** Subject DN in RFC 4514 form, e.g. 'CN=Agency A seal, O=Agency A, C=CN'. */
  subject: string;
  /** The subject's SM2 public key: a KeyObject, SPKI DER or the uncompressed point. */
  publicKey: KeyObject | Uint8Array;
  /** The issuer's SM2 signer; its certificateChain[0] is the issuer certificate. Empty chain = self-signed. */
  issuer: Signer;
  notBefore: Date;
  notAfter: Date;
  /** Serial number bytes (positive); random 16 bytes by default. */
  serialNumber?: Uint8Array;
  /** CA certificate (basicConstraints cA, keyCertSign + cRLSign); default false (digitalSignature + nonRepudiation). */
  ca?: boolean;
  pathLength?: number;
  /** Extra extensions (DER of Extension) appended as given. */
  extraExtensions?: readonly Uint8Array[];
}

function spkiOf(pk: KeyObject | Uint8Array): Uint8Array {
  if (pk instanceof Uint8Array) {
    if (pk.length === 65 && pk[0] === 0x04) return buildSm2Spki(pk);
    sm2PublicPointFromSpki(pk);
    return pk;
  }
  const pub = pk.type === 'public' ? pk : createPublicKey(pk);
  const der = new Uint8Array(pub.export({ format: 'der', type: 'spki' }));
  return buildSm2Spki(sm2PublicPointFromSpki(der));
}

function keyId(point: Uint8Array): string {
  return createHash('sha1').update(point).digest('hex');
}

/** Issue an X.509 v3 certificate for an SM2 key, signed SM2-with-SM3 by `issuer`. Returns DER. */
export async function issueSm2Certificate(opts: IssueSm2CertificateOptions): Promise<Uint8Array> {
  if (opts.issuer.keyType !== 'SM2') throw new SealError('ERR_KEY_INVALID', 'the issuer of an SM2 certificate must be an SM2 signer');
  if (!(opts.notBefore.getTime() < opts.notAfter.getTime())) throw new SealError('ERR_INPUT_INVALID', 'notBefore must precede notAfter');
  const spki = spkiOf(opts.publicKey);
  const subjectPoint = sm2PublicPointFromSpki(spki);
  let subjectName: Uint8Array;
  try {
    subjectName = new Uint8Array(new x509.Name(opts.subject).toArrayBuffer());
  } catch {
    throw new SealError('ERR_INPUT_INVALID', 'bad subject name');
  }
  const issuerDer = opts.issuer.certificateChain[0];
  let issuerName = subjectName;
  let issuerPoint = subjectPoint;
  if (issuerDer !== undefined) {
    const ic = parseCertificate(issuerDer);
    if (ic.sm2PublicKey === null) throw new SealError('ERR_KEY_INVALID', 'issuer certificate has no SM2 key');
    issuerName = ic.subjectDer;
    issuerPoint = ic.sm2PublicKey;
  }
  const serial = opts.serialNumber ?? (() => {
    const b = randomBytes(16);
    b[0]! &= 0x7f;
    b[0]! |= 0x01;
    return new Uint8Array(b);
  })();
  const ca = opts.ca ?? false;
  const ext: Uint8Array[] = [
    new Uint8Array(new x509.BasicConstraintsExtension(ca, ca ? opts.pathLength : undefined, true).rawData),
    new Uint8Array(new x509.KeyUsagesExtension(
      ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
      true,
    ).rawData),
    new Uint8Array(new x509.SubjectKeyIdentifierExtension(keyId(subjectPoint)).rawData),
    new Uint8Array(new x509.AuthorityKeyIdentifierExtension(keyId(issuerPoint)).rawData),
    ...(opts.extraExtensions ?? []),
  ];
  const sigAlg = seq(oid(OID_SM2_WITH_SM3));
  const tbs = seq(
    ctx(0, integer(2)),
    integer(serial),
    sigAlg,
    issuerName,
    seq(x509Time(opts.notBefore), x509Time(opts.notAfter)),
    subjectName,
    spki,
    ctx(3, seq(...ext)),
  );
  const signature = await opts.issuer.sign(tbs, { scheme: 'SM2', hash: 'SM3' });
  return seq(tbs, sigAlg, bitStringBytes(signature));
}

export function certificateToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Every certificate in a PEM text (a bundle may hold several). */
export function parsePemCertificates(pem: string): ParsedCertificate[] {
  const out: ParsedCertificate[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) out.push(parseCertificate(m[0]));
  return out;
}

