/**
 * Forward-only schema migrations, run at open inside one transaction each. `user_version`
 * holds the number of applied migrations; a database newer than this code is refused.
 * Times are INTEGER milliseconds since the epoch (UTC).
 */
import type Database from 'better-sqlite3';
import { SealError } from '@seal/core';

export const MIGRATIONS: readonly string[] = [
  // 1: the whole first schema.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;

  CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','officer','operator','auditor')),
    agency_id TEXT REFERENCES agencies(id),
    key_id TEXT NOT NULL UNIQUE,
    key_hash BLOB NOT NULL,
    key_salt BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    CHECK (role = 'admin' OR role = 'auditor' OR agency_id IS NOT NULL)
  ) STRICT;

  CREATE TABLE seal_requests (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    validity_days INTEGER NOT NULL,
    picture BLOB,
    state TEXT NOT NULL CHECK (state IN ('pending','approved','rejected','issued')),
    requested_by TEXT NOT NULL REFERENCES accounts(id),
    requested_at INTEGER NOT NULL,
    decided_by TEXT REFERENCES accounts(id),
    decided_at INTEGER,
    seal_id TEXT
  ) STRICT;

  CREATE TABLE seals (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    request_id TEXT NOT NULL UNIQUE REFERENCES seal_requests(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    picture BLOB,
    ca_id TEXT NOT NULL,
    serial TEXT NOT NULL,
    key_ref TEXT NOT NULL,
    cert_der BLOB NOT NULL,
    chain_pem TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active','suspended','revoked','expired')),
    state_changed_at INTEGER NOT NULL,
    UNIQUE (ca_id, serial)
  ) STRICT;
  CREATE INDEX seals_agency ON seals (agency_id);
  CREATE INDEX seals_serial ON seals (serial);

  -- Current entries of each CA's CRL: revoked seals and held (suspended) ones.
  CREATE TABLE revocations (
    seal_id TEXT PRIMARY KEY REFERENCES seals(id),
    ca_id TEXT NOT NULL,
    serial TEXT NOT NULL,
    reason INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL,
    invalidity_date INTEGER,
    revoked_by TEXT REFERENCES accounts(id)
  ) STRICT;
  CREATE INDEX revocations_ca ON revocations (ca_id);

  CREATE TABLE seal_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES seal_requests(id),
    seal_id TEXT,
    action TEXT NOT NULL,
    actor_id TEXT REFERENCES accounts(id),
    at INTEGER NOT NULL,
    detail TEXT NOT NULL
  ) STRICT;
  CREATE INDEX seal_events_request ON seal_events (request_id);
  CREATE INDEX seal_events_seal ON seal_events (seal_id);

  CREATE TABLE crls (
    ca_id TEXT NOT NULL,
    crl_number INTEGER NOT NULL,
    this_update INTEGER NOT NULL,
    next_update INTEGER NOT NULL,
    der BLOB NOT NULL,
    PRIMARY KEY (ca_id, crl_number)
  ) STRICT;

  -- Software key store: private keys only as AES-256-GCM ciphertext.
  CREATE TABLE keys (
    ref TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    public_spki BLOB NOT NULL,
    wrapped BLOB NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;

  -- Usage log: append-only leaves of a Merkle tree (RFC 9162), index = leaf position.
  CREATE TABLE usage_log (
    idx INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    seal_id TEXT NOT NULL,
    agency_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    document_kind TEXT NOT NULL,
    document_sha256 TEXT NOT NULL,
    signature_sha256 TEXT NOT NULL,
    leaf_hash BLOB NOT NULL
  ) STRICT;
  CREATE INDEX usage_log_seal ON usage_log (seal_id);
  CREATE TRIGGER usage_log_no_update BEFORE UPDATE ON usage_log BEGIN SELECT RAISE(ABORT, 'usage log is append-only'); END;
  CREATE TRIGGER usage_log_no_delete BEFORE DELETE ON usage_log BEGIN SELECT RAISE(ABORT, 'usage log is append-only'); END;

  CREATE TABLE log_checkpoints (
    tree_size INTEGER PRIMARY KEY,
    root_hash BLOB NOT NULL,
    at INTEGER NOT NULL,
    note TEXT NOT NULL,
    frontier BLOB NOT NULL
  ) STRICT;
  CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
  CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
  `,
  // 2: the status lookup table (one B-tree descent per OCSP/verification lookup), kept in step
  //    with seals and revocations by triggers, so no code path can forget it.
  `
  CREATE TABLE seal_status (
    ca_id TEXT NOT NULL,
    serial TEXT NOT NULL,
    seal_id TEXT NOT NULL,
    agency_id TEXT NOT NULL,
    state TEXT NOT NULL,
    not_after INTEGER NOT NULL,
    reason INTEGER,
    revoked_at INTEGER,
    invalidity_date INTEGER,
    PRIMARY KEY (ca_id, serial)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO seal_status
    SELECT s.ca_id, s.serial, s.id, s.agency_id, s.state, s.not_after, r.reason, r.revoked_at, r.invalidity_date
    FROM seals s LEFT JOIN revocations r ON r.seal_id = s.id;
  CREATE TRIGGER seal_status_insert AFTER INSERT ON seals BEGIN
    INSERT INTO seal_status (ca_id, serial, seal_id, agency_id, state, not_after) VALUES (new.ca_id, new.serial, new.id, new.agency_id, new.state, new.not_after);
  END;
  CREATE TRIGGER seal_status_state AFTER UPDATE OF state ON seals BEGIN
    UPDATE seal_status SET state = new.state WHERE ca_id = new.ca_id AND serial = new.serial;
  END;
  CREATE TRIGGER seal_status_no_delete BEFORE DELETE ON seals BEGIN SELECT RAISE(ABORT, 'seals are never deleted'); END;
  CREATE TRIGGER seal_status_revoked AFTER INSERT ON revocations BEGIN
    UPDATE seal_status SET reason = new.reason, revoked_at = new.revoked_at, invalidity_date = new.invalidity_date WHERE ca_id = new.ca_id AND serial = new.serial;
  END;
  CREATE TRIGGER seal_status_revocation_changed AFTER UPDATE ON revocations BEGIN
    UPDATE seal_status SET reason = new.reason, revoked_at = new.revoked_at, invalidity_date = new.invalidity_date WHERE ca_id = new.ca_id AND serial = new.serial;
  END;
  CREATE TRIGGER seal_status_unrevoked AFTER DELETE ON revocations BEGIN
    UPDATE seal_status SET reason = NULL, revoked_at = NULL, invalidity_date = NULL WHERE ca_id = old.ca_id AND serial = old.serial;
  END;
  `,
  // 3: usage-log entry ids: a random token (128 bits, hex) chosen BEFORE sealing, so the sealed
  //    document can name its own entry (the QR verification link). Old rows keep NULL; new rows
  //    with an id hash it into their leaf (leaf format seal-usage/v2, see usage-log.ts).
  `
  ALTER TABLE usage_log ADD COLUMN entry_id TEXT;
  CREATE UNIQUE INDEX usage_log_entry_id ON usage_log (entry_id) WHERE entry_id IS NOT NULL;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new SealError('ERR_CONFLICT', `registry database schema ${current} is newer than this code (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const sql = MIGRATIONS[v] as string;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
