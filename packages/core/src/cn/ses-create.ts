/**
 * Make GB/T 38540-2020 (version 4) seals and signatures through the shared Signer interface.
 * The seal maker signs DER(SES_SealInfo); a seal holder signs DER(TBS_Sign), which embeds the
 * whole seal, the signing time, the data hash (SM3) and the property info.
 */
import { createHash } from 'node:crypto';
import { SealError } from '../errors/index.js';
import type { Timestamper } from '../tsa/timestamper.js';
import type { Signer } from '../signer/signer.js';
import {
  bitStringBytes,
  boolean,
  bytesEqual,
  ctx,
  generalizedTime,
  ia5String,
  integer,
  octetString,
  oid,
  seq,
  utf8String,
} from '../asn1/der.js';
import { decodeSesSeal } from './ses-decode.js';
import type { SesCertDigest, SesExtension, SesPicture } from './ses-types.js';
import { parseCertificate } from './sm2-cert.js';
import { OID_SM2_WITH_SM3, sm2Verify, sm3 } from './sm2.js';

export interface CreateSesSealOptions {
  /** The seal maker's SM2 Signer; certificateChain[0] is the seal-maker certificate. */
  maker: Signer;
  /** Seal identifier (esID), ASCII. */
  esId: string;
  /** Seal name, e.g. the agency's name. */
  name: string;
  /** Seal type (GB/T 38540: 1 official seal, 2 special-purpose seal). Default 1. */
  type?: number;
  /** Certificates allowed to use the seal (certListType 1) ... */
  sealCertificates?: readonly Uint8Array[];
  /** ... or their digests (certListType 2), e.g. { type: 'SM3', value: sm3(certDer) }. */
  sealCertificateDigests?: readonly SesCertDigest[];
  picture: SesPicture;
  validStart: Date;
  validEnd: Date;
  /** Default: now. */
  createDate?: Date;
  /** Vendor ID in the header. Default 'SEAL-SERVICE'. */
  vid?: string;
  extensions?: readonly SesExtension[];
}

function requireSm2(signer: Signer, role: string): Uint8Array {
  if (signer.keyType !== 'SM2') throw new SealError('ERR_KEY_INVALID', `the ${role} must be an SM2 signer`);
  const cert = signer.certificateChain[0];
  if (cert === undefined) throw new SealError('ERR_CERT_INVALID', `the ${role} signer has no certificate`);
  const parsed = parseCertificate(cert);
  if (parsed.sm2PublicKey === null) throw new SealError('ERR_CERT_INVALID', `the ${role} certificate has no SM2 key`);
  return cert;
}

async function signAndCheck(signer: Signer, tbs: Uint8Array, certDer: Uint8Array): Promise<Uint8Array> {
  const sig = await signer.sign(tbs, { scheme: 'SM2', hash: 'SM3' });
  const point = parseCertificate(certDer).sm2PublicKey!;
  if (!sm2Verify(tbs, sig, point)) throw new SealError('ERR_KEY_MISMATCH', 'the signing key does not match its certificate');
  return sig;
}

/** Encode the SES_SealInfo of a version-4 seal. */
export function encodeSesSealInfo(opts: Omit<CreateSesSealOptions, 'maker'>): Uint8Array {
  const certs = opts.sealCertificates ?? [];
  const digests = opts.sealCertificateDigests ?? [];
  if ((certs.length === 0) === (digests.length === 0)) {
    throw new SealError('ERR_INPUT_INVALID', 'give either seal certificates or certificate digests');
  }
  if (!(opts.validStart.getTime() < opts.validEnd.getTime())) throw new SealError('ERR_INPUT_INVALID', 'validStart must precede validEnd');
  const p = opts.picture;
  if (!Number.isInteger(p.width) || !Number.isInteger(p.height) || p.width <= 0 || p.height <= 0) {
    throw new SealError('ERR_INPUT_INVALID', 'picture width and height are positive whole millimetres');
  }
  if (opts.type !== undefined && !(Number.isInteger(opts.type) && opts.type >= 0)) throw new SealError('ERR_INPUT_INVALID', 'the seal type is a non-negative integer');
  const certList = certs.length > 0
    ? seq(...certs.map((c) => octetString(parseCertificate(c).der)))
    : seq(...digests.map((d) => seq(ia5String(d.type), octetString(d.value))));
  const parts = [
    seq(ia5String('ES'), integer(4), ia5String(opts.vid ?? 'SEAL-SERVICE')),
    ia5String(opts.esId),
    seq(
      integer(opts.type ?? 1),
      utf8String(opts.name),
      integer(certs.length > 0 ? 1 : 2),
      certList,
      generalizedTime(opts.createDate ?? new Date()),
      generalizedTime(opts.validStart),
      generalizedTime(opts.validEnd),
    ),
    seq(ia5String(p.type), octetString(p.data), integer(p.width), integer(p.height)),
  ];
  if (opts.extensions !== undefined && opts.extensions.length > 0) {
    parts.push(seq(...opts.extensions.map((e) => seq(oid(e.oid), boolean(e.critical), octetString(e.value)))));
  }
  return seq(...parts);
}

/** Create a GB/T 38540-2020 SES_Seal (version 4) signed by the seal maker. Returns DER. */
export async function createSesSeal(opts: CreateSesSealOptions): Promise<Uint8Array> {
  const makerCert = requireSm2(opts.maker, 'seal maker');
  const sealInfo = encodeSesSealInfo(opts);
  const signature = await signAndCheck(opts.maker, sealInfo, makerCert);
  return seq(sealInfo, octetString(makerCert), oid(OID_SM2_WITH_SM3), bitStringBytes(signature));
}

export interface SignSesOptions {
  /** The SES_Seal (DER) to sign with; embedded whole in TBS_Sign. */
  seal: Uint8Array;
  /** The seal holder's SM2 Signer; its certificate must be in the seal's certificate list. */
  signer: Signer;
  /** The data signed (hashed with SM3) ... */
  data?: Uint8Array;
  /** ... or its SM3 digest. */
  dataHash?: Uint8Array;
  /** What the data is, e.g. the path of Signature.xml in an OFD. */
  propertyInfo: string;
  /** Default: now. */
  time?: Date;
  /**
   * Optional RFC 3161 time-stamp over the signature value (SHA-256 imprint), stored in the
   * [0] timeStamp field as an EXPLICIT BIT STRING.
   */
  timestamper?: Timestamper;
}

/** Create a GB/T 38540-2020 SES_Signature (version 4). Returns DER. */
export async function signSes(opts: SignSesOptions): Promise<Uint8Array> {
  const signerCert = requireSm2(opts.signer, 'seal holder');
  const seal = decodeSesSeal(opts.seal);
  if (seal.layout !== 'v4') throw new SealError('ERR_INPUT_INVALID', 'only version-4 seals can be used for new signatures');
  const info = seal.sealInfo;
  const listed = info.certListType === 1
    ? info.certs.some((c) => bytesEqual(c, signerCert))
    : info.certDigests.some((d) => d.type.toUpperCase() === 'SM3' && bytesEqual(d.value, sm3(signerCert)));
  if (!listed) throw new SealError('ERR_CERT_INVALID', 'the signer certificate is not in the seal certificate list');
  const time = opts.time ?? new Date();
  if (time.getTime() < info.validStart.getTime() || time.getTime() > info.validEnd.getTime()) {
    throw new SealError('ERR_SEAL_STATE', 'the seal is not valid at the signing time');
  }
  let dataHash: Uint8Array;
  if (opts.dataHash !== undefined) {
    if (opts.dataHash.length !== 32) throw new SealError('ERR_INPUT_INVALID', 'dataHash must be an SM3 digest (32 bytes)');
    dataHash = opts.dataHash;
  } else if (opts.data !== undefined) {
    dataHash = sm3(opts.data);
  } else {
    throw new SealError('ERR_INPUT_INVALID', 'give data or dataHash');
  }
  const tbs = seq(integer(4), seal.raw, generalizedTime(time), bitStringBytes(dataHash), ia5String(opts.propertyInfo));
  const signature = await signAndCheck(opts.signer, tbs, signerCert);
  const fields = [tbs, octetString(signerCert), oid(OID_SM2_WITH_SM3), bitStringBytes(signature)];
  if (opts.timestamper !== undefined) {
    const digest = new Uint8Array(createHash('sha256').update(signature).digest());
    fields.push(ctx(0, bitStringBytes(await opts.timestamper.timestamp(digest, 'SHA-256'))));
  }
  return seq(...fields);
}
