/**
 * Software key store: private keys live in the registry database only as AES-256-GCM
 * ciphertext (PKCS#8 inside), under a key-encryption key derived with scrypt from a master
 * secret. The key reference is bound as additional authenticated data, so a wrapped key cannot
 * be moved to another reference. The master secret and the KEK are never logged or stored;
 * a check value in `meta` detects a wrong master secret at open.
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, randomUUID, scryptSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { SealError, createSm2Signer, createSoftwareSigner, type Signer } from '@seal/core';
import type { RegistryStore } from '../store/store.js';
import type { SealAlgorithm } from '../types.js';
import { keyParams, type GeneratedKey, type KeyStore } from './key-store.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export class KeyUnavailableError extends SealError {
  static readonly code = 'ERR_KEY_UNAVAILABLE';
  constructor(message = 'key unavailable') {
    super('ERR_KEY_UNAVAILABLE', message);
    this.name = 'KeyUnavailableError';
  }
}

/** scrypt cost of the KEK derivation; tests may lower it. */
export interface KdfOptions {
  N: number;
}
export const DEFAULT_KDF: KdfOptions = { N: 1 << 15 };

/**
 * The master secret from `SEAL_MASTER_SECRET`, else from the file named by
 * `SEAL_MASTER_SECRET_FILE`; at least 16 characters. Throws ERR_KEY_UNAVAILABLE if neither.
 */
export function resolveMasterSecret(env: NodeJS.ProcessEnv = process.env): string {
  let secret = env['SEAL_MASTER_SECRET'];
  const file = env['SEAL_MASTER_SECRET_FILE'];
  if ((secret === undefined || secret === '') && file) {
    try {
      secret = readFileSync(file, 'utf8').trim();
    } catch {
      throw new KeyUnavailableError('cannot read the master secret file');
    }
  }
  if (secret === undefined || secret === '') throw new KeyUnavailableError('no master secret: set SEAL_MASTER_SECRET or SEAL_MASTER_SECRET_FILE');
  if (secret.length < 16) throw new KeyUnavailableError('the master secret must be at least 16 characters');
  return secret;
}

const CHECK_PLAINTEXT = Buffer.from('seal-registry kek check v1');

function seal(kek: Buffer, plaintext: Uint8Array, aad: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([Buffer.of(1), iv, c.getAuthTag(), body]);
}

function open(kek: Buffer, blob: Uint8Array, aad: string): Buffer {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < 29 || b[0] !== 1) throw new KeyUnavailableError('wrapped key is malformed');
  const d = createDecipheriv('aes-256-gcm', kek, b.subarray(1, 13));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(b.subarray(13, 29));
  try {
    return Buffer.concat([d.update(b.subarray(29)), d.final()]);
  } catch {
    throw new KeyUnavailableError('wrapped key does not decrypt under this master secret');
  }
}

export class SoftwareKeyStore implements KeyStore {
  readonly kind = 'software' as const;
  private readonly kek: Buffer;
  private readonly cache = new Map<string, KeyObject>();

  constructor(
    private readonly store: RegistryStore,
    masterSecret: string,
    kdf: KdfOptions = DEFAULT_KDF,
  ) {
    if (masterSecret.length < 16) throw new KeyUnavailableError('the master secret must be at least 16 characters');
    let salt = store.getMeta('kek-salt');
    const check = store.getMeta('kek-check');
    const storedN = store.getMeta('kek-n');
    const n = storedN === null ? kdf.N : Number(Buffer.from(storedN).toString('utf8'));
    if (salt === null) {
      salt = randomBytes(16);
      store.setMeta('kek-salt', salt);
      store.setMeta('kek-n', String(n));
    }
    this.kek = scryptSync(masterSecret, salt, 32, { N: n, r: 8, p: 1, maxmem: 256 * n * 8 + 1024 * 1024 });
    if (check === null) {
      store.setMeta('kek-check', seal(this.kek, CHECK_PLAINTEXT, 'kek-check'));
    } else if (!open(this.kek, check, 'kek-check').equals(CHECK_PLAINTEXT)) {
      throw new KeyUnavailableError('wrong master secret');
    }
  }

  async generateKey(algorithm: SealAlgorithm): Promise<GeneratedKey> {
    if (algorithm === 'SM2') {
      // SM2 (issue 9): node generates the key on the SM2 curve; signing goes through createSm2Signer
      const pair = await generateKeyPairAsync('ec', { namedCurve: 'SM2' });
      const keyRef = `sw:${randomUUID()}`;
      this.storeKey(keyRef, algorithm, pair.privateKey);
      return { keyRef, publicKey: pair.publicKey };
    }
    const params = keyParams(algorithm);
    const pair =
      params.type === 'rsa'
        ? await generateKeyPairAsync('rsa', { modulusLength: params.modulusLength ?? 2048 })
        : await generateKeyPairAsync('ec', { namedCurve: params.namedCurve ?? 'P-256' });
    const keyRef = `sw:${randomUUID()}`;
    this.storeKey(keyRef, algorithm, pair.privateKey);
    return { keyRef, publicKey: pair.publicKey };
  }

  /** Put an existing private key under custody (e.g. the log key, an imported key). */
  storeKey(keyRef: string, algorithm: string, privateKey: KeyObject): void {
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    this.store.insertKey({ ref: keyRef, algorithm, publicSpki: spki, wrapped: seal(this.kek, pkcs8, keyRef), createdAt: Date.now() });
    pkcs8.fill(0);
  }

  has(keyRef: string): boolean {
    return this.store.getKey(keyRef) !== null;
  }

  async publicKey(keyRef: string): Promise<KeyObject> {
    const row = this.store.getKey(keyRef);
    if (row === null) throw new KeyUnavailableError('no such key');
    return createPublicKey({ key: Buffer.from(row.publicSpki), format: 'der', type: 'spki' });
  }

  /** The private key, for in-package signers only (never exported from the package). */
  privateKey(keyRef: string): KeyObject {
    const cached = this.cache.get(keyRef);
    if (cached) return cached;
    const row = this.store.getKey(keyRef);
    if (row === null) throw new KeyUnavailableError('no such key');
    const pkcs8 = open(this.kek, row.wrapped, keyRef);
    const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    pkcs8.fill(0);
    this.cache.set(keyRef, key);
    return key;
  }

  async signer(keyRef: string, certificateChain: readonly Uint8Array[]): Promise<Signer> {
    // createSoftwareSigner refuses SM2 keys (node would make ECDSA on the SM2 curve): the SM2 Signer
    if (this.store.getKey(keyRef)?.algorithm === 'SM2') return createSm2Signer(this.privateKey(keyRef), certificateChain);
    return createSoftwareSigner(this.privateKey(keyRef), certificateChain);
  }

  async close(): Promise<void> {
    this.cache.clear();
    this.kek.fill(0);
  }
}
