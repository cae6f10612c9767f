/** Public API of the Chinese electronic seal module (see docs/chinese-seals.md). */
export { SM2_DEFAULT_USER_ID, OID_SM2_CURVE, OID_SM2_WITH_SM3, OID_SM3, sm3, sm2Sign, sm2Verify, sm2KeyPairFromPrivateKey, sm2PublicPointFromSpki, sm2SignatureToDer, sm2SignatureToRaw, generateSm2KeyPair, buildSm2Spki, type Sm2KeyPair } from './sm2.js';
export { createSm2Signer, type Sm2Signer, type Sm2SignerOptions } from './sm2-signer.js';
export {
  parseCertificate as parseSm2Certificate,
  parsePemCertificates as parseSm2PemCertificates,
  certificateToPem as sm2CertificateToPem,
  verifyCertificateSignature as verifySm2CertificateSignature,
  buildCertificatePath as buildSm2CertificatePath,
  issueSm2Certificate,
  type ParsedCertificate as Sm2ParsedCertificate,
  type ChainResult as Sm2ChainResult,
  type IssueSm2CertificateOptions,
} from './sm2-cert.js';
export type { SesHeader, SesPicture, SesCertDigest, SesExtension, SesSealInfo, SesSeal, SesSignature, SesLayout } from './ses-types.js';
export { decodeSesSeal, decodeSesSignature, looksLikeSesSignature, SES_MAX_BYTES } from './ses-decode.js';
export { createSesSeal, encodeSesSealInfo, signSes, type CreateSesSealOptions, type SignSesOptions } from './ses-create.js';
export { verifySes, verifySesSeal, verifySesSignature, verifyDecodedSesSignature, type SesVerifyOptions, type SesSignatureVerifyOptions } from './ses-verify.js';
export { verifyOfd, type OfdVerifyOptions, type OfdReferenceResult } from './ofd-verify.js';
export { readOfdZip, writeOfdZip, DEFAULT_OFD_LIMITS, type OfdZipLimits } from './ofd-zip.js';
export { verifyGmSignedData, OID_GM_SIGNED_DATA, OID_GM_DATA, type GmSignedDataResult } from './gm-signed-data.js';
export { createSealSvg, renderSealPng, DEFAULT_SEAL_FONT_FILES, type SealPictureOptions, type SealPngOptions } from './seal-picture.js';
export { createSm2TestPki, type Sm2TestPki } from './sm2-test-pki.js';
export { signOfd, type SignOfdOptions } from './ofd-sign.js';
export { issueSm2Crl, parseCrl as parseSm2Crl, checkCrlRevocation as checkSm2CrlRevocation, verifyCrlSignature as verifySm2CrlSignature, CRL_REASONS as SM2_CRL_REASONS, type ParsedCrl as Sm2ParsedCrl, type IssueSm2CrlOptions, type RevokedEntry as Sm2RevokedEntry, type CrlReason as Sm2CrlReason } from './sm2-crl.js';
export { createSealPdfAppearance, type SealVectorOptions, type SealVectorAppearance } from './seal-vector.js';
export { createGmCmsSignature, estimateGmCmsSize, verifyGmCms, isGmCms, type GmCmsOptions, type GmCmsProfile, type GmCmsVerifyOptions } from './gm-cms.js';
