import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { openDatabase, RegistryStore } from './store.js';

describe('store and migrations', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('migrates a version-1 database forward, filling the status table from existing rows', () => {
    const file = join(t.dir, 'v1.db');
    const old = new Database(file);
    old.exec(MIGRATIONS[0] as string);
    old.pragma('user_version = 1');
    old.exec(`
      INSERT INTO agencies VALUES ('ag', 'A', 0);
      INSERT INTO accounts (id, name, role, agency_id, key_id, key_hash, key_salt, created_at) VALUES ('acc', 'o', 'officer', 'ag', 'k', x'00', x'00', 0);
      INSERT INTO seal_requests (id, agency_id, kind, name, algorithm, validity_days, state, requested_by, requested_at) VALUES ('r1', 'ag', 'official', 'n', 'EC-P256', 1, 'issued', 'acc', 0), ('r2', 'ag', 'official', 'n', 'EC-P256', 1, 'issued', 'acc', 0);
      INSERT INTO seals (id, agency_id, request_id, kind, name, algorithm, ca_id, serial, key_ref, cert_der, chain_pem, not_before, not_after, state, state_changed_at)
        VALUES ('s1', 'ag', 'r1', 'official', 'n', 'EC-P256', 'seal-ca', '0a', 'k', x'30', '', 0, 9, 'active', 0),
               ('s2', 'ag', 'r2', 'official', 'n', 'EC-P256', 'seal-ca', '0b', 'k', x'30', '', 0, 9, 'revoked', 0);
      INSERT INTO revocations VALUES ('s2', 'seal-ca', '0b', 1, 5, NULL, 'acc');
    `);
    old.close();
    const store = new RegistryStore(openDatabase(file));
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(store.statusBySerial('0a', 'seal-ca')).toMatchObject({ id: 's1', state: 'active', reason: null });
      expect(store.statusBySerial('0b', 'seal-ca')).toMatchObject({ id: 's2', state: 'revoked', reason: 1, revokedAt: 5 });
      // triggers keep it in step from now on
      store.setSealState('s1', 'active', 'suspended', 7);
      store.upsertRevocation({ sealId: 's1', caId: 'seal-ca', serial: '0a', reason: 6, revokedAt: 7, invalidityDate: null, revokedBy: 'acc' });
      expect(store.statusBySerial('0a', 'seal-ca')).toMatchObject({ state: 'suspended', reason: 6, revokedAt: 7 });
      store.deleteRevocation('s1');
      expect(store.statusBySerial('0a', 'seal-ca')).toMatchObject({ reason: null, revokedAt: null });
      expect(store.statusBySerial('0a', 'other-ca')).toBeNull();
      expect(store.statusBySerial('0a')).toMatchObject({ id: 's1' });
      expect(() => store.db.prepare("DELETE FROM seals WHERE id = 's1'").run()).toThrow(/never deleted/);
    } finally {
      store.close();
    }
  });

  it('refuses a database from a newer schema and files that are not databases', async () => {
    const file = join(t.dir, 'future.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(file)).toThrow(expect.objectContaining({ code: 'ERR_CONFLICT' }));
    const { writeFileSync } = await import('node:fs');
    const junk = join(t.dir, 'junk.db');
    writeFileSync(junk, 'x'.repeat(4096));
    expect(() => openDatabase(junk)).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });
});
