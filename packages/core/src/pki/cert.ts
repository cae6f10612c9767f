/**
 * Parsed X.509 certificate (pkijs underneath) with the facts path validation needs:
 * names, key identifiers, validity, basicConstraints, keyUsage, EKU, CRL and OCSP URLs.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SealError } from '../errors/index.js';

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

const NAME_LABELS: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'E',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

export interface CertInfo {
  readonly der: Uint8Array;
  readonly pkijs: pkijs.Certificate;
  /** RFC 4514-style string, most significant RDN last as stored (e.g. "CN=x, O=y, C=LU" in certificate order). */
  readonly subject: string;
  readonly issuer: string;
  /** Lower-case hex of the serial number's DER content bytes. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Uint8Array;
  /** Contents of the subjectPublicKey BIT STRING (what OCSP issuerKeyHash is computed over). */
  readonly publicKeyBits: Uint8Array;
  readonly subjectKeyId: string | null;
  readonly authorityKeyId: string | null;
  readonly isCA: boolean;
  readonly hasBasicConstraints: boolean;
  readonly pathLen: number | null;
  /** null when the keyUsage extension is absent (all usages allowed). */
  readonly keyUsage: ReadonlySet<KeyUsageName> | null;
  /** null when the EKU extension is absent. */
  readonly extKeyUsage: readonly string[] | null;
  readonly ekuCritical: boolean;
  readonly crlUrls: readonly string[];
  readonly ocspUrls: readonly string[];
  readonly selfIssued: boolean;
  /** sha256 of the DER, hex: identity of this exact certificate. */
  readonly fingerprint: string;
  /** Unknown critical extensions (fail path validation). */
  readonly unknownCritical: readonly string[];
}

const KNOWN_EXTENSIONS = new Set([
  '2.5.29.15', // keyUsage
  '2.5.29.19', // basicConstraints
  '2.5.29.37', // extKeyUsage
  '2.5.29.14',
  '2.5.29.35',
  '2.5.29.31',
  '2.5.29.32', // certificatePolicies (accepted, not enforced)
  '2.5.29.17',
  '2.5.29.18',
  '1.3.6.1.5.5.7.1.1',
  '1.3.6.1.5.5.7.1.3', // qcStatements
  '1.3.6.1.5.5.7.48.1.5', // ocsp-nocheck
  '2.5.29.9',
  '2.5.29.16',
]);

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => {
      const label = NAME_LABELS[tv.type] ?? tv.type;
      const v = tv.value as { valueBlock?: { value?: unknown } };
      const value = typeof v.valueBlock?.value === 'string' ? v.valueBlock.value : '#';
      return `${label}=${value}`;
    })
    .reverse()
    .join(', ');
}

/** Names equal: exact DER, or pkijs' RFC 5280-style comparison. */
export function namesEqual(a: pkijs.RelativeDistinguishedNames, b: pkijs.RelativeDistinguishedNames): boolean {
  const da = new Uint8Array(a.valueBeforeDecode ?? new ArrayBuffer(0));
  const db = new Uint8Array(b.valueBeforeDecode ?? new ArrayBuffer(0));
  if (da.length > 0 && da.length === db.length && Buffer.compare(da, db) === 0) return true;
  try {
    return a.isEqual(b);
  } catch {
    return false;
  }
}

function uriList(names: unknown): string[] {
  const out: string[] = [];
  const list = Array.isArray(names) ? names : [];
  for (const gn of list as pkijs.GeneralName[]) {
    if (gn.type === 6 && typeof gn.value === 'string') out.push(gn.value);
  }
  return out;
}

const cache = new Map<string, CertInfo>();

/** Parse a DER certificate; throws SealError ERR_CERT_INVALID on malformed input. */
export function parseCertificate(der: Uint8Array): CertInfo {
  const fingerprint = createHash('sha256').update(der).digest('hex');
  const hit = cache.get(fingerprint);
  if (hit) return hit;
  let cert: pkijs.Certificate;
  try {
    cert = pkijs.Certificate.fromBER(der);
  } catch (err) {
    throw new SealError('ERR_CERT_INVALID', 'malformed certificate', { cause: err });
  }
  // a signature BIT STRING has no unused bits (DER); anything else is a re-encoded certificate
  if (cert.signatureValue.valueBlock.unusedBits !== 0) throw new SealError('ERR_CERT_INVALID', 'malformed certificate signature');
  let isCA = false;
  let hasBC = false;
  let pathLen: number | null = null;
  let keyUsage: Set<KeyUsageName> | null = null;
  let eku: string[] | null = null;
  let ekuCritical = false;
  let ski: string | null = null;
  let aki: string | null = null;
  let crlUrls: string[] = [];
  let ocspUrls: string[] = [];
  const unknownCritical: string[] = [];
  for (const ext of cert.extensions ?? []) {
    const pv = ext.parsedValue as unknown;
    try {
      switch (ext.extnID) {
        case '2.5.29.19': {
          hasBC = true;
          const bc = pv as pkijs.BasicConstraints;
          isCA = bc.cA === true;
          if (bc.pathLenConstraint !== undefined) {
            pathLen = typeof bc.pathLenConstraint === 'number' ? bc.pathLenConstraint : bc.pathLenConstraint.valueBlock.valueDec;
          }
          break;
        }
        case '2.5.29.15': {
          const bits = pv as asn1js.BitString;
          const bytes = bits.valueBlock.valueHexView;
          keyUsage = new Set();
          KEY_USAGE_BITS.forEach((nm, i) => {
            const byte = bytes[i >> 3] ?? 0;
            if (byte & (0x80 >> (i & 7))) keyUsage!.add(nm);
          });
          break;
        }
        case '2.5.29.37':
          eku = [...(pv as pkijs.ExtKeyUsage).keyPurposes];
          ekuCritical = ext.critical;
          break;
        case '2.5.29.14':
          ski = bytesToHex((pv as asn1js.OctetString).valueBlock.valueHexView);
          break;
        case '2.5.29.35': {
          const a = pv as pkijs.AuthorityKeyIdentifier;
          if (a.keyIdentifier) aki = bytesToHex(a.keyIdentifier.valueBlock.valueHexView);
          break;
        }
        case '2.5.29.31':
          for (const dp of (pv as pkijs.CRLDistributionPoints).distributionPoints) {
            if (Array.isArray(dp.distributionPoint)) crlUrls = crlUrls.concat(uriList(dp.distributionPoint));
          }
          break;
        case '1.3.6.1.5.5.7.1.1':
          for (const ad of (pv as pkijs.InfoAccess).accessDescriptions) {
            if (ad.accessMethod === '1.3.6.1.5.5.7.48.1') ocspUrls = ocspUrls.concat(uriList([ad.accessLocation]));
          }
          break;
        default:
          if (ext.critical && !KNOWN_EXTENSIONS.has(ext.extnID)) unknownCritical.push(ext.extnID);
      }
    } catch (err) {
      throw new SealError('ERR_CERT_INVALID', `malformed certificate extension ${ext.extnID}`, { cause: err });
    }
  }
  const spki = new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER());
  const info: CertInfo = {
    der: new Uint8Array(der),
    pkijs: cert,
    subject: nameToString(cert.subject),
    issuer: nameToString(cert.issuer),
    serialNumber: bytesToHex(cert.serialNumber.valueBlock.valueHexView),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    spki,
    publicKeyBits: cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
    subjectKeyId: ski,
    authorityKeyId: aki,
    isCA,
    hasBasicConstraints: hasBC,
    pathLen,
    keyUsage,
    extKeyUsage: eku,
    ekuCritical,
    crlUrls,
    ocspUrls,
    selfIssued: namesEqual(cert.subject, cert.issuer),
    fingerprint,
    unknownCritical,
  };
  if (cache.size > 2000) cache.clear();
  cache.set(fingerprint, info);
  return info;
}

/** Split PEM text (one or more CERTIFICATE blocks) or a single DER certificate into DER buffers. */
export function certificatesFromPemOrDer(input: Uint8Array | string): Uint8Array[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const out: Uint8Array[] = [];
    const re = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;
    for (const m of text.matchAll(re)) out.push(new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
    if (out.length === 0) throw new SealError('ERR_CERT_INVALID', 'no certificate found in PEM input');
    return out;
  }
  if (typeof input === 'string') throw new SealError('ERR_CERT_INVALID', 'no certificate found in input');
  return [new Uint8Array(input)];
}
