/** JSON seals: JAdES over JWS, RFC 8785 canonical JSON, strict JSON. Knows no PDF; signs through a Signer. */
export { signJson, type SignJsonOptions, type SignJsonResult } from './jades-sign.js';
export { verifyJson, type VerifyJsonOptions } from './jades-verify.js';
export { canonicalize, canonicalizeToBytes, canonicalizeValue } from './jcs.js';
export { parseJsonStrict, type JsonValue, type JsonObject, type StrictJsonOptions } from './json-parse.js';
export { verifyJwsWithKey, type VerifyJwsOptions, type VerifyJwsResult, type JwsSignatureResult } from './jws-verify.js';
export { SIGNING_ALGORITHMS, VERIFYING_ALGORITHMS, type JwsAlgorithm } from './jws-algs.js';
export { CANON_HEADER, CANON_JCS } from './jades-headers.js';
