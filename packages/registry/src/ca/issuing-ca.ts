/**
 * The registry's issuing CA: its certificate and a Signer over its key. Issues seal
 * certificates with @peculiar/x509, signing through the Signer (never key bytes): the x509
 * generator is handed a WebCrypto facade whose `sign` calls the Signer.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { AlgorithmUnsupportedError, OID_SM2_WITH_SM3, SealError, createSoftwareSigner, type HashAlgorithm, type SignRequest, type Signer } from '@seal/core';
import { ecdsaDerToRaw } from '@seal/core/asn1';

type WebCrypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.create>[1]>;
type SigningKey = Extract<Parameters<typeof x509.X509CertificateGenerator.create>[0], { signingKey: unknown }>['signingKey'];

x509.cryptoProvider.set(webcrypto as unknown as WebCrypto);

/** A Signer together with the certificate it signs as (issuing CA, OCSP responder, log key). */
export interface CertifiedSigner {
  signer: Signer;
  certificate: x509.X509Certificate;
  /** DER of the certificate. */
  der: Uint8Array;
}

/** How a caller names a signing identity: PEM files' contents, or a Signer whose chain holds the cert. */
export type SignerSource = { certPem: string; keyPem: string; keyPassword?: string } | { signer: Signer };

/** Read every certificate of a PEM bundle, in order. */
export function pemCertificates(pem: string): x509.X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new SealError('ERR_CERT_INVALID', 'no certificate in PEM');
  try {
    return blocks.map((b) => new x509.X509Certificate(b));
  } catch (err) {
    throw new SealError('ERR_CERT_INVALID', 'unreadable certificate', { cause: err });
  }
}

export function loadCertifiedSigner(source: SignerSource): CertifiedSigner & { chain: x509.X509Certificate[] } {
  if ('signer' in source) {
    const first = source.signer.certificateChain[0];
    if (first === undefined) throw new SealError('ERR_CERT_INVALID', 'the Signer carries no certificate');
    const chain = source.signer.certificateChain.map((d) => new x509.X509Certificate(d));
    return { signer: source.signer, certificate: chain[0] as x509.X509Certificate, der: first, chain };
  }
  const chain = pemCertificates(source.certPem);
  const certificate = chain[0] as x509.X509Certificate;
  let key;
  try {
    key = createPrivateKey(source.keyPassword === undefined ? source.keyPem : { key: source.keyPem, passphrase: source.keyPassword });
  } catch (err) {
    throw new SealError('ERR_KEY_PASSWORD', 'unreadable private key', { cause: err });
  }
  const ders = chain.map((c) => new Uint8Array(c.rawData));
  return { signer: createSoftwareSigner(key, ders), certificate, der: ders[0] as Uint8Array, chain };
}

/** Signature scheme and hash a Signer uses for certificates, CRLs, OCSP: SHA-384 on P-384/P-521, else SHA-256. */
export function signatureParams(signer: Signer): SignRequest {
  switch (signer.keyType) {
    case 'RSA':
      return { scheme: 'RSA-PKCS1', hash: 'SHA-256' };
    case 'EC':
      return { scheme: 'ECDSA', hash: signer.curve === 'P-384' || signer.curve === 'P-521' ? 'SHA-384' : 'SHA-256' };
    default:
      throw new AlgorithmUnsupportedError(`${signer.keyType} cannot sign certificates here`);
  }
}

const OID_BY_SIG: Record<string, string> = {
  'RSA-PKCS1/SHA-256': '1.2.840.113549.1.1.11',
  'RSA-PKCS1/SHA-384': '1.2.840.113549.1.1.12',
  'RSA-PKCS1/SHA-512': '1.2.840.113549.1.1.13',
  'ECDSA/SHA-256': '1.2.840.10045.4.3.2',
  'ECDSA/SHA-384': '1.2.840.10045.4.3.3',
  'ECDSA/SHA-512': '1.2.840.10045.4.3.4',
  // SM2-with-SM3 (GB/T 33560): the SM2 CA's CRLs (crl/build-crl.ts)
  'SM2/SM3': OID_SM2_WITH_SM3,
};

/** The AlgorithmIdentifier OID for a scheme/hash pair (parameters absent for ECDSA and SM2, NULL for RSA). */
export function signatureOid(req: SignRequest): string {
  const oid = OID_BY_SIG[`${req.scheme}/${req.hash}`];
  if (oid === undefined) throw new AlgorithmUnsupportedError(`no OID for ${req.scheme} with ${req.hash}`);
  return oid;
}

const EC_SIZE: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/** A WebCrypto facade whose `sign` goes to the Signer (ECDSA answers converted to raw r||s). */
function signerCrypto(signer: Signer, req: SignRequest): WebCrypto {
  const subtle = {
    sign: async (_alg: unknown, _key: unknown, data: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer> => {
      const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      let sig = await signer.sign(bytes, req);
      if (req.scheme === 'ECDSA') sig = ecdsaDerToRaw(sig, EC_SIZE[signer.curve ?? ''] ?? 32);
      return sig.slice().buffer;
    },
    digest: (alg: string, data: Uint8Array) => webcrypto.subtle.digest(alg, data),
  };
  return { subtle, getRandomValues: <T extends ArrayBufferView | null>(a: T) => webcrypto.getRandomValues(a as never) as T } as unknown as WebCrypto;
}

function webAlgorithm(signer: Signer, hash: HashAlgorithm): { name: string; hash: string; namedCurve?: string } {
  if (signer.keyType === 'EC') return { name: 'ECDSA', namedCurve: signer.curve ?? 'P-256', hash };
  return { name: 'RSASSA-PKCS1-v1_5', hash };
}

/** A fresh positive 128-bit serial as lower-case hex (first byte 0x01..0x7f: no sign byte, no leading zero). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] as number) & 0x7f) | 0x01;
  return b.toString('hex');
}

export interface IssueSealCertificateOptions {
  ca: CertifiedSigner;
  serial: string;
  subject: { commonName: string; organization: string; organizationalUnit?: string };
  publicKeySpki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  crlUrl: string;
  ocspUrl: string;
  caIssuersUrl?: string;
}

/** Issue a seal certificate: keyUsage digitalSignature + nonRepudiation, CRL DP and OCSP AIA. */
export async function issueSealCertificate(o: IssueSealCertificateOptions): Promise<x509.X509Certificate> {
  const req = signatureParams(o.ca.signer);
  const spki = o.publicKeySpki.slice().buffer;
  const ski = await new x509.PublicKey(spki).getKeyIdentifier('SHA-1');
  const caSki = o.ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const name: x509.JsonName = [{ CN: [o.subject.commonName] }, { O: [o.subject.organization] }];
  if (o.subject.organizationalUnit) name.push({ OU: [o.subject.organizationalUnit] });
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
    new x509.SubjectKeyIdentifierExtension(Buffer.from(ski).toString('hex')),
    new x509.CRLDistributionPointsExtension([o.crlUrl]),
    new x509.AuthorityInfoAccessExtension({ ocsp: [o.ocspUrl], ...(o.caIssuersUrl ? { caIssuers: [o.caIssuersUrl] } : {}) }),
  ];
  if (caSki) extensions.push(new x509.AuthorityKeyIdentifierExtension(caSki));
  const signingKey = { algorithm: webAlgorithm(o.ca.signer, req.hash), type: 'private', extractable: false, usages: ['sign'] } as unknown as SigningKey;
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: o.serial,
      subject: new x509.Name(name),
      issuer: o.ca.certificate.subjectName,
      notBefore: o.notBefore,
      notAfter: o.notAfter,
      publicKey: spki,
      signingKey,
      signingAlgorithm: webAlgorithm(o.ca.signer, req.hash),
      extensions,
    },
    signerCrypto(o.ca.signer, req),
  );
}
