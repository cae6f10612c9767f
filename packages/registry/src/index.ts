/**
 * @seal/registry: the seal registry (SQLite), seal life cycle with dual control, issuing CA,
 * CRL and OCSP, the Merkle usage log and key custody. Start with `openRegistry`; see
 * docs/registry.md.
 */
import 'reflect-metadata';
export * from './types.js';
export { openRegistry, Registry, backupDatabase } from './registry.js';
export type { OpenRegistryOptions, RequestSealOptions, RevokeSealOptions, CrlInfo, SealUse, SealUseRecord } from './registry.js';
export { openDatabase, RegistryStore } from './store/store.js';
export { SCHEMA_VERSION } from './store/migrations.js';
export { PERMISSIONS, can, authorize, nextRequestState, nextSealState, SealStateError, ForbiddenError } from './lifecycle/transitions.js';
export type { Actor, Permission, RequestAction, SealAction } from './lifecycle/transitions.js';
export { issueSealCertificate, loadCertifiedSigner, pemCertificates, randomSerial } from './ca/issuing-ca.js';
export type { CertifiedSigner, SignerSource } from './ca/issuing-ca.js';
export { buildCrl } from './crl/build-crl.js';
export type { CrlEntry, BuildCrlOptions } from './crl/build-crl.js';
export { parseOcspRequest, buildOcspResponse, ocspErrorResponse, certIdMatchesIssuer } from './ocsp/ocsp.js';
export type { OcspRequest, OcspCertId, OcspCertStatus } from './ocsp/ocsp.js';
export { UsageLog, verifyLogRows, checkInclusionProof, checkConsistencyProof, leafData, newEntryId, ENTRY_ID as USAGE_ENTRY_ID } from './log/usage-log.js';
export type { AppendResult, SignedCheckpoint, InclusionProof, ConsistencyProof, LogVerification, LogProblem } from './log/usage-log.js';
export { signCheckpoint, openCheckpoint, verifierKey, parseVerifierKey, checkpointBody } from './log/checkpoint.js';
export type { Checkpoint, LogKey } from './log/checkpoint.js';
export { leafHash, nodeHash, rootOf, inclusionPath, consistencyPath, verifyInclusion, verifyConsistency, Frontier } from './log/merkle.js';
export type { KeyStore, GeneratedKey } from './keystore/key-store.js';
export { SoftwareKeyStore, resolveMasterSecret, KeyUnavailableError } from './keystore/software.js';
export { Pkcs11KeyStore } from './keystore/pkcs11.js';
export type { Pkcs11KeyStoreOptions } from './keystore/pkcs11.js';
export { openRegistryStore, bootstrapAdminAccount, sealHistoryOf, logKeyOf, verifyLogOf, restoreDatabase } from './operations.js';
export { Sm2Issuer, loadSm2Issuer, type Sm2IssuerOptions, type Sm2SignerSource, type IssueSm2SealCertificateOptions, type MakeSm2SealOptions } from './ca/sm2-issuer.js';
