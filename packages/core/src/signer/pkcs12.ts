/**
 * PKCS#12 (RFC 7292) reader: password-integrity MAC, PBES2 (PBKDF2 + AES/3DES) as OpenSSL 3
 * writes by default, and the legacy PKCS#12 PBEs (pbeWithSHAAnd3-KeyTripleDES-CBC,
 * pbeWithSHAAnd40/128BitRC2-CBC) with a SHA-1 MAC as `openssl pkcs12 -export -legacy` writes.
 * Reads BER too (Windows and Java export indefinite lengths).
 *
 * Errors: a MAC mismatch or a decryption that fails is ERR_KEY_PASSWORD; anything structurally
 * wrong is ERR_KEY_INVALID; unknown algorithms are ERR_ALG_UNSUPPORTED. Messages never carry the
 * password or key bytes.
 */
import { createDecipheriv, createHash, createHmac, hash as cryptoHash, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import forge from 'node-forge';
import {
  type DerNode,
  type ReadOptions,
  TAG,
  children,
  childrenOf,
  concat,
  decodeOid,
  decodeSmallInt,
  encodedOf,
  expectTag,
  octetStringValue,
  parseDer,
} from '../asn1/der.js';
import { AlgorithmUnsupportedError, KeyPasswordError, SealError } from '../errors/index.js';

export interface Pkcs12Bag {
  /** DER of the item: PKCS#8 PrivateKeyInfo for keys, the certificate for certificates. */
  readonly der: Uint8Array;
  /** The localKeyId attribute (links a key to its certificate), if any. */
  readonly localKeyId: Uint8Array | null;
}

export interface Pkcs12Contents {
  readonly keys: readonly Pkcs12Bag[];
  readonly certificates: readonly Pkcs12Bag[];
}

const BER: ReadOptions = { ber: true };
/** Upper bound on KDF iterations, so a hostile file cannot pin a CPU for minutes. */
const MAX_ITERATIONS = 10_000_000;

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  pbeSha2Des: '1.2.840.113549.1.12.1.4',
  pbeShaRc2_128: '1.2.840.113549.1.12.1.5',
  pbeShaRc2_40: '1.2.840.113549.1.12.1.6',
} as const;

interface HashInfo {
  node: string;
  /** Block size in bytes (v in RFC 7292 appendix B). */
  v: number;
  /** Output size in bytes (u). */
  u: number;
}

const DIGESTS: Record<string, HashInfo> = {
  '1.3.14.3.2.26': { node: 'sha1', v: 64, u: 20 },
  '2.16.840.1.101.3.4.2.4': { node: 'sha224', v: 64, u: 28 },
  '2.16.840.1.101.3.4.2.1': { node: 'sha256', v: 64, u: 32 },
  '2.16.840.1.101.3.4.2.2': { node: 'sha384', v: 128, u: 48 },
  '2.16.840.1.101.3.4.2.3': { node: 'sha512', v: 128, u: 64 },
};

const HMAC_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const PBES2_CIPHERS: Record<string, { node: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { node: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { node: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { node: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { node: 'des-ede3-cbc', keyLength: 24 },
};

function invalid(message: string, cause?: unknown): SealError {
  return new SealError('ERR_KEY_INVALID', `PKCS#12: ${message}`, cause === undefined ? undefined : { cause });
}

/** The password as a NUL-terminated BMPString, as the PKCS#12 KDF wants it. */
function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

const hashOnce: (alg: string, data: Buffer) => Buffer =
  typeof cryptoHash === 'function'
    ? (alg, data) => cryptoHash(alg, data, 'buffer')
    : (alg, data) => createHash(alg).update(data).digest();

/** RFC 7292 appendix B.2 key derivation. id 1 = key, 2 = IV, 3 = MAC key. */
export function pkcs12Kdf(hash: HashInfo, password: Buffer, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, n: number): Buffer {
  const { v, u } = hash;
  const D = Buffer.alloc(v, id);
  const fill = (src: Uint8Array): Buffer => {
    if (src.length === 0) return Buffer.alloc(0);
    const len = v * Math.ceil(src.length / v);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(password)]);
  const c = Math.ceil(n / u);
  const result: Buffer[] = [];
  for (let i = 0; i < c; i++) {
    let A: Buffer = createHash(hash.node).update(D).update(I).digest();
    // One-shot crypto.hash (node >= 20.12) is the cheapest native call per round; NSS writes
    // 600,000 rounds by default, so this loop is what loading such a file costs.
    for (let r = 1; r < iterations; r++) A = hashOnce(hash.node, A);
    result.push(A);
    if (i === c - 1) break;
    const B = fill(A).subarray(0, v);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(result).subarray(0, n);
}

function iterationsOf(node: DerNode | undefined): number {
  if (node === undefined) return 1;
  const it = decodeSmallInt(node);
  if (it < 1 || it > MAX_ITERATIONS) throw invalid('iteration count out of range');
  return it;
}

function rc2Decrypt(key: Buffer, iv: Buffer, bits: number, data: Uint8Array): Buffer {
  const cipher = forge.rc2.createDecryptionCipher(forge.util.createBuffer(key.toString('binary')), bits);
  cipher.start(forge.util.createBuffer(iv.toString('binary')));
  cipher.update(forge.util.createBuffer(Buffer.from(data).toString('binary')));
  if (!cipher.finish()) throw new KeyPasswordError();
  return Buffer.from(cipher.output.getBytes(), 'binary');
}

/** Decrypt `data` encrypted under the PBE AlgorithmIdentifier `alg`. */
function pbeDecrypt(alg: DerNode, data: Uint8Array, password: string): Buffer {
  const [algOid, params] = childrenOf(alg, TAG.SEQUENCE, 'encryption algorithm', BER);
  const oid = decodeOid(algOid!);
  if (oid === OID.pbes2) {
    const [kdf, enc] = childrenOf(params, TAG.SEQUENCE, 'PBES2 params', BER);
    const [kdfOid, kdfParams] = childrenOf(kdf, TAG.SEQUENCE, 'KDF', BER);
    if (decodeOid(kdfOid!) !== OID.pbkdf2) throw new AlgorithmUnsupportedError('PKCS#12: unsupported PBES2 key derivation');
    const kp = childrenOf(kdfParams, TAG.SEQUENCE, 'PBKDF2 params', BER);
    const salt = octetStringValue(expectTag(kp[0], TAG.OCTET_STRING, 'PBKDF2 salt'), BER);
    const iterations = iterationsOf(kp[1]);
    let i = 2;
    let keyLength: number | null = null;
    if (kp[i]?.tag === TAG.INTEGER) keyLength = decodeSmallInt(kp[i++]!);
    let prf = 'sha1';
    if (kp[i] !== undefined) {
      const prfOid = decodeOid(childrenOf(kp[i], TAG.SEQUENCE, 'PRF', BER)[0]!);
      const p = HMAC_PRFS[prfOid];
      if (p === undefined) throw new AlgorithmUnsupportedError('PKCS#12: unsupported PBKDF2 PRF');
      prf = p;
    }
    const [encOid, ivNode] = childrenOf(enc, TAG.SEQUENCE, 'PBES2 cipher', BER);
    const cipher = PBES2_CIPHERS[decodeOid(encOid!)];
    if (cipher === undefined) throw new AlgorithmUnsupportedError('PKCS#12: unsupported PBES2 cipher');
    if (keyLength !== null && keyLength !== cipher.keyLength) throw invalid('PBKDF2 key length does not fit the cipher');
    const iv = octetStringValue(expectTag(ivNode, TAG.OCTET_STRING, 'IV'), BER);
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher.keyLength, prf);
    try {
      const d = createDecipheriv(cipher.node, key, iv);
      return Buffer.concat([d.update(data), d.final()]);
    } catch {
      throw new KeyPasswordError();
    }
  }
  const pbeParams = childrenOf(params, TAG.SEQUENCE, 'PBE params', BER);
  const salt = octetStringValue(expectTag(pbeParams[0], TAG.OCTET_STRING, 'PBE salt'), BER);
  const iterations = iterationsOf(pbeParams[1]);
  const sha1 = DIGESTS['1.3.14.3.2.26']!;
  const pw = bmpPassword(password);
  const derive = (keyLen: number): [Buffer, Buffer] => [
    pkcs12Kdf(sha1, pw, salt, 1, iterations, keyLen),
    pkcs12Kdf(sha1, pw, salt, 2, iterations, 8),
  ];
  switch (oid) {
    case OID.pbeSha3Des:
    case OID.pbeSha2Des: {
      const [key, iv] = derive(oid === OID.pbeSha3Des ? 24 : 16);
      try {
        const d = createDecipheriv(oid === OID.pbeSha3Des ? 'des-ede3-cbc' : 'des-ede-cbc', key, iv);
        return Buffer.concat([d.update(data), d.final()]);
      } catch {
        throw new KeyPasswordError();
      }
    }
    case OID.pbeShaRc2_40:
    case OID.pbeShaRc2_128: {
      const bits = oid === OID.pbeShaRc2_40 ? 40 : 128;
      const [key, iv] = derive(bits / 8);
      return rc2Decrypt(key, iv, bits, data);
    }
    default:
      throw new AlgorithmUnsupportedError('PKCS#12: unsupported encryption algorithm');
  }
}

function localKeyIdOf(attrs: DerNode | undefined): Uint8Array | null {
  if (attrs === undefined) return null;
  for (const attr of childrenOf(attrs, TAG.SET, 'bag attributes', BER)) {
    const [type, values] = childrenOf(attr, TAG.SEQUENCE, 'attribute', BER);
    if (decodeOid(type!) !== OID.localKeyId) continue;
    const [first] = childrenOf(values, TAG.SET, 'attribute values', BER);
    return octetStringValue(expectTag(first, TAG.OCTET_STRING, 'localKeyId'), BER);
  }
  return null;
}

function readSafeContents(der: Uint8Array, password: string, keys: Pkcs12Bag[], certs: Pkcs12Bag[], depth: number): void {
  if (depth > 4) throw invalid('nested too deep');
  const bags = childrenOf(parseDer(der, BER), TAG.SEQUENCE, 'SafeContents', BER);
  for (const bag of bags) {
    const [bagId, bagValueWrapper, attrs] = childrenOf(bag, TAG.SEQUENCE, 'SafeBag', BER);
    const id = decodeOid(bagId!);
    const [value] = childrenOf(bagValueWrapper, 0xa0, 'bagValue', BER);
    if (value === undefined) throw invalid('empty bag');
    const localKeyId = localKeyIdOf(attrs);
    switch (id) {
      case OID.keyBag:
        keys.push({ der: Uint8Array.from(encodedOf(value)), localKeyId });
        break;
      case OID.shroudedKeyBag: {
        const [alg, enc] = childrenOf(value, TAG.SEQUENCE, 'EncryptedPrivateKeyInfo', BER);
        const plain = pbeDecrypt(alg!, octetStringValue(expectTag(enc, enc?.tag === 0x24 ? 0x24 : TAG.OCTET_STRING, 'encryptedData'), BER), password);
        // A wrong password that happens to unpad correctly yields garbage: refuse it as a password error.
        try {
          parseDer(plain);
        } catch {
          throw new KeyPasswordError();
        }
        keys.push({ der: plain, localKeyId });
        break;
      }
      case OID.certBag: {
        const [certId, certValue] = childrenOf(value, TAG.SEQUENCE, 'CertBag', BER);
        if (decodeOid(certId!) !== OID.x509Certificate) break; // SDSI certificates: ignore
        const [octets] = childrenOf(certValue, 0xa0, 'certValue', BER);
        certs.push({ der: Uint8Array.from(octetStringValue(expectTag(octets, octets?.tag === 0x24 ? 0x24 : TAG.OCTET_STRING, 'certificate'), BER)), localKeyId });
        break;
      }
      case OID.safeContentsBag:
        readSafeContents(encodedOf(value), password, keys, certs, depth + 1);
        break;
      default:
        break; // CRL and secret bags are not needed
    }
  }
}

function verifyMac(macData: DerNode, authSafe: Uint8Array, password: string): void {
  const parts = childrenOf(macData, TAG.SEQUENCE, 'MacData', BER);
  const [digestAlg, digest] = childrenOf(parts[0], TAG.SEQUENCE, 'DigestInfo', BER);
  const algOid = decodeOid(childrenOf(digestAlg, TAG.SEQUENCE, 'MAC algorithm', BER)[0]!);
  const hash = DIGESTS[algOid];
  if (hash === undefined) throw new AlgorithmUnsupportedError('PKCS#12: unsupported MAC algorithm');
  const expected = octetStringValue(expectTag(digest, TAG.OCTET_STRING, 'MAC value'), BER);
  const salt = octetStringValue(expectTag(parts[1], TAG.OCTET_STRING, 'MAC salt'), BER);
  const iterations = iterationsOf(parts[2]);
  // An empty password is encoded as two NUL bytes by most tools and as nothing by a few.
  const candidates = password === '' ? [bmpPassword(''), Buffer.alloc(0)] : [bmpPassword(password)];
  for (const pw of candidates) {
    const key = pkcs12Kdf(hash, pw, salt, 3, iterations, hash.u);
    const mac = createHmac(hash.node, key).update(authSafe).digest();
    if (mac.length === expected.length && timingSafeEqual(mac, expected)) return;
  }
  throw new KeyPasswordError();
}

/** Read the keys and certificates of a PKCS#12 file. */
export function parsePkcs12(bytes: Uint8Array, password: string): Pkcs12Contents {
  try {
    const pfx = childrenOf(parseDer(bytes, BER), TAG.SEQUENCE, 'PFX', BER);
    if (decodeSmallInt(pfx[0]!) !== 3) throw invalid('unsupported version');
    const [ctype, content] = childrenOf(pfx[1], TAG.SEQUENCE, 'authSafe', BER);
    if (decodeOid(ctype!) !== OID.data) throw new AlgorithmUnsupportedError('PKCS#12: only password-integrity files are supported');
    const [octets] = childrenOf(content, 0xa0, 'authSafe content', BER);
    if (octets === undefined) throw invalid('empty authSafe');
    const authSafe = octetStringValue(octets, BER);
    if (pfx[2] !== undefined) verifyMac(pfx[2], authSafe, password);

    const keys: Pkcs12Bag[] = [];
    const certs: Pkcs12Bag[] = [];
    for (const ci of childrenOf(parseDer(authSafe, BER), TAG.SEQUENCE, 'AuthenticatedSafe', BER)) {
      const [type, wrapped] = childrenOf(ci, TAG.SEQUENCE, 'ContentInfo', BER);
      const t = decodeOid(type!);
      const [inner] = childrenOf(wrapped, 0xa0, 'content', BER);
      if (inner === undefined) throw invalid('empty ContentInfo');
      if (t === OID.data) {
        readSafeContents(octetStringValue(inner, BER), password, keys, certs, 0);
      } else if (t === OID.encryptedData) {
        const [, eci] = childrenOf(inner, TAG.SEQUENCE, 'EncryptedData', BER);
        const [, alg, encContent] = childrenOf(eci, TAG.SEQUENCE, 'EncryptedContentInfo', BER);
        if (encContent === undefined) throw invalid('no encrypted content');
        const encBytes =
          encContent.tag === 0x80
            ? Buffer.from(encContent.buf.subarray(encContent.contentStart, encContent.contentEnd))
            : encContent.tag === 0xa0
              ? concat(children(encContent, BER).map((c) => octetStringValue(c, BER)))
              : (() => {
                  throw invalid('bad encryptedContent');
                })();
        const plain = pbeDecrypt(alg!, encBytes, password);
        try {
          parseDer(plain, BER);
        } catch {
          throw new KeyPasswordError();
        }
        readSafeContents(plain, password, keys, certs, 0);
      } else {
        throw new AlgorithmUnsupportedError('PKCS#12: public-key privacy mode is not supported');
      }
    }
    return { keys, certificates: certs };
  } catch (err) {
    if (err instanceof KeyPasswordError || err instanceof AlgorithmUnsupportedError) throw err;
    if (err instanceof SealError && err.code === 'ERR_KEY_INVALID') throw err;
    throw invalid('not a readable PKCS#12 file', err);
  }
}
