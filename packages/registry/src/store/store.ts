/**
 * The SQLite store: schema, rows in and out, nothing else (no crypto, no policy). WAL mode,
 * foreign keys on, synchronous=FULL so that a committed transaction survives a crash.
 * Every statement is prepared once. Times are milliseconds since the epoch.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SealError } from '@seal/core';
import { migrate } from './migrations.js';
import type { Account, Agency, RequestState, Role, SealAlgorithm, SealEventAction, SealKind, SealState } from '../types.js';

export interface AccountRow extends Account {
  keyId: string;
  keyHash: Uint8Array;
  keySalt: Uint8Array;
}

export interface RequestRow {
  id: string;
  agencyId: string;
  kind: SealKind;
  name: string;
  algorithm: SealAlgorithm;
  validityDays: number;
  picture: Uint8Array | null;
  state: RequestState;
  requestedBy: string;
  requestedAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
  sealId: string | null;
}

export interface SealRow {
  id: string;
  agencyId: string;
  requestId: string;
  kind: SealKind;
  name: string;
  algorithm: SealAlgorithm;
  picture: Uint8Array | null;
  caId: string;
  serial: string;
  keyRef: string;
  certDer: Uint8Array;
  chainPem: string;
  notBefore: number;
  notAfter: number;
  state: SealState;
  stateChangedAt: number;
}

/** The columns a seal use needs (no picture, no PEM chain): read on every sealing request. */
export type SealForUse = Pick<SealRow, 'id' | 'agencyId' | 'algorithm' | 'caId' | 'keyRef' | 'certDer' | 'notBefore' | 'notAfter' | 'state'>;

export interface RevocationRow {
  sealId: string;
  caId: string;
  serial: string;
  reason: number;
  revokedAt: number;
  invalidityDate: number | null;
  revokedBy: string | null;
}

export interface EventRow {
  seq: number;
  requestId: string;
  sealId: string | null;
  action: SealEventAction;
  actorId: string | null;
  at: number;
  detail: string;
}

export interface StatusRow {
  id: string;
  agencyId: string;
  state: SealState;
  notAfter: number;
  reason: number | null;
  revokedAt: number | null;
  invalidityDate: number | null;
}

export interface CrlRow {
  caId: string;
  crlNumber: number;
  thisUpdate: number;
  nextUpdate: number;
  der: Uint8Array;
}

export interface KeyRow {
  ref: string;
  algorithm: string;
  publicSpki: Uint8Array;
  wrapped: Uint8Array;
  createdAt: number;
}

export interface LeafRow {
  idx: number;
  at: number;
  sealId: string;
  agencyId: string;
  accountId: string;
  documentKind: string;
  documentSha256: string;
  signatureSha256: string;
  leafHash: Uint8Array;
  /** Random entry id chosen before sealing (schema 3); null for older entries and callers without one. */
  entryId: string | null;
}

export interface CheckpointRow {
  treeSize: number;
  rootHash: Uint8Array;
  at: number;
  note: string;
  frontier: Uint8Array;
}

const u8 = (b: Buffer | Uint8Array | null): Uint8Array | null => (b === null ? null : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

/** Open (creating if needed) a registry database and bring its schema up to date. */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Database.Database {
  if (file !== ':memory:' && !options.readonly) mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (err) {
    throw new SealError('ERR_INPUT_INVALID', `cannot open registry database`, { cause: err });
  }
  try {
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // 64 MiB page cache: the serial indexes of a million seals stay in memory.
    db.pragma('cache_size = -65536');
    if (!options.readonly) migrate(db);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof SealError) throw err;
    throw new SealError('ERR_INPUT_INVALID', 'not a registry database', { cause: err });
  }
}

/** Rows in and out. One instance per connection; not shared across processes. */
export class RegistryStore {
  readonly db: Database.Database;
  private readonly s;

  constructor(db: Database.Database) {
    this.db = db;
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      metaGet: p('SELECT value FROM meta WHERE key = ?').pluck(),
      metaSet: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      agencyInsert: p('INSERT INTO agencies (id, name, created_at) VALUES (?, ?, ?)'),
      agencyGet: p('SELECT id, name, created_at AS createdAt FROM agencies WHERE id = ?'),
      agencyByName: p('SELECT id, name, created_at AS createdAt FROM agencies WHERE name = ?'),
      agencyList: p('SELECT id, name, created_at AS createdAt FROM agencies ORDER BY name'),
      accountInsert: p(
        'INSERT INTO accounts (id, name, role, agency_id, key_id, key_hash, key_salt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      accountGet: p(`SELECT ${ACCOUNT_COLS} FROM accounts WHERE id = ?`),
      accountByKeyId: p(`SELECT ${ACCOUNT_COLS} FROM accounts WHERE key_id = ?`),
      accountList: p(`SELECT ${ACCOUNT_COLS} FROM accounts ORDER BY created_at, id`),
      accountListAgency: p(`SELECT ${ACCOUNT_COLS} FROM accounts WHERE agency_id = ? ORDER BY created_at, id`),
      accountDisable: p('UPDATE accounts SET disabled = 1 WHERE id = ?'),
      requestInsert: p(
        `INSERT INTO seal_requests (id, agency_id, kind, name, algorithm, validity_days, picture, state, requested_by, requested_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      ),
      requestGet: p(`SELECT ${REQUEST_COLS} FROM seal_requests WHERE id = ?`),
      requestList: p(`SELECT ${REQUEST_COLS} FROM seal_requests ORDER BY requested_at, id`),
      requestListAgency: p(`SELECT ${REQUEST_COLS} FROM seal_requests WHERE agency_id = ? ORDER BY requested_at, id`),
      requestDecide: p('UPDATE seal_requests SET state = ?, decided_by = ?, decided_at = ? WHERE id = ? AND state = ?'),
      requestIssued: p("UPDATE seal_requests SET state = 'issued', seal_id = ? WHERE id = ? AND state = 'approved'"),
      sealInsert: p(
        `INSERT INTO seals (id, agency_id, request_id, kind, name, algorithm, picture, ca_id, serial, key_ref, cert_der, chain_pem,
           not_before, not_after, state, state_changed_at)
         VALUES (@id, @agencyId, @requestId, @kind, @name, @algorithm, @picture, @caId, @serial, @keyRef, @certDer, @chainPem,
           @notBefore, @notAfter, @state, @stateChangedAt)`,
      ),
      sealGet: p(`SELECT ${SEAL_COLS} FROM seals WHERE id = ?`),
      sealForUse: p('SELECT id, agency_id AS agencyId, algorithm, ca_id AS caId, key_ref AS keyRef, cert_der AS certDer, not_before AS notBefore, not_after AS notAfter, state FROM seals WHERE id = ?'),
      sealList: p(`SELECT ${SEAL_COLS} FROM seals ORDER BY agency_id, name, id`),
      sealListAgency: p(`SELECT ${SEAL_COLS} FROM seals WHERE agency_id = ? ORDER BY name, id`),
      sealSetState: p('UPDATE seals SET state = ?, state_changed_at = ? WHERE id = ? AND state = ?'),
      sealExpirable: p("SELECT id FROM seals WHERE state IN ('active','suspended') AND not_after < ?").pluck(),
      statusBySerialCa: p(
        `SELECT seal_id AS id, agency_id AS agencyId, state, not_after AS notAfter, reason, revoked_at AS revokedAt,
           invalidity_date AS invalidityDate FROM seal_status WHERE ca_id = ? AND serial = ?`,
      ),
      statusBySerial: p(
        `SELECT s.id, s.agency_id AS agencyId, s.state, s.not_after AS notAfter, r.reason, r.revoked_at AS revokedAt,
           r.invalidity_date AS invalidityDate
         FROM seals s LEFT JOIN revocations r ON r.seal_id = s.id WHERE s.serial = ?`,
      ),
      revocationUpsert: p(
        `INSERT INTO revocations (seal_id, ca_id, serial, reason, revoked_at, invalidity_date, revoked_by)
         VALUES (@sealId, @caId, @serial, @reason, @revokedAt, @invalidityDate, @revokedBy)
         ON CONFLICT (seal_id) DO UPDATE SET reason = excluded.reason, revoked_at = excluded.revoked_at,
           invalidity_date = excluded.invalidity_date, revoked_by = excluded.revoked_by`,
      ),
      revocationGet: p(`SELECT ${REVOCATION_COLS} FROM revocations WHERE seal_id = ?`),
      revocationDelete: p('DELETE FROM revocations WHERE seal_id = ?'),
      revocationList: p('SELECT serial, reason, revoked_at AS revokedAt, invalidity_date AS invalidityDate FROM revocations WHERE ca_id = ?').raw(),
      eventInsert: p('INSERT INTO seal_events (request_id, seal_id, action, actor_id, at, detail) VALUES (?, ?, ?, ?, ?, ?)'),
      eventsForRequest: p(`SELECT ${EVENT_COLS} FROM seal_events WHERE request_id = ? ORDER BY seq`),
      crlLatest: p('SELECT ca_id AS caId, crl_number AS crlNumber, this_update AS thisUpdate, next_update AS nextUpdate, der FROM crls WHERE ca_id = ? ORDER BY crl_number DESC LIMIT 1'),
      crlInsert: p('INSERT INTO crls (ca_id, crl_number, this_update, next_update, der) VALUES (?, ?, ?, ?, ?)'),
      keyInsert: p('INSERT INTO keys (ref, algorithm, public_spki, wrapped, created_at) VALUES (?, ?, ?, ?, ?)'),
      keyGet: p('SELECT ref, algorithm, public_spki AS publicSpki, wrapped, created_at AS createdAt FROM keys WHERE ref = ?'),
      leafInsert: p(
        `INSERT INTO usage_log (idx, at, seal_id, agency_id, account_id, document_kind, document_sha256, signature_sha256, leaf_hash, entry_id)
         VALUES (@idx, @at, @sealId, @agencyId, @accountId, @documentKind, @documentSha256, @signatureSha256, @leafHash, @entryId)`,
      ),
      leafGet: p(`SELECT ${LEAF_COLS} FROM usage_log WHERE idx = ?`),
      leafIter: p(`SELECT ${LEAF_COLS} FROM usage_log ORDER BY idx`),
      leafByEntryId: p(`SELECT ${LEAF_COLS} FROM usage_log WHERE entry_id = ?`),
      leafHashes: p('SELECT leaf_hash FROM usage_log WHERE idx < ? ORDER BY idx').pluck(),
      leafCount: p('SELECT count(*) FROM usage_log').pluck(),
      leavesForSeal: p(`SELECT ${LEAF_COLS} FROM usage_log WHERE seal_id = ? ORDER BY idx LIMIT ?`),
      checkpointInsert: p('INSERT INTO log_checkpoints (tree_size, root_hash, at, note, frontier) VALUES (?, ?, ?, ?, ?)'),
      checkpointLatest: p('SELECT tree_size AS treeSize, root_hash AS rootHash, at, note, frontier FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1'),
      checkpointGet: p('SELECT tree_size AS treeSize, root_hash AS rootHash, at, note, frontier FROM log_checkpoints WHERE tree_size = ?'),
      checkpointIter: p('SELECT tree_size AS treeSize, root_hash AS rootHash, at, note, frontier FROM log_checkpoints ORDER BY tree_size'),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  getMeta(key: string): Uint8Array | null {
    return u8((this.s.metaGet.get(key) as Buffer | undefined) ?? null);
  }
  setMeta(key: string, value: Uint8Array | string): void {
    this.s.metaSet.run(key, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
  }

  insertAgency(a: { id: string; name: string; createdAt: number }): void {
    this.s.agencyInsert.run(a.id, a.name, a.createdAt);
  }
  getAgency(id: string): Agency | null {
    return agencyOut(this.s.agencyGet.get(id));
  }
  getAgencyByName(name: string): Agency | null {
    return agencyOut(this.s.agencyByName.get(name));
  }
  listAgencies(): Agency[] {
    return this.s.agencyList.all().map((r) => agencyOut(r) as Agency);
  }

  insertAccount(a: { id: string; name: string; role: Role; agencyId: string | null; keyId: string; keyHash: Uint8Array; keySalt: Uint8Array; createdAt: number }): void {
    this.s.accountInsert.run(a.id, a.name, a.role, a.agencyId, a.keyId, a.keyHash, a.keySalt, a.createdAt);
  }
  getAccount(id: string): AccountRow | null {
    return accountOut(this.s.accountGet.get(id));
  }
  getAccountByKeyId(keyId: string): AccountRow | null {
    return accountOut(this.s.accountByKeyId.get(keyId));
  }
  listAccounts(agencyId?: string): AccountRow[] {
    const rows = agencyId === undefined ? this.s.accountList.all() : this.s.accountListAgency.all(agencyId);
    return rows.map((r) => accountOut(r) as AccountRow);
  }
  disableAccount(id: string): void {
    this.s.accountDisable.run(id);
  }

  insertRequest(r: { id: string; agencyId: string; kind: string; name: string; algorithm: string; validityDays: number; picture: Uint8Array | null; requestedBy: string; requestedAt: number }): void {
    this.s.requestInsert.run(r.id, r.agencyId, r.kind, r.name, r.algorithm, r.validityDays, r.picture, r.requestedBy, r.requestedAt);
  }
  getRequest(id: string): RequestRow | null {
    return requestOut(this.s.requestGet.get(id));
  }
  listRequests(agencyId?: string): RequestRow[] {
    const rows = agencyId === undefined ? this.s.requestList.all() : this.s.requestListAgency.all(agencyId);
    return rows.map((r) => requestOut(r) as RequestRow);
  }
  /** Compare-and-set of a request's state; false when it was not in `from` any more. */
  decideRequest(id: string, from: RequestState, to: RequestState, by: string, at: number): boolean {
    return this.s.requestDecide.run(to, by, at, id, from).changes === 1;
  }
  markRequestIssued(id: string, sealId: string): boolean {
    return this.s.requestIssued.run(sealId, id).changes === 1;
  }

  insertSeal(row: SealRow): void {
    this.s.sealInsert.run(row);
  }
  getSeal(id: string): SealRow | null {
    return sealOut(this.s.sealGet.get(id));
  }
  getSealForUse(id: string): SealForUse | null {
    const r = this.s.sealForUse.get(id) as (SealForUse & { certDer: Buffer }) | undefined;
    return r === undefined ? null : { ...r, certDer: u8(r.certDer) as Uint8Array };
  }
  listSeals(agencyId?: string): SealRow[] {
    const rows = agencyId === undefined ? this.s.sealList.all() : this.s.sealListAgency.all(agencyId);
    return rows.map((r) => sealOut(r) as SealRow);
  }
  /** Compare-and-set of a seal's state. */
  setSealState(id: string, from: SealState, to: SealState, at: number): boolean {
    return this.s.sealSetState.run(to, at, id, from).changes === 1;
  }
  expirableSeals(now: number): string[] {
    return this.s.sealExpirable.all(now) as string[];
  }

  /** The indexed status lookup behind OCSP and verification. */
  statusBySerial(serial: string, caId?: string): StatusRow | null {
    const row = caId === undefined ? this.s.statusBySerial.get(serial) : this.s.statusBySerialCa.get(caId, serial);
    return (row as StatusRow | undefined) ?? null;
  }

  upsertRevocation(r: RevocationRow): void {
    this.s.revocationUpsert.run(r);
  }
  getRevocation(sealId: string): RevocationRow | null {
    return (this.s.revocationGet.get(sealId) as RevocationRow | undefined) ?? null;
  }
  deleteRevocation(sealId: string): void {
    this.s.revocationDelete.run(sealId);
  }
  /** [serial, reason, revokedAt, invalidityDate] tuples of a CA's current CRL entries. */
  revocationsOf(caId: string): Array<[string, number, number, number | null]> {
    return this.s.revocationList.all(caId) as Array<[string, number, number, number | null]>;
  }

  insertEvent(e: { requestId: string; sealId: string | null; action: SealEventAction; actorId: string | null; at: number; detail: Record<string, unknown> }): void {
    this.s.eventInsert.run(e.requestId, e.sealId, e.action, e.actorId, e.at, JSON.stringify(e.detail));
  }
  eventsForRequest(requestId: string): EventRow[] {
    return this.s.eventsForRequest.all(requestId) as EventRow[];
  }

  latestCrl(caId: string): CrlRow | null {
    const r = this.s.crlLatest.get(caId) as (CrlRow & { der: Buffer }) | undefined;
    return r === undefined ? null : { ...r, der: u8(r.der) as Uint8Array };
  }
  insertCrl(r: CrlRow): void {
    this.s.crlInsert.run(r.caId, r.crlNumber, r.thisUpdate, r.nextUpdate, r.der);
  }

  insertKey(k: KeyRow): void {
    this.s.keyInsert.run(k.ref, k.algorithm, k.publicSpki, k.wrapped, k.createdAt);
  }
  getKey(ref: string): KeyRow | null {
    const r = this.s.keyGet.get(ref) as (KeyRow & { publicSpki: Buffer; wrapped: Buffer }) | undefined;
    return r === undefined ? null : { ...r, publicSpki: u8(r.publicSpki) as Uint8Array, wrapped: u8(r.wrapped) as Uint8Array };
  }

  /** Append leaves and their checkpoint in one durable transaction. */
  appendLeaves(leaves: readonly LeafRow[], checkpoint: CheckpointRow): void {
    this.transaction(() => {
      for (const leaf of leaves) this.s.leafInsert.run(leaf);
      this.s.checkpointInsert.run(checkpoint.treeSize, checkpoint.rootHash, checkpoint.at, checkpoint.note, checkpoint.frontier);
    });
  }
  getLeaf(idx: number): LeafRow | null {
    return leafOut(this.s.leafGet.get(idx));
  }
  getLeafByEntryId(entryId: string): LeafRow | null {
    return leafOut(this.s.leafByEntryId.get(entryId));
  }
  *iterateLeaves(): IterableIterator<LeafRow> {
    for (const r of this.s.leafIter.iterate()) yield leafOut(r) as LeafRow;
  }
  leafHashes(treeSize: number): Uint8Array[] {
    return (this.s.leafHashes.all(treeSize) as Buffer[]).map((b) => u8(b) as Uint8Array);
  }
  leafCount(): number {
    return this.s.leafCount.get() as number;
  }
  leavesForSeal(sealId: string, limit: number): LeafRow[] {
    return this.s.leavesForSeal.all(sealId, limit).map((r) => leafOut(r) as LeafRow);
  }
  latestCheckpoint(): CheckpointRow | null {
    return checkpointOut(this.s.checkpointLatest.get());
  }
  getCheckpoint(treeSize: number): CheckpointRow | null {
    return checkpointOut(this.s.checkpointGet.get(treeSize));
  }
  *iterateCheckpoints(): IterableIterator<CheckpointRow> {
    for (const r of this.s.checkpointIter.iterate()) yield checkpointOut(r) as CheckpointRow;
  }
}

const ACCOUNT_COLS =
  'id, name, role, agency_id AS agencyId, key_id AS keyId, key_hash AS keyHash, key_salt AS keySalt, created_at AS createdAt, disabled';
const REQUEST_COLS =
  'id, agency_id AS agencyId, kind, name, algorithm, validity_days AS validityDays, picture, state, requested_by AS requestedBy, requested_at AS requestedAt, decided_by AS decidedBy, decided_at AS decidedAt, seal_id AS sealId';
const SEAL_COLS =
  'id, agency_id AS agencyId, request_id AS requestId, kind, name, algorithm, picture, ca_id AS caId, serial, key_ref AS keyRef, cert_der AS certDer, chain_pem AS chainPem, not_before AS notBefore, not_after AS notAfter, state, state_changed_at AS stateChangedAt';
const REVOCATION_COLS =
  'seal_id AS sealId, ca_id AS caId, serial, reason, revoked_at AS revokedAt, invalidity_date AS invalidityDate, revoked_by AS revokedBy';
const EVENT_COLS = 'seq, request_id AS requestId, seal_id AS sealId, action, actor_id AS actorId, at, detail';
const LEAF_COLS =
  'idx, at, seal_id AS sealId, agency_id AS agencyId, account_id AS accountId, document_kind AS documentKind, document_sha256 AS documentSha256, signature_sha256 AS signatureSha256, leaf_hash AS leafHash, entry_id AS entryId';

type Raw = Record<string, unknown>;

function agencyOut(r: unknown): Agency | null {
  if (r === undefined) return null;
  const x = r as Raw;
  return { id: x['id'] as string, name: x['name'] as string, createdAt: new Date(x['createdAt'] as number).toISOString() };
}

function accountOut(r: unknown): AccountRow | null {
  if (r === undefined) return null;
  const x = r as Raw;
  return {
    id: x['id'] as string,
    name: x['name'] as string,
    role: x['role'] as Role,
    agencyId: (x['agencyId'] as string | null) ?? null,
    keyId: x['keyId'] as string,
    keyHash: u8(x['keyHash'] as Buffer) as Uint8Array,
    keySalt: u8(x['keySalt'] as Buffer) as Uint8Array,
    createdAt: new Date(x['createdAt'] as number).toISOString(),
    disabled: x['disabled'] === 1,
  };
}

function requestOut(r: unknown): RequestRow | null {
  if (r === undefined) return null;
  const x = r as RequestRow & { picture: Buffer | null };
  return { ...x, picture: u8(x.picture) };
}

function sealOut(r: unknown): SealRow | null {
  if (r === undefined) return null;
  const x = r as SealRow & { picture: Buffer | null; certDer: Buffer };
  return { ...x, picture: u8(x.picture), certDer: u8(x.certDer) as Uint8Array };
}

function leafOut(r: unknown): LeafRow | null {
  if (r === undefined) return null;
  const x = r as LeafRow & { leafHash: Buffer };
  return { ...x, leafHash: u8(x.leafHash) as Uint8Array };
}

function checkpointOut(r: unknown): CheckpointRow | null {
  if (r === undefined) return null;
  const x = r as CheckpointRow & { rootHash: Buffer; frontier: Buffer };
  return { ...x, rootHash: u8(x.rootHash) as Uint8Array, frontier: u8(x.frontier) as Uint8Array };
}
