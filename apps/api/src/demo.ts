/**
 * Demo data for `seal serve` on a fresh clone: a service-wide admin, two agencies, each with one
 * account per role and an active RSA and an active ECDSA seal (requested by the agency admin,
 * approved and issued by the agency officer: dual control as in production). The API keys are
 * written to a credentials file (mode 0600) the first time; later starts reuse it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { SealError } from '@seal/core';
import type { Registry, SealAlgorithm } from '@seal/registry';
import type { Role } from '@seal/client';

export interface DevCredentials {
  baseUrl: string;
  /** The service-wide admin (may create agencies). */
  serviceAdmin: string;
  agencies: Array<{
    id: string;
    name: string;
    keys: Record<Role, string>;
    seals: Array<{ id: string; name: string; algorithm: string }>;
  }>;
}

export const DEMO_AGENCIES = ['Demo Agency A', 'Demo Agency B'] as const;
const DEMO_SEALS: ReadonlyArray<{ suffix: string; algorithm: SealAlgorithm }> = [
  { suffix: 'official seal (RSA)', algorithm: 'RSA-2048' },
  { suffix: 'official seal (ECDSA)', algorithm: 'EC-P256' },
];

function isCredentials(v: unknown): v is DevCredentials {
  const c = v as DevCredentials;
  return typeof c === 'object' && c !== null && typeof c.serviceAdmin === 'string' && Array.isArray(c.agencies);
}

/** Create the demo data (first start) or check and reuse the credentials file (later starts). */
export async function ensureDemoData(registry: Registry, credentialsFile: string, baseUrl: string): Promise<DevCredentials> {
  if (existsSync(credentialsFile)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(credentialsFile, 'utf8'));
    } catch {
      throw new SealError('ERR_INPUT_INVALID', `${credentialsFile} is not valid JSON; delete the data directory to start over`);
    }
    if (!isCredentials(parsed)) throw new SealError('ERR_INPUT_INVALID', `${credentialsFile} is not a credentials file`);
    await registry.authenticate(parsed.serviceAdmin).catch(() => {
      throw new SealError('ERR_CONFLICT', `${credentialsFile} does not match the registry database; delete the data directory to start over`);
    });
    if (parsed.baseUrl !== baseUrl) {
      parsed.baseUrl = baseUrl;
      writeFileSync(credentialsFile, `${JSON.stringify(parsed, null, 2)}\n`, { mode: 0o600 });
    }
    return parsed;
  }

  const boot = await registry.bootstrapAdmin('service admin').catch(() => {
    throw new SealError('ERR_CONFLICT', `the registry already has an admin but ${credentialsFile} is missing; delete the data directory to start over`);
  });
  const credentials: DevCredentials = { baseUrl, serviceAdmin: boot.apiKey, agencies: [] };
  const root = boot.account;
  for (const name of DEMO_AGENCIES) {
    const agency = registry.createAgency(root, name);
    const keys = {} as Record<Role, string>;
    const accounts = {} as Record<Role, Awaited<ReturnType<Registry['createAccount']>>['account']>;
    for (const role of ['admin', 'officer', 'operator', 'auditor'] as const) {
      const made = await registry.createAccount(root, { name: `${name} ${role}`, role, agencyId: agency.id });
      keys[role] = made.apiKey;
      accounts[role] = made.account;
    }
    const seals: DevCredentials['agencies'][number]['seals'] = [];
    for (const s of DEMO_SEALS) {
      const sealName = `${name} ${s.suffix}`;
      const req = registry.requestSeal(accounts.admin, { agencyId: agency.id, kind: 'official', name: sealName, algorithm: s.algorithm });
      registry.approveRequest(accounts.officer, req.id);
      const seal = await registry.issueSeal(accounts.officer, req.id);
      seals.push({ id: seal.id, name: seal.name, algorithm: seal.algorithm });
    }
    credentials.agencies.push({ id: agency.id, name: agency.name, keys, seals });
  }
  writeFileSync(credentialsFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}
