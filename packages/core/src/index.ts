import 'reflect-metadata';
export * from './errors/index.js';
export * from './report/index.js';
export * from './signer/signer.js';
export * from './signer/software.js';
export * from './pki/index.js';
export * from './signer/load-key.js';
export * from './pdf/index.js';
// Chinese electronic seals (issue 9): SM2/SM3, GB/T 38540 SES_Seal/SES_Signature, OFD, seal picture.
export * from './cn/index.js';
export * from './cms/sign.js';
export * from './tsa/index.js';
// JSON seals (issue 5): signJson, verifyJson, canonicalize (RFC 8785), verifyJwsWithKey.
export * from './json/index.js';
// Verification (issue 4): verifyPdf, CMS SignedData and RFC 3161 token verification.
export { verifyPdf, parsePdfDate, type VerifyPdfOptions, type PdfSignatureReport, type SignatureKind } from './pdf/verify.js';
export { verifyCms, type CmsVerifyOptions, type CmsVerifyResult } from './cms/verify.js';
export { verifyTimestampToken, type TimestampVerifyOptions, type TimestampVerifyResult } from './tsa/verify.js';
