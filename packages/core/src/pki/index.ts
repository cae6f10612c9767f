/** PKI: path building/validation, CRL and OCSP checking, signature algorithms. No keys. */
export {
  validateCertificatePath,
  checkCertificateRevocation,
  isIssuedBy,
  type PathValidationOptions,
  type PathValidationResult,
  type RevocationSources,
  type RevocationFetcher,
  type CaIssuersFetchResult,
  type RegistryRevocationLookup,
  type CertRevocation,
} from './validate-path.js';
export { parseCertificate, certificatesFromPemOrDer, nameToString, EKU, type CertInfo, type KeyUsageName } from './cert.js';
export { parseCrl, checkCrl, CRL_REASONS, type CrlReasonName, type ParsedCrl, type CrlCheckResult } from './crl.js';
export { parseOcspResponse, checkOcsp, buildOcspRequest, ocspDelegatedResponder, hasOcspNoCheck, type ParsedOcsp, type OcspCheckResult } from './ocsp.js';
export { checkOcspResponder, type ResponderStatus } from './ocsp-responder.js';
export { caIssuersUrls, parseCaIssuersAnswer, CaIssuersResolver, type CaIssuersResolverOptions, type IssuerLookup } from './ca-issuers.js';
export { createHttpRevocationFetcher, type HttpFetcherOptions } from './fetcher.js';
export {
  verifySignature,
  resolveSignatureAlgorithm,
  hashBytes,
  digestNameForOid,
  AlgorithmPolicyError,
  WEAK_DIGESTS,
  type DigestName,
  type ResolvedAlgorithm,
} from './algorithms.js';
