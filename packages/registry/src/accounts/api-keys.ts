/**
 * API keys: `seal_<key id>_<secret>`. The key id (public, indexed) finds the account; only an
 * scrypt hash of the secret is stored, compared in constant time. Keys are shown once.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const SCRYPT = { N: 1 << 14, r: 8, p: 1 } as const;

export interface NewApiKey {
  apiKey: string;
  keyId: string;
  hash: Uint8Array;
  salt: Uint8Array;
}

function scryptAsync(secret: string, salt: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function newApiKey(): Promise<NewApiKey> {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16);
  return { apiKey: `seal_${keyId}_${secret}`, keyId, hash: await scryptAsync(secret, salt), salt };
}

/** Split a presented key; null if it is not of our form. */
export function parseApiKey(apiKey: string): { keyId: string; secret: string } | null {
  const m = /^seal_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(apiKey);
  return m === null ? null : { keyId: m[1] as string, secret: m[2] as string };
}

export async function checkApiKey(secret: string, hash: Uint8Array, salt: Uint8Array): Promise<boolean> {
  const h = await scryptAsync(secret, salt);
  return h.length === hash.length && timingSafeEqual(h, hash);
}

/** A cache key for verified API keys (so not every request pays scrypt); never the key itself. */
export function apiKeyFingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}
