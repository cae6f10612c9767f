/**
 * Operations that need no CA and no master secret, over a store: bootstrap the first admin,
 * read-only listings, log verification with the stored (or a given) log key, backup and
 * restore. The CLI's `seal registry ...` commands are thin wrappers over these.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputInvalidError, SealError } from '@seal/core';
import { newApiKey } from './accounts/api-keys.js';
import { parseVerifierKey, type LogKey } from './log/checkpoint.js';
import { verifyLogRows, type LogVerification } from './log/usage-log.js';
import { SCHEMA_VERSION } from './store/migrations.js';
import { openDatabase, RegistryStore } from './store/store.js';
import type { Account, CreatedAccount, SealEvent } from './types.js';

/** Open a registry database without any key material (migrating it if needed). */
export function openRegistryStore(file: string): RegistryStore {
  return new RegistryStore(openDatabase(file));
}

/** Create the first admin account; ERR_CONFLICT once an admin exists. The API key is shown once. */
export async function bootstrapAdminAccount(store: RegistryStore, name: string, now = new Date()): Promise<CreatedAccount> {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200 || /[\u0000-\u001f]/.test(name)) {
    throw new InputInvalidError('names must be 1..200 printable characters');
  }
  const key = await newApiKey();
  const id = `acc_${randomBytes(10).toString('hex')}`;
  store.transaction(() => {
    if (store.listAccounts().some((a) => a.role === 'admin')) throw new SealError('ERR_CONFLICT', 'an admin already exists');
    store.insertAccount({ id, name, role: 'admin', agencyId: null, keyId: key.keyId, keyHash: key.hash, keySalt: key.salt, createdAt: now.getTime() });
  });
  const row = store.getAccount(id);
  if (row === null) throw new SealError('ERR_INTERNAL', 'account vanished');
  const account: Account = { id: row.id, name: row.name, role: row.role, agencyId: row.agencyId, createdAt: row.createdAt, disabled: row.disabled };
  return { account, apiKey: key.apiKey };
}

/** Transitions of a seal (or request), oldest first; ERR_SEAL_NOT_FOUND if neither exists. */
export function sealHistoryOf(store: RegistryStore, id: string): SealEvent[] {
  const seal = store.getSeal(id);
  const request = seal === null ? store.getRequest(id) : store.getRequest(seal.requestId);
  if (request === null) throw new SealError('ERR_SEAL_NOT_FOUND', 'no such seal or request');
  return store.eventsForRequest(request.id).map((e) => ({ ...e, at: new Date(e.at).toISOString(), detail: JSON.parse(e.detail) as SealEvent['detail'] }));
}

/** The log key stored in the database (trust on first use) or the one given as a signed-note vkey. */
export function logKeyOf(store: RegistryStore, vkey?: string): { key: LogKey; origin: string | null } {
  const origin = store.getMeta('log-origin');
  const originText = origin === null ? null : Buffer.from(origin).toString('utf8');
  if (vkey !== undefined) return { key: parseVerifierKey(vkey), origin: originText };
  const pub = store.getMeta('log-public-key');
  if (pub === null || originText === null) throw new SealError('ERR_NOT_FOUND', 'this database has no usage log yet');
  return { key: { name: originText.replace(/[^A-Za-z0-9._/-]/g, '_'), publicKey: pub }, origin: originText };
}

/** Verify the usage log of a database file. */
export function verifyLogOf(store: RegistryStore, vkey?: string): LogVerification {
  // A registry that never had a log: nothing to verify (but rows without a key are an error below).
  if (vkey === undefined && store.getMeta('log-public-key') === null && store.leafCount() === 0 && store.latestCheckpoint() === null) {
    return { ok: true, entries: 0, checkpointSize: 0, checkpoints: 0, problems: [] };
  }
  const { key, origin } = logKeyOf(store, vkey);
  return verifyLogRows(store, key, origin);
}

/**
 * Restore a backup over `target`: the backup is checked first (integrity_check, a registry
 * schema this code knows), copied next to the target, fsynced, and renamed into place; stale
 * WAL files of the target are removed. The service must be stopped while restoring.
 */
export function restoreDatabase(backupFile: string, target: string, options: { force?: boolean } = {}): void {
  if (!existsSync(backupFile)) throw new SealError('ERR_NOT_FOUND', 'backup file not found');
  let db: Database.Database;
  try {
    db = new Database(backupFile, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new InputInvalidError('not a SQLite database', { cause: err });
  }
  try {
    const ok = db.pragma('integrity_check', { simple: true });
    const version = db.pragma('user_version', { simple: true }) as number;
    const hasMeta = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('meta','seals','usage_log')").pluck().get();
    if (ok !== 'ok' || version < 1 || version > SCHEMA_VERSION || hasMeta !== 3) throw new InputInvalidError('not a usable registry backup');
  } catch (err) {
    throw err instanceof SealError ? err : new InputInvalidError('not a usable registry backup', { cause: err });
  } finally {
    db.close();
  }
  if (existsSync(target) && !options.force) throw new SealError('ERR_CONFLICT', 'target database exists (use --force)');
  const tmp = join(dirname(target), `.${basename(target)}.restore-${process.pid}`);
  copyFileSync(backupFile, tmp);
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  rmSync(`${target}-wal`, { force: true });
  rmSync(`${target}-shm`, { force: true });
  renameSync(tmp, target);
}
