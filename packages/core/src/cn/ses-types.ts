/** Decoded GB/T 38540 / GM/T 0031 structures. Byte fields are views into the input. */

export interface SesHeader {
  /** Always 'ES'. */
  id: string;
  version: number;
  vid: string;
}

export interface SesPicture {
  /** 'PNG', 'GIF', 'JPG', 'SVG', 'OFD' ... */
  type: string;
  data: Uint8Array;
  /** Millimetres. */
  width: number;
  height: number;
}

export interface SesCertDigest {
  /** Hash algorithm name as written, e.g. 'SM3'. */
  type: string;
  value: Uint8Array;
}

export interface SesExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export interface SesSealInfo {
  header: SesHeader;
  esId: string;
  /** Seal type (1 official seal, 2 special-purpose seal, ...). */
  type: number;
  name: string;
  /** 1 = certificate list, 2 = certificate digest list (v4); v1 always 1. */
  certListType: 1 | 2;
  certs: Uint8Array[];
  certDigests: SesCertDigest[];
  createDate: Date;
  validStart: Date;
  validEnd: Date;
  picture: SesPicture;
  extensions: SesExtension[];
  /** DER of SES_SealInfo exactly as read. */
  raw: Uint8Array;
}

export type SesLayout = 'v1' | 'v4';

export interface SesSeal {
  /** Structural layout: 'v1' (GM/T 0031-2014) or 'v4' (GB/T 38540-2020, also ofdrw "v5"). */
  layout: SesLayout;
  /** Header version number (1, 4, 5 ...). */
  version: number;
  sealInfo: SesSealInfo;
  /** The seal maker's certificate (DER). */
  makerCert: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  /** Exactly the bytes the maker signed. */
  signedBytes: Uint8Array;
  /** Optional [0] time-stamp field (ofdrw v5). */
  timestamp: Uint8Array | null;
  raw: Uint8Array;
}

export interface SesSignature {
  layout: SesLayout;
  version: number;
  seal: SesSeal;
  /** The claimed signing time. */
  timeInfo: Date;
  dataHash: Uint8Array;
  /** Usually the path of the signed file, e.g. /Doc_0/Signs/Sign_0/Signature.xml. */
  propertyInfo: string;
  /** The signer's certificate (DER). */
  signerCert: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  /** DER(TBS_Sign) exactly as read: what the signer signed. */
  signedBytes: Uint8Array;
  /** Optional RFC 3161 time-stamp token bytes. */
  timestamp: Uint8Array | null;
  raw: Uint8Array;
}
