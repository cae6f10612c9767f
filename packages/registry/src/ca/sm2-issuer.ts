/**
 * The registry's SM2 side (issue 9): an SM2 issuing CA that certifies SM2 seal keys
 * (issueSm2Certificate, SM2-with-SM3) and the seal maker that makes the GB/T 38540 v4 SES_Seal
 * of every SM2 seal (maker = this CA's seal-maker certificate; picture, validity, the seal
 * certificate in the cert list). The registry signs this CA's CRLs and OCSP responses with `ca` too
 * (crl/build-crl.ts, ocsp/ocsp.ts); seal certificates name them in their CRL distribution point and
 * authorityInfoAccess.
 *
 *   const sm2 = loadSm2Issuer({ ca: { certPem, keyPem }, sealMaker: { certPem, keyPem }, id: 'sm2-ca' });
 *   const certDer = await sm2.issueCertificate({ subject, publicKey, serial, notBefore, notAfter });
 *   const { ses, picture } = await sm2.makeSeal({ esId, name, agencyName, certDer, notBefore, notAfter });
 *
 * Keys are PEM (PKCS#8) loaded through core's loadSignerFromPem, which hands out the SM2 Signer
 * for SM2 keys; or Signers given directly (a token). Errors are SealErrors.
 */
import {
  AlgorithmUnsupportedError,
  SealError,
  createSesSeal,
  issueSm2Certificate,
  loadSignerFromPem,
  parseSm2Certificate,
  renderSealPng,
  sm2Verify,
  verifySm2CertificateSignature,
  type Signer,
} from '@seal/core';
import { randomBytes, type KeyObject } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export type Sm2SignerSource = { certPem: string; keyPem: string; keyPassword?: string } | { signer: Signer };

export interface Sm2IssuerOptions {
  /** The SM2 issuing CA (certificate first, then its issuers). */
  ca: Sm2SignerSource;
  /** The seal maker (制章者) signing SES_Seals; its certificate should be issued by the CA. */
  sealMaker: Sm2SignerSource;
  /** Names the CA in seal records (`caId`); default 'sm2-ca'. */
  id?: string;
  /** Font files for the seal picture (default: fonts-noto-cjk). */
  fontFiles?: string[];
}

export interface IssueSm2SealCertificateOptions {
  subject: { commonName: string; organization: string; organizationalUnit?: string };
  publicKey: KeyObject | Uint8Array;
  /** Lower-case hex, positive. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /**
   * Where relying parties fetch this CA's CRL (the registry passes `${baseUrl}/v1/crl/${id}`):
   * written as the certificate's CRL distribution point (RFC 5280 4.2.1.13).
   */
  crlUrl?: string;
  /**
   * The OCSP responder (the registry passes `${baseUrl}/v1/ocsp`, where this CA answers for its
   * certificates itself): written as the certificate's authorityInfoAccess id-ad-ocsp (RFC 5280 4.2.2.1).
   */
  ocspUrl?: string;
}

export interface MakeSm2SealOptions {
  /** Seal identifier (esID): ASCII. */
  esId: string;
  /** The seal's name (the request's name). */
  name: string;
  /** The agency, drawn on the upper arc of the picture. */
  agencyName: string;
  /** The seal certificate: the only one in the seal's cert list. */
  certDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** A picture supplied with the request (PNG); otherwise the standard round red seal is rendered. */
  picture?: Uint8Array | null;
}

function loadSm2Signer(source: Sm2SignerSource, role: string): Signer {
  const signer =
    'signer' in source
      ? source.signer
      : loadSignerFromPem({ certPem: source.certPem, keyPem: source.keyPem, ...(source.keyPassword !== undefined ? { keyPassword: source.keyPassword } : {}) });
  if (signer.keyType !== 'SM2') throw new AlgorithmUnsupportedError(`the ${role} must hold an SM2 key`);
  if (signer.certificateChain[0] === undefined) throw new SealError('ERR_CERT_INVALID', `the ${role} has no certificate`);
  return signer;
}

/** PNG size in pixels of a rendered seal picture; 42 mm (the default diameter) at ~240 dpi. */
const PICTURE_PX = 400;
const PICTURE_MM = 42;

function pngSizeMm(png: Uint8Array): { width: number; height: number } {
  // IHDR width/height, scaled so the longer side is 42 mm (the picture's physical size is not in a PNG reliably)
  if (png.length < 24 || png[12] !== 0x49 || png[13] !== 0x48 || png[14] !== 0x44 || png[15] !== 0x52) {
    throw new SealError('ERR_INPUT_INVALID', 'the seal picture must be a PNG');
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const w = view.getUint32(16);
  const h = view.getUint32(20);
  if (w === 0 || h === 0) throw new SealError('ERR_INPUT_INVALID', 'the seal picture has no size');
  const scale = PICTURE_MM / Math.max(w, h);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

export class Sm2Issuer {
  readonly id: string;
  readonly ca: Signer;
  readonly maker: Signer;
  readonly notBefore: Date;
  readonly notAfter: Date;

  constructor(private readonly options: Sm2IssuerOptions) {
    this.id = options.id ?? 'sm2-ca';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(this.id)) throw new SealError('ERR_INPUT_INVALID', 'bad SM2 CA id');
    this.ca = loadSm2Signer(options.ca, 'SM2 issuing CA');
    this.maker = loadSm2Signer(options.sealMaker, 'seal maker');
    const ca = parseSm2Certificate(this.ca.certificateChain[0]!);
    if (!ca.isCa || ca.keyCertSign === false) throw new SealError('ERR_CERT_INVALID', 'the SM2 issuing CA certificate is not a CA that may sign certificates');
    // the registry signs this CA's CRLs with its key: keyUsage, when present, must allow it
    const ku = new x509.X509Certificate(Uint8Array.from(ca.der)).getExtension(x509.KeyUsagesExtension);
    if (ku !== null && (ku.usages & x509.KeyUsageFlags.cRLSign) === 0) throw new SealError('ERR_CERT_INVALID', 'the SM2 issuing CA may not sign CRLs');
    const maker = parseSm2Certificate(this.maker.certificateChain[0]!);
    if (!verifySm2CertificateSignature(maker, ca)) throw new SealError('ERR_CERT_INVALID', 'the seal-maker certificate is not issued by the SM2 issuing CA');
    this.notBefore = ca.notBefore;
    this.notAfter = ca.notAfter;
  }

  /**
   * Fail closed before use (the registry calls it at open): the CA's and the seal maker's keys
   * match their certificates, by a probe signature each checked with the certificate's SM2 key.
   * ERR_KEY_MISMATCH otherwise.
   */
  async checkKeys(): Promise<void> {
    for (const [who, signer] of [['SM2 issuing CA', this.ca], ['seal maker', this.maker]] as const) {
      const point = parseSm2Certificate(signer.certificateChain[0]!).sm2PublicKey;
      const probe = new Uint8Array(randomBytes(32));
      const sig = await signer.sign(probe, { scheme: 'SM2', hash: 'SM3' });
      if (point === null || !sm2Verify(probe, sig, point)) throw new SealError('ERR_KEY_MISMATCH', `the ${who} key does not match its certificate`);
    }
  }

  /** The CA's chain (DER): the CA certificate, then its issuers. */
  get chain(): readonly Uint8Array[] {
    return this.ca.certificateChain;
  }

  /** Issue an SM2 seal certificate (digitalSignature + nonRepudiation, CRL DP and OCSP AIA if given), signed SM2-with-SM3. */
  async issueCertificate(o: IssueSm2SealCertificateOptions): Promise<Uint8Array> {
    if (!/^[0-9a-f]+$/.test(o.serial)) throw new SealError('ERR_INPUT_INVALID', 'bad serial');
    if (o.crlUrl !== undefined && !/^https?:\/\/[\x21-\x7e]+$/.test(o.crlUrl)) throw new SealError('ERR_INPUT_INVALID', 'bad CRL URL');
    if (o.ocspUrl !== undefined && !/^https?:\/\/[\x21-\x7e]+$/.test(o.ocspUrl)) throw new SealError('ERR_INPUT_INVALID', 'bad OCSP URL');
    const rdn = (s: string): string => s.replace(/([,+"\\<>;=#])/g, '\\$1');
    const subject = [`CN=${rdn(o.subject.commonName)}`, ...(o.subject.organizationalUnit ? [`OU=${rdn(o.subject.organizationalUnit)}`] : []), `O=${rdn(o.subject.organization)}`, 'C=CN'].join(', ');
    return issueSm2Certificate({
      subject,
      publicKey: o.publicKey,
      issuer: this.ca,
      notBefore: o.notBefore,
      notAfter: o.notAfter,
      serialNumber: Uint8Array.from(Buffer.from(o.serial.length % 2 ? `0${o.serial}` : o.serial, 'hex')),
      extraExtensions: [
        ...(o.crlUrl === undefined ? [] : [new x509.CRLDistributionPointsExtension([o.crlUrl])]),
        ...(o.ocspUrl === undefined ? [] : [new x509.AuthorityInfoAccessExtension({ ocsp: [o.ocspUrl] })]),
      ].map((e) => new Uint8Array(e.rawData)),
    });
  }

  /** The v4 SES_Seal (DER) of a seal, signed by the seal maker, and the picture it carries. */
  async makeSeal(o: MakeSm2SealOptions): Promise<{ ses: Uint8Array; picture: Uint8Array }> {
    const picture =
      o.picture ??
      (await renderSealPng({ name: o.agencyName.slice(0, 40), sizePx: PICTURE_PX, ...(this.options.fontFiles ? { fontFiles: this.options.fontFiles } : {}) }));
    const size = pngSizeMm(picture);
    const ses = await createSesSeal({
      maker: this.maker,
      esId: o.esId,
      name: o.name,
      type: 1,
      sealCertificates: [o.certDer],
      picture: { type: 'PNG', data: picture, width: size.width, height: size.height },
      validStart: o.notBefore,
      validEnd: o.notAfter,
    });
    return { ses, picture };
  }
}

export function loadSm2Issuer(options: Sm2IssuerOptions): Sm2Issuer {
  return new Sm2Issuer(options);
}
