/**
 * `seal registry ...`: operator commands over the registry database (no API, no keys needed).
 *
 *   seal registry bootstrap-admin --name NAME      create the first admin; prints its API key once
 *   seal registry agencies                          list agencies
 *   seal registry seals [--agency ID]               list seals
 *   seal registry history SEAL_OR_REQUEST_ID        a seal's transitions (who, when)
 *   seal registry verify-log [--log-key VKEY]       recompute the usage log; exit 1 if tampered
 *   seal registry backup OUT.db                     online backup
 *   seal registry restore IN.db [--force]           restore a backup over --db (service stopped)
 *
 * Every sub-command takes --db FILE (default data/registry.db) and --json.
 */
import { existsSync } from 'node:fs';
import { InputInvalidError } from '@seal/core';
import {
  backupDatabase,
  bootstrapAdminAccount,
  openRegistryStore,
  restoreDatabase,
  sealHistoryOf,
  verifyLogOf,
  type RegistryStore,
} from '@seal/registry';
import { parse, subcommand } from '../args.js';

const SUBCOMMANDS = ['bootstrap-admin', 'agencies', 'seals', 'history', 'verify-log', 'backup', 'restore'] as const;
const COMMON = { db: { type: 'string' }, json: { type: 'boolean' } } as const;
const DEFAULT_DB = 'data/registry.db';

function out(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text());
}

function openExisting(file: string): RegistryStore {
  if (!existsSync(file)) throw new InputInvalidError(`registry database ${file} not found`);
  return openRegistryStore(file);
}

function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ')).join('\n') + '\n';
}

export async function registryCommand(argv: string[]): Promise<number> {
  const [sub, rest] = subcommand('registry', argv, SUBCOMMANDS);
  switch (sub) {
    case 'bootstrap-admin': {
      const { values } = parse(rest, { ...COMMON, name: { type: 'string' } }, { min: 0, max: 0, names: 'no positional arguments' });
      if (!values.name) throw new InputInvalidError('--name is required');
      const store = openRegistryStore(values.db ?? DEFAULT_DB);
      try {
        const created = await bootstrapAdminAccount(store, values.name);
        out(values.json, created, () => `admin ${created.account.id} created\nAPI key (shown once, store it safely): ${created.apiKey}\n`);
      } finally {
        store.close();
      }
      return 0;
    }
    case 'agencies': {
      const { values } = parse(rest, COMMON, { min: 0, max: 0, names: 'no positional arguments' });
      const store = openExisting(values.db ?? DEFAULT_DB);
      try {
        const list = store.listAgencies();
        out(values.json, list, () => (list.length === 0 ? 'no agencies\n' : table([['ID', 'NAME', 'CREATED'], ...list.map((a) => [a.id, a.name, a.createdAt])])));
      } finally {
        store.close();
      }
      return 0;
    }
    case 'seals': {
      const { values } = parse(rest, { ...COMMON, agency: { type: 'string' } }, { min: 0, max: 0, names: 'no positional arguments' });
      const store = openExisting(values.db ?? DEFAULT_DB);
      try {
        const now = Date.now();
        const list = store.listSeals(values.agency).map((s) => ({
          id: s.id,
          agencyId: s.agencyId,
          kind: s.kind,
          name: s.name,
          algorithm: s.algorithm,
          state: (s.state === 'active' || s.state === 'suspended') && now > s.notAfter ? 'expired' : s.state,
          caId: s.caId,
          serial: s.serial,
          notBefore: new Date(s.notBefore).toISOString(),
          notAfter: new Date(s.notAfter).toISOString(),
        }));
        out(values.json, list, () =>
          list.length === 0 ? 'no seals\n' : table([['ID', 'AGENCY', 'KIND', 'STATE', 'ALG', 'SERIAL', 'NOT AFTER', 'NAME'], ...list.map((s) => [s.id, s.agencyId, s.kind, s.state, s.algorithm, s.serial, s.notAfter, s.name])]),
        );
      } finally {
        store.close();
      }
      return 0;
    }
    case 'history': {
      const { values, positionals } = parse(rest, COMMON, { min: 1, max: 1, names: 'SEAL_OR_REQUEST_ID' });
      const store = openExisting(values.db ?? DEFAULT_DB);
      try {
        const events = sealHistoryOf(store, positionals[0] as string);
        out(values.json, events, () =>
          table([['AT', 'ACTION', 'BY', 'DETAIL'], ...events.map((e) => [e.at, e.action, e.actorId ?? '-', Object.entries(e.detail).filter(([, v]) => v !== null && v !== '').map(([k, v]) => `${k}=${v}`).join(' ')])]),
        );
      } finally {
        store.close();
      }
      return 0;
    }
    case 'verify-log': {
      const { values } = parse(rest, { ...COMMON, 'log-key': { type: 'string' } }, { min: 0, max: 0, names: 'no positional arguments' });
      const store = openExisting(values.db ?? DEFAULT_DB);
      try {
        const v = verifyLogOf(store, values['log-key']);
        out(values.json, v, () => {
          const head = `usage log: ${v.entries} entries, ${v.checkpoints} signed checkpoints (newest covers ${v.checkpointSize})\n`;
          if (v.ok) return `${head}OK: every leaf, root and checkpoint signature verifies${values['log-key'] ? '' : ' (log key taken from the database; pass --log-key to pin it)'}\n`;
          return `${head}TAMPERED:\n${v.problems.map((p) => `  ${p.kind} at ${p.at}\n`).join('')}`;
        });
        return v.ok ? 0 : 1;
      } finally {
        store.close();
      }
    }
    case 'backup': {
      const { values, positionals } = parse(rest, COMMON, { min: 1, max: 1, names: 'OUT.db' });
      const target = positionals[0] as string;
      if (existsSync(target)) throw new InputInvalidError(`${target} exists; refusing to overwrite`);
      const store = openExisting(values.db ?? DEFAULT_DB);
      try {
        await backupDatabase(store, target);
      } finally {
        store.close();
      }
      out(values.json, { backup: target }, () => `backup written to ${target}\n`);
      return 0;
    }
    case 'restore': {
      const { values, positionals } = parse(rest, { ...COMMON, force: { type: 'boolean' } }, { min: 1, max: 1, names: 'IN.db' });
      const target = values.db ?? DEFAULT_DB;
      restoreDatabase(positionals[0] as string, target, { force: values.force ?? false });
      out(values.json, { restored: target }, () => `restored ${positionals[0]} to ${target}\n`);
      return 0;
    }
  }
  return 64;
}
