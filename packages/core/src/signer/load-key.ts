/**
 * Load a seal key and its certificate chain into a software Signer.
 *
 *   loadSignerFromPem({ certPem, keyPem, keyPassword?, chainPems? })  PEM key (PKCS#8, encrypted
 *       PKCS#8, PKCS#1, SEC1; legacy OpenSSL-encrypted PEM too) + PEM certificate(s)
 *   loadSignerFromP12(bytes, password, { chainPems? })               PKCS#12, modern or legacy
 *   loadSignerFromKeyFiles({ p12, password } | { cert, key, keyPassword }, chain?)   files (CLI)
 *   checkCertificateUsable(certDer, at)                              ERR_CERT_EXPIRED if not valid at `at`
 *
 * Errors (SealError codes): ERR_KEY_PASSWORD wrong or missing password; ERR_KEY_MISMATCH key does
 * not belong to the certificate; ERR_KEY_INVALID unreadable key or container; ERR_CERT_INVALID
 * unreadable certificate; ERR_ALG_UNSUPPORTED key type we do not sign with. Messages never carry
 * a password or key material.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseDer } from '../asn1/der.js';
import { parseCertificateInfo } from '../asn1/certificate.js';
import { InputInvalidError, KeyPasswordError, SealError } from '../errors/index.js';
import { parsePkcs12 } from './pkcs12.js';
import type { Signer } from './signer.js';
import { createSoftwareSigner } from './software.js';
import { createSm2Signer } from '../cn/sm2-signer.js';
import { parseCertificate as parseSm2Certificate, verifyCertificateSignature as verifySm2CertificateSignature } from '../cn/sm2-cert.js';

export type PemInput = string | Uint8Array;

export interface LoadPemOptions {
  /** PEM of the seal certificate; further certificates in the same text are taken as its chain. */
  certPem: PemInput;
  /** PEM private key. */
  keyPem: PemInput;
  /** Password of an encrypted key. */
  keyPassword?: string;
  /** Extra PEM texts holding chain certificates (any order; each may hold several). */
  chainPems?: readonly PemInput[];
}

export interface LoadP12Options {
  chainPems?: readonly PemInput[];
}

interface PemBlock {
  label: string;
  headers: string;
  der: Buffer;
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

function pemText(input: PemInput): string {
  return typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
}

function pemBlocks(input: PemInput): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of pemText(input).matchAll(PEM_RE)) {
    const body = m[2] ?? '';
    const split = body.match(/^([\s\S]*?\r?\n)\r?\n([\s\S]*)$/);
    const hasHeaders = split !== null && /^[A-Za-z-]+:/.test(body);
    const headers = hasHeaders ? split[1]! : '';
    const b64 = (hasHeaders ? split[2]! : body).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) continue;
    out.push({ label: m[1]!, headers, der: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** Every CERTIFICATE block of a PEM text, as DER. Throws ERR_CERT_INVALID if a block does not parse. */
export function parsePemCertificates(input: PemInput): Uint8Array[] {
  if (isDer(input)) {
    parseCertificateInfo(input);
    return [Uint8Array.from(input)];
  }
  const certs = pemBlocks(input)
    .filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE')
    .map((b) => new Uint8Array(b.der));
  for (const der of certs) parseCertificateInfo(der);
  return certs;
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

/** Binary input that starts like a DER SEQUENCE (not PEM text). */
function isDer(input: PemInput): input is Uint8Array {
  // PEM text starts with '-' or whitespace; a DER SEQUENCE with 0x30 (which no PEM file does).
  return typeof input !== 'string' && input.length > 2 && input[0] === 0x30;
}

function loadDerKey(der: Uint8Array, password?: string): KeyObject {
  const key = Buffer.from(der);
  const tries: Array<() => KeyObject> = [
    () => createPrivateKey({ key, format: 'der', type: 'pkcs8' }),
    () => createPrivateKey({ key, format: 'der', type: 'pkcs1' }),
    () => createPrivateKey({ key, format: 'der', type: 'sec1' }),
  ];
  for (const t of tries) {
    try {
      return t();
    } catch {
      // next form
    }
  }
  // Encrypted PKCS#8 in DER: EncryptedPrivateKeyInfo.
  try {
    parseDer(der);
  } catch {
    throw new SealError('ERR_KEY_INVALID', 'the private key cannot be read');
  }
  if (password === undefined || password === '') throw new KeyPasswordError('the private key is encrypted (or unreadable) and no password was given');
  try {
    return createPrivateKey({ key, format: 'der', type: 'pkcs8', passphrase: password });
  } catch {
    throw new KeyPasswordError('wrong password for the private key, or an unreadable key');
  }
}

/** Parse a private key into a KeyObject: PEM (PKCS#8, encrypted PKCS#8, PKCS#1, SEC1) or the same in DER. */
export function loadPrivateKeyFromPem(keyPem: PemInput, password?: string): KeyObject {
  if (isDer(keyPem)) return loadDerKey(keyPem, password);
  const block = pemBlocks(keyPem).find((b) => KEY_LABELS.has(b.label));
  if (block === undefined) throw new SealError('ERR_KEY_INVALID', 'no PEM private key found');
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.headers);
  if (encrypted && (password === undefined || password === '')) {
    throw new KeyPasswordError('the private key is encrypted and no password was given');
  }
  if (block.label === 'ENCRYPTED PRIVATE KEY') {
    try {
      parseDer(block.der);
    } catch {
      throw new SealError('ERR_KEY_INVALID', 'the encrypted private key is malformed');
    }
  }
  const pem = pemText(keyPem);
  const start = pem.indexOf(`-----BEGIN ${block.label}-----`);
  const endMarker = `-----END ${block.label}-----`;
  const text = pem.slice(start, pem.indexOf(endMarker, start) + endMarker.length);
  try {
    return createPrivateKey(encrypted ? { key: text, format: 'pem', passphrase: password } : { key: text, format: 'pem' });
  } catch {
    if (encrypted) throw new KeyPasswordError('wrong password for the private key');
    throw new SealError('ERR_KEY_INVALID', 'the private key cannot be read');
  }
}

function keyMatches(privateKey: KeyObject, certDer: Uint8Array): boolean {
  // Compare node's canonical SPKI encodings. KeyObject.equals() across key types leaves an
  // OpenSSL error queued that a later createPrivateKey() then reports (node 20).
  try {
    const certKey = new X509Certificate(certDer).publicKey;
    const ours = createPublicKey(privateKey);
    if (ours.asymmetricKeyType !== certKey.asymmetricKeyType) return false;
    return ours.export({ type: 'spki', format: 'der' }).equals(certKey.export({ type: 'spki', format: 'der' }));
  } catch {
    return false;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * The chain from `leaf` upwards, picking issuers out of `pool` (names and signatures checked by
 * node's X509Certificate). Certificates that do not lie on the path are left out.
 */
export function orderChain(leaf: Uint8Array, pool: readonly Uint8Array[]): Uint8Array[] {
  try {
    return buildPath(leaf, pool);
  } catch (err) {
    throw new SealError('ERR_CERT_INVALID', 'a certificate cannot be read', { cause: err });
  }
}

function buildPath(leaf: Uint8Array, pool: readonly Uint8Array[]): Uint8Array[] {
  const chain = [leaf];
  const remaining = pool.filter((c) => !sameBytes(c, leaf));
  let current = new X509Certificate(leaf);
  for (let guard = 0; guard < 16; guard++) {
    if (current.checkIssued(current) && current.verify(current.publicKey)) break; // self-signed root
    const idx = remaining.findIndex((c) => {
      try {
        const cand = new X509Certificate(c);
        return current.checkIssued(cand) && current.verify(cand.publicKey);
      } catch {
        return false;
      }
    });
    if (idx < 0) break;
    const next = remaining.splice(idx, 1)[0]!;
    chain.push(next);
    current = new X509Certificate(next);
  }
  return chain;
}

function chainPool(chainPems: readonly PemInput[] | undefined): Uint8Array[] {
  return (chainPems ?? []).flatMap((p) => parsePemCertificates(p));
}

/** Is this an SM2 key? node gives SM2 keys read from files no asymmetricKeyType: the SPKI's curve decides. */
function isSm2Key(key: KeyObject): boolean {
  if (key.asymmetricKeyType === 'ec') return key.asymmetricKeyDetails?.namedCurve === 'SM2';
  if (key.asymmetricKeyType !== undefined) return false;
  try {
    const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
    const curve = Buffer.from([0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d]); // OID 1.2.156.10197.1.301
    return spki.subarray(0, 32).includes(curve);
  } catch {
    return false;
  }
}

/** The SM2 chain from `leaf` upwards (node cannot check SM2 certificate signatures: cn/ does). */
function orderSm2Chain(leaf: Uint8Array, pool: readonly Uint8Array[]): Uint8Array[] {
  try {
    const certs = pool.filter((c) => !sameBytes(c, leaf)).map((c) => parseSm2Certificate(c));
    const chain = [parseSm2Certificate(leaf)];
    for (let guard = 0; guard < 16; guard++) {
      const current = chain[chain.length - 1]!;
      if (sameBytes(current.subjectDer, current.issuerDer) && verifySm2CertificateSignature(current, current)) break;
      const next = certs.find((c) => !chain.includes(c) && sameBytes(c.subjectDer, current.issuerDer) && verifySm2CertificateSignature(current, c));
      if (next === undefined) break;
      chain.push(next);
    }
    return chain.map((c) => c.der);
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw new SealError('ERR_CERT_INVALID', 'a certificate cannot be read', { cause: err });
  }
}

/** The software Signer for a key: the SM2 Signer (cn/) for SM2 keys, createSoftwareSigner otherwise. */
function signerFor(key: KeyObject, leaf: Uint8Array, pool: readonly Uint8Array[]): Signer {
  if (isSm2Key(key)) return createSm2Signer(key, orderSm2Chain(leaf, pool));
  return createSoftwareSigner(key, orderChain(leaf, pool));
}

/** A Signer from a PEM certificate (+ chain) and a PEM private key. */
export function loadSignerFromPem(options: LoadPemOptions): Signer {
  const certs = parsePemCertificates(options.certPem);
  const leaf = certs[0];
  if (leaf === undefined) throw new SealError('ERR_CERT_INVALID', 'no PEM certificate found');
  const pool = [...certs.slice(1), ...chainPool(options.chainPems)];
  const key = loadPrivateKeyFromPem(options.keyPem, options.keyPassword);
  if (!keyMatches(key, leaf)) throw new SealError('ERR_KEY_MISMATCH', 'the private key does not belong to the certificate');
  return signerFor(key, leaf, pool);
}

/** A Signer from a PKCS#12 file (the key, its certificate and any chain certificates inside). */
export function loadSignerFromP12(bytes: Uint8Array, password: string, options: LoadP12Options = {}): Signer {
  const contents = parsePkcs12(bytes, password);
  if (contents.keys.length === 0) throw new SealError('ERR_KEY_INVALID', 'PKCS#12: no private key inside');
  if (contents.certificates.length === 0) throw new SealError('ERR_CERT_INVALID', 'PKCS#12: no certificate inside');
  const pool = [...contents.certificates.map((c) => c.der), ...chainPool(options.chainPems)];
  for (const c of contents.certificates) parseCertificateInfo(c.der);
  for (const bag of contents.keys) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: Buffer.from(bag.der), format: 'der', type: 'pkcs8' });
    } catch {
      throw new SealError('ERR_KEY_INVALID', 'PKCS#12: the private key cannot be read');
    }
    const leaf = contents.certificates.find((c) => keyMatches(key, c.der));
    if (leaf !== undefined) return signerFor(key, leaf.der, pool);
  }
  throw new SealError('ERR_KEY_MISMATCH', 'PKCS#12: no certificate inside belongs to the private key');
}

export type KeyFiles =
  | { p12: string; password: string; cert?: undefined; key?: undefined; keyPassword?: undefined }
  | { cert: string; key: string; keyPassword?: string; p12?: undefined; password?: undefined };

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new InputInvalidError(`cannot read the ${what} file ${path}`);
  }
}

/** The CLI's KEY options (--p12/--password or --cert/--key/--key-password, --chain...) to a Signer. */
export function loadSignerFromKeyFiles(files: KeyFiles, chainPaths: readonly string[] = []): Signer {
  const chainPems = chainPaths.map((p) => readInput(p, 'chain'));
  if (files.p12 !== undefined) return loadSignerFromP12(readInput(files.p12, 'PKCS#12'), files.password, { chainPems });
  return loadSignerFromPem({
    certPem: readInput(files.cert, 'certificate'),
    keyPem: readInput(files.key, 'key'),
    ...(files.keyPassword !== undefined ? { keyPassword: files.keyPassword } : {}),
    chainPems,
  });
}

/**
 * Refuse to seal with a certificate that is not valid at `at` (expired or not yet valid):
 * ERR_CERT_EXPIRED (CLI exit 65). Unreadable certificate: ERR_CERT_INVALID.
 */
export function checkCertificateUsable(certDer: Uint8Array, at: Date): void {
  const info = parseCertificateInfo(certDer);
  const t = at.getTime();
  if (Number.isNaN(t)) throw new InputInvalidError('invalid time');
  if (t < info.notBefore.getTime()) {
    throw new SealError('ERR_CERT_EXPIRED', `the seal certificate is not valid before ${info.notBefore.toISOString()}`);
  }
  if (t > info.notAfter.getTime()) {
    throw new SealError('ERR_CERT_EXPIRED', `the seal certificate expired at ${info.notAfter.toISOString()}`);
  }
}
