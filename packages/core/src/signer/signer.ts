/**
 * The only interface through which anything is signed. PDF (CMS), JSON (JWS), SES, CRL, OCSP
 * and TSA code all receive a Signer; none of them ever sees key bytes. A software key, a
 * PKCS#11 token or a remote signing service implements it.
 *
 * What goes in is the small to-be-signed structure (CMS signed attributes, a JWS signing input,
 * a TBSCertList ...), which carries the document's digest: never the document itself. Tokens
 * hash it with the mechanism that matches `hash` (CKM_SHA256_RSA_PKCS, CKM_ECDSA_SHA256, ...).
 */
export type HashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SM3';

export type SignatureScheme =
  /** RSASSA-PKCS1-v1_5 */
  | 'RSA-PKCS1'
  /** RSASSA-PSS with MGF1 over the same hash and salt length = hash length. */
  | 'RSA-PSS'
  /** ECDSA; the signature is returned DER-encoded (SEQUENCE { r, s }). */
  | 'ECDSA'
  /** SM2 with the default user ID 1234567812345678; DER SEQUENCE { r, s }. */
  | 'SM2'
  | 'Ed25519';

export type KeyType = 'RSA' | 'EC' | 'SM2' | 'Ed25519';

export interface SignRequest {
  scheme: SignatureScheme;
  hash: HashAlgorithm;
}

export interface Signer {
  readonly keyType: KeyType;
  /** Named curve for EC keys ('P-256', 'P-384', 'P-521'); undefined otherwise. */
  readonly curve?: string;
  /** RSA modulus length in bits, or the curve's order size for EC. Used to size placeholders. */
  readonly keySizeBits: number;
  /** Certificate chain as DER, the signer's certificate first, then its issuers (root optional). */
  readonly certificateChain: readonly Uint8Array[];
  /** Sign `tbs` (hashing it with `request.hash`) and return the raw signature value. */
  sign(tbs: Uint8Array, request: SignRequest): Promise<Uint8Array>;
}
