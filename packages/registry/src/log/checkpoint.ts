/**
 * Signed checkpoints in the C2SP tlog-checkpoint form inside a C2SP signed note:
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n\n— <key name> <base64(key id[4] || Ed25519 signature)>\n
 *
 * The key id is the first 4 bytes of SHA-256(<key name> || "\n" || 0x01 || <32-byte public key>),
 * the signature covers the body (the three lines with their newlines). Any Go or JS tool for
 * signed notes can check it with the verifier key `<name>+<hex key id>+<base64(0x01 || key)>`.
 */
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { InputInvalidError, type Signer } from '@seal/core';

export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Uint8Array;
}

export interface LogKey {
  /** Key name in the note's signature line (no spaces, no '+'). */
  name: string;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

export function checkpointBody(c: Checkpoint): string {
  return `${c.origin}\n${c.treeSize}\n${Buffer.from(c.rootHash).toString('base64')}\n`;
}

export function logKeyId(key: LogKey): Uint8Array {
  return createHash('sha256').update(`${key.name}\n`).update(Uint8Array.of(1)).update(key.publicKey).digest().subarray(0, 4);
}

/** The vkey string of the signed-note ecosystem: `<name>+<hex id>+<base64(0x01 || key)>`. */
export function verifierKey(key: LogKey): string {
  return `${key.name}+${Buffer.from(logKeyId(key)).toString('hex')}+${Buffer.concat([Buffer.of(1), key.publicKey]).toString('base64')}`;
}

export async function signCheckpoint(c: Checkpoint, key: LogKey, signer: Signer): Promise<string> {
  const body = checkpointBody(c);
  const sig = await signer.sign(Buffer.from(body, 'utf8'), { scheme: 'Ed25519', hash: 'SHA-512' });
  return `${body}\n\u2014 ${key.name} ${Buffer.concat([logKeyId(key), sig]).toString('base64')}\n`;
}

function ed25519Key(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** Check a note's signature by `key` and parse it; null if it is malformed or not signed by the key. */
export function openCheckpoint(note: string, key: LogKey): Checkpoint | null {
  const sep = note.indexOf('\n\n');
  if (sep < 0) return null;
  const body = note.slice(0, sep + 1);
  const lines = body.split('\n');
  if (lines.length < 4) return null;
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) return null;
  const rootHash = Buffer.from(rootText, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== rootText) return null;
  const id = logKeyId(key);
  const prefix = `\u2014 ${key.name} `;
  for (const line of note.slice(sep + 2).split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const blob = Buffer.from(line.slice(prefix.length), 'base64');
    if (blob.length !== 68 || !blob.subarray(0, 4).equals(id)) continue;
    if (cryptoVerify(null, Buffer.from(body, 'utf8'), ed25519Key(key.publicKey), blob.subarray(4))) {
      return { origin, treeSize: Number(sizeText), rootHash };
    }
  }
  return null;
}

/** Parse a signed-note verifier key `<name>+<hex id>+<base64(0x01 || key)>` (Ed25519 only). */
export function parseVerifierKey(vkey: string): LogKey {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+=*)$/.exec(vkey.trim());
  if (m === null) throw new InputInvalidError('malformed log verifier key');
  const blob = Buffer.from(m[3] as string, 'base64');
  if (blob.length !== 33 || blob[0] !== 1) throw new InputInvalidError('log verifier key is not an Ed25519 key');
  const key: LogKey = { name: m[1] as string, publicKey: blob.subarray(1) };
  if (Buffer.from(logKeyId(key)).toString('hex') !== m[2]) throw new InputInvalidError('log verifier key id does not match');
  return key;
}
