/**
 * The few X.509 certificate fields the signing side needs, read straight from the DER so that the
 * exact issuer Name and serialNumber encodings can be copied into CMS (IssuerAndSerialNumber,
 * ESSCertIDv2). Not a validator: chain and policy checks live in pki/.
 */
import { SealError } from '../errors/index.js';
import {
  type DerNode,
  TAG,
  children,
  childrenOf,
  contentOf,
  decodeBoolean,
  decodeOid,
  decodeTime,
  encodedOf,
  expectTag,
  octetStringValue,
  parseDer,
} from './der.js';

export interface CertificateInfo {
  /** The whole certificate DER. */
  readonly der: Uint8Array;
  /** The serialNumber INTEGER TLV, as encoded. */
  readonly serialNumberDer: Uint8Array;
  /** Serial number as lower-case hex of the content octets. */
  readonly serialHex: string;
  /** The issuer Name TLV, as encoded. */
  readonly issuerDer: Uint8Array;
  /** The subject Name TLV, as encoded. */
  readonly subjectDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo TLV. */
  readonly spkiDer: Uint8Array;
  /** Extended key usage OIDs, or null when the extension is absent. */
  readonly extKeyUsage: readonly string[] | null;
  readonly extKeyUsageCritical: boolean;
}

const OID_EXT_KEY_USAGE = '2.5.29.37';

/** Parse the fields above; any malformation is ERR_CERT_INVALID. */
export function parseCertificateInfo(der: Uint8Array): CertificateInfo {
  try {
    const cert = parseDer(der);
    const [tbsNode] = childrenOf(cert, TAG.SEQUENCE, 'Certificate');
    const tbs = childrenOf(tbsNode, TAG.SEQUENCE, 'TBSCertificate');
    let i = 0;
    if (tbs[0]?.tag === 0xa0) i++; // [0] EXPLICIT version
    const serial = expectTag(tbs[i++], TAG.INTEGER, 'serialNumber');
    expectTag(tbs[i++], TAG.SEQUENCE, 'signature');
    const issuer = expectTag(tbs[i++], TAG.SEQUENCE, 'issuer');
    const validity = childrenOf(tbs[i++], TAG.SEQUENCE, 'validity');
    const subject = expectTag(tbs[i++], TAG.SEQUENCE, 'subject');
    const spki = expectTag(tbs[i++], TAG.SEQUENCE, 'subjectPublicKeyInfo');
    if (validity.length !== 2) throw new SealError('ERR_ASN1_INVALID', 'bad validity');
    let extKeyUsage: string[] | null = null;
    let extKeyUsageCritical = false;
    for (; i < tbs.length; i++) {
      const node = tbs[i]!;
      if (node.tag !== 0xa3) continue;
      const exts = childrenOf(children(node)[0], TAG.SEQUENCE, 'extensions');
      for (const ext of exts) {
        const parts = childrenOf(ext, TAG.SEQUENCE, 'extension');
        if (decodeOid(parts[0]!) !== OID_EXT_KEY_USAGE) continue;
        const critical = parts.length === 3 && decodeBoolean(parts[1]!);
        const value = octetStringValue(expectTag(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue'));
        extKeyUsage = children(parseDer(value)).map((n: DerNode) => decodeOid(n));
        extKeyUsageCritical = critical;
      }
    }
    return {
      der,
      serialNumberDer: encodedOf(serial),
      serialHex: Buffer.from(contentOf(serial)).toString('hex'),
      issuerDer: encodedOf(issuer),
      subjectDer: encodedOf(subject),
      notBefore: decodeTime(validity[0]!),
      notAfter: decodeTime(validity[1]!),
      spkiDer: encodedOf(spki),
      extKeyUsage,
      extKeyUsageCritical,
    };
  } catch (err) {
    throw new SealError('ERR_CERT_INVALID', 'certificate is not valid DER X.509', { cause: err });
  }
}
