/**
 * The registry facade: one object over store, lifecycle, issuing CA, CRL, OCSP, usage log and
 * key store. Apps (API, CLI) use only this. Methods that change something take the acting
 * account first and check the authorisation matrix (lifecycle/transitions.ts) before writing.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPublicKey, generateKeyPairSync, randomBytes, verify as cryptoVerify } from 'node:crypto';
import { AlgorithmUnsupportedError, InputInvalidError, SealError, createSoftwareSigner, type Signer } from '@seal/core';
import { openDatabase, RegistryStore, type AccountRow, type RequestRow, type SealForUse, type SealRow } from './store/store.js';
import {
  ForbiddenError,
  SealStateError,
  authorize,
  authorizeAccountCreation,
  authorizeApproval,
  nextRequestState,
  nextSealState,
  type Actor,
} from './lifecycle/transitions.js';
import { issueSealCertificate, loadCertifiedSigner, randomSerial, signatureParams, type CertifiedSigner, type SignerSource } from './ca/issuing-ca.js';
import { buildCrl } from './crl/build-crl.js';
import { loadSm2Issuer, type Sm2Issuer, type Sm2IssuerOptions } from './ca/sm2-issuer.js';
import { buildOcspResponse, certIdMatchesIssuer, ocspErrorResponse, parseOcspRequest, type OcspCertStatus, type OcspRequest } from './ocsp/ocsp.js';
import { UsageLog, verifyLogRows, type AppendResult, type LogVerification } from './log/usage-log.js';
import { verifierKey, type LogKey } from './log/checkpoint.js';
import { threadLogWriter } from './log/log-writer.js';
import { SoftwareKeyStore, resolveMasterSecret, type KdfOptions } from './keystore/software.js';
import type { KeyStore } from './keystore/key-store.js';
import { bootstrapAdminAccount } from './operations.js';
import { apiKeyFingerprint, checkApiKey, newApiKey, parseApiKey } from './accounts/api-keys.js';
import {
  REVOCATION_REASONS,
  ROLES,
  SEAL_ALGORITHMS,
  SEAL_KINDS,
  type Account,
  type Agency,
  type CreatedAccount,
  type RevocationReason,
  type Role,
  type SealAlgorithm,
  type SealEvent,
  type SealKind,
  type SealRecord,
  type SealRequestRecord,
  type SealStatus,
  type UsageEntry,
} from './types.js';

export interface OpenRegistryOptions {
  /** SQLite file (created with its directory if missing) or ':memory:'. */
  file: string;
  /** Master secret of the software key store; default resolveMasterSecret() (env). */
  masterSecret?: string;
  /** The issuing CA: PEM (certificate first, then its issuers) + key, or a Signer. `id` names it in URLs (default 'seal-ca'). */
  issuingCa: SignerSource & { id?: string };
  /** The delegated OCSP responder (EKU OCSPSigning, issued by the issuing CA). */
  ocspResponder: SignerSource;
  /** Public base URL of the service, e.g. http://127.0.0.1:8080 (no trailing slash needed). */
  baseUrl: string;
  clock?: () => Date;
  /** Where seal keys live; default a SoftwareKeyStore in the same database. */
  keyStore?: KeyStore;
  /** CRL nextUpdate - thisUpdate, hours (default 24). */
  crlValidityHours?: number;
  /** OCSP nextUpdate - thisUpdate, minutes (default 60). */
  ocspValidityMinutes?: number;
  /** scrypt cost of the key-encryption key (tests lower it). */
  kdf?: KdfOptions;
  /** Origin line of log checkpoints (default `seal-registry/<random id>`, fixed at creation). */
  logOrigin?: string;
  /**
   * SM2 seals (issue 9): the SM2 issuing CA and its seal maker. Without it, issuing an SM2 request
   * fails with ERR_ALG_UNSUPPORTED. See ca/sm2-issuer.ts and docs/chinese-seals.md.
   */
  sm2?: Sm2IssuerOptions;
  /**
   * Where usage-log commits are written: 'inline' (default) on the caller's thread, or 'thread':
   * a worker thread with its own connection, so the fsync of each group commit does not stall
   * the event loop (what the HTTP server uses). Needs a database file.
   */
  logWriter?: 'inline' | 'thread';
}

export interface RequestSealOptions {
  agencyId: string;
  kind: SealKind;
  name: string;
  algorithm: SealAlgorithm;
  /** Default 730; capped by the issuing CA's validity. */
  validityDays?: number;
  /** Seal image (PNG/SVG bytes), at most 1 MiB. */
  picture?: Uint8Array;
}

export interface RevokeSealOptions {
  reason: RevocationReason;
  invalidityDate?: Date;
}

export interface CrlInfo {
  caId: string;
  crlNumber: number;
  thisUpdate: string;
  nextUpdate: string;
  der: Uint8Array;
}

/** One sealed document, as the usage log records it. */
export interface SealUseRecord {
  documentKind: string;
  documentSha256: string;
  signatureSha256: string;
  /** Random entry id chosen before sealing (see newEntryId); optional. */
  entryId?: string;
}

/**
 * Permission to seal now with one seal, checked once: the account is current, the seal belongs
 * to its agency, is active and valid. `record` appends each use to the usage log and resolves
 * once it is durable; the log entry names the seal, its agency and the account.
 */
export interface SealUse {
  readonly sealId: string;
  readonly agencyId: string;
  readonly algorithm: SealAlgorithm;
  readonly signer: Signer;
  record(use: SealUseRecord): Promise<AppendResult>;
}

const MAX_PICTURE = 1024 * 1024;
const DAY = 86_400_000;
const REASON_BY_CODE = new Map<number, RevocationReason>(Object.entries(REVOCATION_REASONS).map(([k, v]) => [v, k as RevocationReason]));
const newId = (prefix: string): string => `${prefix}_${randomBytes(10).toString('hex')}`;
const iso = (ms: number): string => new Date(ms).toISOString();

function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function accountOut(a: AccountRow): Account {
  return { id: a.id, name: a.name, role: a.role, agencyId: a.agencyId, createdAt: a.createdAt, disabled: a.disabled };
}

function requestOut(r: RequestRow): SealRequestRecord {
  return {
    id: r.id,
    agencyId: r.agencyId,
    kind: r.kind,
    name: r.name,
    algorithm: r.algorithm,
    validityDays: r.validityDays,
    hasPicture: r.picture !== null,
    state: r.state,
    requestedBy: r.requestedBy,
    requestedAt: iso(r.requestedAt),
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt === null ? null : iso(r.decidedAt),
    sealId: r.sealId,
  };
}

/**
 * Open a registry. The database is migrated, the log key created on first open (Ed25519, kept
 * encrypted by the software key store), and a first CRL made if the CA has none.
 */
export async function openRegistry(options: OpenRegistryOptions): Promise<Registry> {
  const db = openDatabase(options.file);
  const store = new RegistryStore(db);
  try {
    const secret = options.masterSecret ?? resolveMasterSecret();
    const software = new SoftwareKeyStore(store, secret, options.kdf);
    const registry = new Registry(store, software, options);
    await registry.init();
    return registry;
  } catch (err) {
    store.close();
    throw err;
  }
}

export class Registry {
  readonly caId: string;
  readonly baseUrl: string;
  private readonly ca: CertifiedSigner & { chain: { rawData: ArrayBuffer }[] };
  private readonly ocsp: CertifiedSigner;
  private readonly clock: () => Date;
  private readonly keyStore: KeyStore;
  /** The SM2 issuing CA and seal maker, when configured. */
  readonly sm2: Sm2Issuer | null;
  private log!: UsageLog;
  private crlChain: Promise<unknown> = Promise.resolve();
  private readonly authCache = new Map<string, { accountId: string; until: number }>();
  private crlTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly store: RegistryStore,
    private readonly software: SoftwareKeyStore,
    private readonly options: OpenRegistryOptions,
  ) {
    this.caId = options.issuingCa.id ?? 'seal-ca';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(this.caId)) throw new InputInvalidError('bad CA id');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.ca = loadCertifiedSigner(options.issuingCa);
    this.ocsp = loadCertifiedSigner(options.ocspResponder);
    this.clock = options.clock ?? (() => new Date());
    this.keyStore = options.keyStore ?? software;
    this.sm2 = options.sm2 ? loadSm2Issuer(options.sm2) : null;
    if (this.sm2 !== null && this.sm2.id === this.caId) throw new InputInvalidError('the SM2 CA id must differ from the issuing CA id');
  }

  /** @internal */
  async init(): Promise<void> {
    await this.checkIdentities();
    let pub = this.store.getMeta('log-public-key');
    if (pub === null || !this.software.has('log:ed25519')) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      this.store.transaction(() => {
        this.software.storeKey('log:ed25519', 'Ed25519', privateKey);
        const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
        this.store.setMeta('log-public-key', raw);
        this.store.setMeta('log-origin', this.options.logOrigin ?? `seal-registry/${randomBytes(6).toString('hex')}`);
      });
      pub = this.store.getMeta('log-public-key') as Uint8Array;
    }
    const origin = Buffer.from(this.store.getMeta('log-origin') as Uint8Array).toString('utf8');
    const key: LogKey = { name: origin.replace(/[^A-Za-z0-9._/-]/g, '_'), publicKey: pub };
    const signer = createSoftwareSigner(this.software.privateKey('log:ed25519'), []);
    const threaded = this.options.logWriter === 'thread';
    if (threaded && this.options.file === ':memory:') throw new InputInvalidError('a threaded usage-log writer needs a database file');
    const writer = threaded ? await threadLogWriter(this.options.file) : undefined;
    this.log = new UsageLog({ store: this.store, signer, key, origin, clock: this.clock, ...(writer === undefined ? {} : { writer }) });
    for (const caId of this.crlIssuerIds) if (this.store.latestCrl(caId) === null) await this.regenerateCrl(caId);
  }

  /**
   * Fail closed at open: the CA may sign certificates and CRLs, its key matches its certificate,
   * and the OCSP responder is a delegated responder of this CA (EKU OCSPSigning, issued by it,
   * key matching). With the `sm2` option, the SM2 CA's and seal maker's keys match theirs too.
   */
  private async checkIdentities(): Promise<void> {
    const bad = (m: string): SealError => new SealError('ERR_CERT_INVALID', m);
    const ca = this.ca.certificate;
    const bc = ca.getExtension(x509.BasicConstraintsExtension);
    const ku = ca.getExtension(x509.KeyUsagesExtension);
    if (!bc?.ca) throw bad('the issuing CA certificate is not a CA');
    if (ku && (ku.usages & (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)) !== (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)) {
      throw bad('the issuing CA may not sign certificates and CRLs');
    }
    const ocsp = this.ocsp.certificate;
    const eku = ocsp.getExtension(x509.ExtendedKeyUsageExtension);
    if (!eku?.usages.map(String).includes('1.3.6.1.5.5.7.3.9')) throw bad('the OCSP responder certificate lacks EKU OCSPSigning');
    if (!(await ocsp.verify({ publicKey: ca.publicKey, signatureOnly: true }))) throw bad('the OCSP responder is not issued by the issuing CA');
    for (const [who, id] of [['issuing CA', this.ca], ['OCSP responder', this.ocsp]] as const) {
      const probe = randomBytes(32);
      const req = signatureParams(id.signer);
      const sig = await id.signer.sign(probe, req);
      const pub = createPublicKey({ key: Buffer.from(id.certificate.publicKey.rawData), format: 'der', type: 'spki' });
      const ok = cryptoVerify(req.hash === 'SHA-384' ? 'sha384' : 'sha256', probe, { key: pub, dsaEncoding: 'der' }, sig);
      if (!ok) throw new SealError('ERR_KEY_MISMATCH', `the ${who} key does not match its certificate`);
    }
    // the SM2 CA signs CRLs and certificates, its seal maker SES_Seals: same probe (ca/sm2-issuer.ts)
    if (this.sm2 !== null) await this.sm2.checkKeys();
  }

  // ---------------------------------------------------------------- accounts & agencies

  /** Create the first admin. Refused (ERR_CONFLICT) once any admin exists. */
  async bootstrapAdmin(name: string): Promise<CreatedAccount> {
    return bootstrapAdminAccount(this.store, name, this.clock());
  }

  async createAccount(actor: Actor, o: { name: string; role: Role; agencyId?: string | null }): Promise<CreatedAccount> {
    this.fresh(actor);
    checkName(o.name);
    if (!ROLES.includes(o.role)) throw new InputInvalidError('unknown role');
    const agencyId = o.agencyId ?? null;
    authorizeAccountCreation(actor, o.role, agencyId);
    if (agencyId !== null && this.store.getAgency(agencyId) === null) throw new SealError('ERR_NOT_FOUND', 'no such agency');
    if (agencyId === null && (o.role === 'officer' || o.role === 'operator')) throw new InputInvalidError('officers and operators belong to an agency');
    return this.insertAccount(o.name, o.role, agencyId);
  }

  private async insertAccount(name: string, role: Role, agencyId: string | null): Promise<CreatedAccount> {
    const key = await newApiKey();
    const id = newId('acc');
    const createdAt = this.clock().getTime();
    this.store.insertAccount({ id, name, role, agencyId, keyId: key.keyId, keyHash: key.hash, keySalt: key.salt, createdAt });
    return { account: accountOut(this.store.getAccount(id) as AccountRow), apiKey: key.apiKey };
  }

  /** The account an API key belongs to; ERR_UNAUTHENTICATED for anything else (fixed message). */
  async authenticate(apiKey: string): Promise<Account> {
    const fail = (): SealError => new SealError('ERR_UNAUTHENTICATED', 'invalid API key');
    const parsed = typeof apiKey === 'string' ? parseApiKey(apiKey) : null;
    if (parsed === null) throw fail();
    const fp = apiKeyFingerprint(apiKey);
    const now = Date.now();
    const cached = this.authCache.get(fp);
    const row = this.store.getAccountByKeyId(parsed.keyId);
    if (row === null || row.disabled) throw fail();
    if (cached !== undefined && cached.until > now && cached.accountId === row.id) return accountOut(row);
    if (!(await checkApiKey(parsed.secret, row.keyHash, row.keySalt))) throw fail();
    if (this.authCache.size > 10_000) this.authCache.clear();
    this.authCache.set(fp, { accountId: row.id, until: now + 5 * 60_000 });
    return accountOut(row);
  }

  getAccount(id: string): Account | null {
    const row = this.store.getAccount(id);
    return row === null ? null : accountOut(row);
  }

  listAccounts(actor: Actor, agencyId?: string): Account[] {
    this.fresh(actor);
    authorize(actor, 'manage-accounts', agencyId ?? actor.agencyId);
    return this.store.listAccounts(agencyId ?? actor.agencyId ?? undefined).map(accountOut);
  }

  disableAccount(actor: Actor, accountId: string): void {
    this.fresh(actor);
    const target = this.store.getAccount(accountId);
    if (target === null) throw new SealError('ERR_NOT_FOUND', 'no such account');
    authorizeAccountCreation(actor, target.role, target.agencyId);
    this.store.disableAccount(accountId);
    this.authCache.clear();
  }

  createAgency(actor: Actor, name: string): Agency {
    this.fresh(actor);
    authorize(actor, 'manage-agencies');
    checkName(name);
    if (this.store.getAgencyByName(name) !== null) throw new SealError('ERR_CONFLICT', 'an agency with this name exists');
    const id = newId('ag');
    this.store.insertAgency({ id, name, createdAt: this.clock().getTime() });
    return this.store.getAgency(id) as Agency;
  }

  getAgency(id: string): Agency | null {
    return this.store.getAgency(id);
  }

  /** Agencies the actor may see: all for service-wide accounts, else its own. */
  listAgencies(actor?: Actor): Agency[] {
    const all = this.store.listAgencies();
    if (actor === undefined) return all;
    this.fresh(actor);
    return actor.agencyId === null ? all : all.filter((a) => a.id === actor.agencyId);
  }

  // ---------------------------------------------------------------- lifecycle

  requestSeal(actor: Actor, o: RequestSealOptions): SealRequestRecord {
    this.fresh(actor);
    authorize(actor, 'request-seal', o.agencyId);
    if (this.store.getAgency(o.agencyId) === null) throw new SealError('ERR_NOT_FOUND', 'no such agency');
    if (!SEAL_KINDS.includes(o.kind)) throw new InputInvalidError('unknown seal kind');
    if (!SEAL_ALGORITHMS.includes(o.algorithm)) throw new InputInvalidError('unknown seal algorithm');
    checkName(o.name);
    const validityDays = o.validityDays ?? 730;
    if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 36_500) throw new InputInvalidError('validityDays must be 1..36500');
    if (o.picture !== undefined && (!(o.picture instanceof Uint8Array) || o.picture.length === 0 || o.picture.length > MAX_PICTURE)) {
      throw new SealError('ERR_INPUT_TOO_LARGE', 'seal picture must be 1 byte .. 1 MiB');
    }
    const id = newId('req');
    const at = this.clock().getTime();
    this.store.transaction(() => {
      this.store.insertRequest({ id, agencyId: o.agencyId, kind: o.kind, name: o.name, algorithm: o.algorithm, validityDays, picture: o.picture ?? null, requestedBy: actor.id, requestedAt: at });
      this.store.insertEvent({ requestId: id, sealId: null, action: 'requested', actorId: actor.id, at, detail: { kind: o.kind, name: o.name, algorithm: o.algorithm } });
    });
    return requestOut(this.store.getRequest(id) as RequestRow);
  }

  getRequest(id: string): SealRequestRecord | null {
    const r = this.store.getRequest(id);
    return r === null ? null : requestOut(r);
  }

  listRequests(actor: Actor, agencyId?: string): SealRequestRecord[] {
    this.fresh(actor);
    const scope = agencyId ?? actor.agencyId;
    authorize(actor, 'read-registry', scope);
    return this.store.listRequests(scope ?? undefined).map(requestOut);
  }

  private loadRequest(id: string): RequestRow {
    const r = this.store.getRequest(id);
    if (r === null) throw new SealError('ERR_NOT_FOUND', 'no such seal request');
    return r;
  }

  /** Dual control: an officer or admin of the agency who is not the requester approves. */
  approveRequest(actor: Actor, requestId: string): SealRequestRecord {
    return this.decide(actor, requestId, 'approve', {});
  }

  rejectRequest(actor: Actor, requestId: string, note = ''): SealRequestRecord {
    return this.decide(actor, requestId, 'reject', { note: note.slice(0, 500) });
  }

  private decide(actor: Actor, requestId: string, action: 'approve' | 'reject', detail: Record<string, string>): SealRequestRecord {
    this.fresh(actor);
    const r = this.loadRequest(requestId);
    authorizeApproval(actor, r);
    const to = nextRequestState(r.state, action);
    const at = this.clock().getTime();
    this.store.transaction(() => {
      if (!this.store.decideRequest(requestId, r.state, to, actor.id, at)) throw new SealStateError('the request changed meanwhile');
      this.store.insertEvent({ requestId, sealId: null, action: action === 'approve' ? 'approved' : 'rejected', actorId: actor.id, at, detail });
    });
    return requestOut(this.store.getRequest(requestId) as RequestRow);
  }

  /** Issue an approved request: key generated in the key store, certificate by the issuing CA. */
  async issueSeal(actor: Actor, requestId: string): Promise<SealRecord> {
    this.fresh(actor);
    const r = this.loadRequest(requestId);
    authorize(actor, 'issue-seal', r.agencyId);
    nextRequestState(r.state, 'issue');
    // SM2 seals: certificate by the SM2 CA, v4 SES_Seal by its seal maker (ca/sm2-issuer.ts)
    const sm2 = r.algorithm === 'SM2' ? this.sm2 : null;
    if (r.algorithm === 'SM2' && sm2 === null) throw new AlgorithmUnsupportedError('SM2 seals need an SM2 issuing CA (openRegistry option sm2)');
    const caId = sm2 ? sm2.id : this.caId;
    const now = this.clock();
    const caCert = sm2 ?? this.ca.certificate;
    if (now < caCert.notBefore || now >= caCert.notAfter) throw new SealError('ERR_CERT_EXPIRED', 'the issuing CA is not valid now');
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const notAfter = new Date(Math.min(notBefore.getTime() + r.validityDays * DAY, caCert.notAfter.getTime()));
    const agency = this.store.getAgency(r.agencyId) as Agency;
    const key = await this.keyStore.generateKey(r.algorithm);
    const spki = new Uint8Array(key.publicKey.export({ format: 'der', type: 'spki' }));
    let serial = randomSerial();
    while (this.store.statusBySerial(serial, caId) !== null) serial = randomSerial();
    const sealId = newId('seal');
    let certDer: Uint8Array;
    let chainPem: string;
    let picture = r.picture;
    let ses: Uint8Array | null = null;
    if (sm2) {
      const subject = { commonName: r.name, organization: agency.name, organizationalUnit: r.kind };
      certDer = await sm2.issueCertificate({
        subject,
        publicKey: key.publicKey,
        serial,
        notBefore,
        notAfter,
        crlUrl: `${this.baseUrl}/v1/crl/${sm2.id}`,
        ocspUrl: `${this.baseUrl}/v1/ocsp`,
      });
      chainPem = [certDer, ...sm2.chain].map(toPem).join('');
      const made = await sm2.makeSeal({ esId: sealId, name: r.name, agencyName: agency.name, certDer, notBefore, notAfter, picture: r.picture });
      ses = made.ses;
      picture = made.picture;
    } else {
      const cert = await issueSealCertificate({
        ca: this.ca,
        serial,
        subject: { commonName: r.name, organization: agency.name, organizationalUnit: r.kind },
        publicKeySpki: spki,
        notBefore,
        notAfter,
        crlUrl: `${this.baseUrl}/v1/crl/${this.caId}`,
        ocspUrl: `${this.baseUrl}/v1/ocsp`,
      });
      certDer = new Uint8Array(cert.rawData);
      chainPem = [certDer, ...this.ca.chain.map((c) => new Uint8Array(c.rawData))].map(toPem).join('');
    }
    const at = this.clock().getTime();
    this.store.transaction(() => {
      if (!this.store.markRequestIssued(requestId, sealId)) throw new SealStateError('the request changed meanwhile');
      this.store.insertSeal({
        id: sealId,
        agencyId: r.agencyId,
        requestId,
        kind: r.kind,
        name: r.name,
        algorithm: r.algorithm,
        picture,
        caId,
        serial,
        keyRef: key.keyRef,
        certDer,
        chainPem,
        notBefore: notBefore.getTime(),
        notAfter: notAfter.getTime(),
        state: 'active',
        stateChangedAt: at,
      });
      // the SES_Seal lives in meta (no schema migration): key `ses-seal:<sealId>`
      if (ses !== null) this.store.setMeta(`ses-seal:${sealId}`, ses);
      this.store.insertEvent({ requestId, sealId, action: 'issued', actorId: actor.id, at, detail: { serial, keyRef: key.keyRef, notAfter: notAfter.toISOString() } });
    });
    return this.sealOut(this.store.getSeal(sealId) as SealRow);
  }

  private loadSeal(id: string): SealRow {
    const s = this.store.getSeal(id);
    if (s === null) throw new SealError('ERR_SEAL_NOT_FOUND', 'no such seal');
    return s;
  }

  private sealOut(s: SealRow): SealRecord {
    const rev = this.store.getRevocation(s.id);
    return {
      id: s.id,
      agencyId: s.agencyId,
      requestId: s.requestId,
      kind: s.kind,
      name: s.name,
      algorithm: s.algorithm,
      state: this.effectiveState(s.state, s.notAfter),
      caId: s.caId,
      serial: s.serial,
      keyRef: s.keyRef,
      notBefore: iso(s.notBefore),
      notAfter: iso(s.notAfter),
      certificateChainPem: s.chainPem,
      hasPicture: s.picture !== null,
      stateChangedAt: iso(s.stateChangedAt),
      revocation: rev === null ? null : { reason: REASON_BY_CODE.get(rev.reason) ?? 'unspecified', revokedAt: iso(rev.revokedAt), invalidityDate: rev.invalidityDate === null ? null : iso(rev.invalidityDate) },
    };
  }

  private effectiveState(state: SealRow['state'], notAfter: number): SealRow['state'] {
    return (state === 'active' || state === 'suspended') && this.clock().getTime() > notAfter ? 'expired' : state;
  }

  /** A seal; without an actor no authorisation is checked (internal use by trusted code). */
  getSeal(sealId: string, actor?: Actor): SealRecord {
    const s = this.loadSeal(sealId);
    if (actor !== undefined) {
      this.fresh(actor);
      authorize(actor, 'read-registry', s.agencyId);
    }
    return this.sealOut(s);
  }

  /** The GB/T 38540 v4 SES_Seal (DER) of an SM2 seal; null for other seals. */
  getSesSeal(sealId: string, actor?: Actor): Uint8Array | null {
    const s = this.loadSeal(sealId);
    if (actor !== undefined) authorize(this.fresh(actor), 'read-registry', s.agencyId);
    return s.algorithm === 'SM2' ? this.store.getMeta(`ses-seal:${sealId}`) : null;
  }

  getSealPicture(sealId: string, actor?: Actor): Uint8Array | null {
    const s = this.loadSeal(sealId);
    if (actor !== undefined) authorize(this.fresh(actor), 'read-registry', s.agencyId);
    return s.picture;
  }

  listSeals(actor?: Actor, agencyId?: string): SealRecord[] {
    let scope = agencyId;
    if (actor !== undefined) {
      this.fresh(actor);
      scope = agencyId ?? actor.agencyId ?? undefined;
      authorize(actor, 'read-registry', scope ?? null);
    }
    return this.store.listSeals(scope).map((s) => this.sealOut(s));
  }

  /** Every recorded transition of a seal (or of a request), oldest first. */
  sealHistory(idOfSealOrRequest: string, actor?: Actor): SealEvent[] {
    const seal = this.store.getSeal(idOfSealOrRequest);
    const request = seal === null ? this.store.getRequest(idOfSealOrRequest) : this.store.getRequest(seal.requestId);
    if (request === null) throw new SealError('ERR_SEAL_NOT_FOUND', 'no such seal or request');
    if (actor !== undefined) authorize(this.fresh(actor), 'read-registry', request.agencyId);
    return this.store.eventsForRequest(request.id).map((e) => ({ ...e, at: iso(e.at), detail: JSON.parse(e.detail) as SealEvent['detail'] }));
  }

  /** Suspend (certificateHold on the CRL and in OCSP). */
  async suspendSeal(actor: Actor, sealId: string, note = ''): Promise<SealRecord> {
    return this.changeSeal(actor, sealId, 'suspend', 'suspend-seal', { reason: 'certificateHold', note });
  }

  /** Lift a suspension (the entry leaves the CRL). */
  async reinstateSeal(actor: Actor, sealId: string, note = ''): Promise<SealRecord> {
    return this.changeSeal(actor, sealId, 'reinstate', 'suspend-seal', { reason: 'unspecified', note });
  }

  /** Revoke for good, with an RFC 5280 reason (not certificateHold/removeFromCRL) and optional invalidity date. */
  async revokeSeal(actor: Actor, sealId: string, o: RevokeSealOptions): Promise<SealRecord> {
    if (!(o.reason in REVOCATION_REASONS) || o.reason === 'certificateHold' || o.reason === 'removeFromCRL') {
      throw new InputInvalidError('revocation reason must be an RFC 5280 reason other than certificateHold/removeFromCRL');
    }
    if (o.invalidityDate !== undefined && (!(o.invalidityDate instanceof Date) || Number.isNaN(o.invalidityDate.getTime()) || o.invalidityDate > this.clock())) {
      throw new InputInvalidError('invalidityDate must be a past date');
    }
    return this.changeSeal(actor, sealId, 'revoke', 'revoke-seal', { reason: o.reason, invalidityDate: o.invalidityDate ?? null, note: '' });
  }

  private async changeSeal(
    actor: Actor,
    sealId: string,
    action: 'suspend' | 'reinstate' | 'revoke',
    permission: 'suspend-seal' | 'revoke-seal',
    o: { reason: RevocationReason; invalidityDate?: Date | null; note: string },
  ): Promise<SealRecord> {
    this.fresh(actor);
    const s = this.loadSeal(sealId);
    authorize(actor, permission, s.agencyId);
    const from = this.effectiveState(s.state, s.notAfter);
    const to = nextSealState(from, action);
    const at = this.clock().getTime();
    this.store.transaction(() => {
      if (!this.store.setSealState(sealId, s.state, to, at)) throw new SealStateError('the seal changed meanwhile');
      if (action === 'reinstate') this.store.deleteRevocation(sealId);
      else {
        const previous = this.store.getRevocation(sealId);
        this.store.upsertRevocation({
          sealId,
          caId: s.caId,
          serial: s.serial,
          reason: REVOCATION_REASONS[o.reason],
          // A revocation of a held certificate keeps the hold's date unless none.
          revokedAt: previous?.revokedAt ?? at,
          invalidityDate: o.invalidityDate ? o.invalidityDate.getTime() : null,
          revokedBy: actor.id,
        });
      }
      const eventAction = action === 'suspend' ? 'suspended' : action === 'reinstate' ? 'reinstated' : 'revoked';
      this.store.insertEvent({
        requestId: s.requestId,
        sealId,
        action: eventAction,
        actorId: actor.id,
        at,
        detail: { reason: action === 'reinstate' ? null : o.reason, invalidityDate: o.invalidityDate ? o.invalidityDate.toISOString() : null, note: o.note.slice(0, 500) },
      });
    });
    await this.regenerateCrl(s.caId).catch(() => undefined);
    return this.sealOut(this.store.getSeal(sealId) as SealRow);
  }

  /** Mark every seal past its notAfter as expired (recorded as a transition by no one). */
  expireSeals(): string[] {
    const now = this.clock().getTime();
    const ids = this.store.expirableSeals(now);
    this.store.transaction(() => {
      for (const id of ids) {
        const s = this.store.getSeal(id) as SealRow;
        nextSealState(s.state, 'expire');
        if (this.store.setSealState(id, s.state, 'expired', now)) {
          this.store.insertEvent({ requestId: s.requestId, sealId: id, action: 'expired', actorId: null, at: now, detail: {} });
        }
      }
    });
    return ids;
  }

  /** Fast status by certificate serial (hex, any case, leading zeros ignored); null if unknown. */
  lookupSealBySerial(serialHex: string, caId: string = this.caId): SealStatus | null {
    const serial = normaliseSerial(serialHex);
    if (serial === null) return null;
    const row = this.store.statusBySerial(serial, caId);
    if (row === null) return null;
    return {
      sealId: row.id,
      agencyId: row.agencyId,
      state: this.effectiveState(row.state, row.notAfter),
      notAfter: iso(row.notAfter),
      revocation:
        row.reason === null
          ? null
          : { reason: REASON_BY_CODE.get(row.reason) ?? 'unspecified', revokedAt: iso(row.revokedAt as number), invalidityDate: row.invalidityDate === null ? null : iso(row.invalidityDate) },
    };
  }

  // ---------------------------------------------------------------- using a seal

  /**
   * A Signer for an active seal, for an operator of its agency. The signer's chain is the seal
   * certificate and its issuers. Suspended, revoked or expired seals give ERR_SEAL_STATE.
   */
  async getSealSigner(actor: Actor, sealId: string): Promise<Signer> {
    return (await this.useSeal(actor, sealId)).signer;
  }

  /**
   * Check that `actor` may seal with `sealId` now (see SealUse) and hand out its Signer and the
   * way to log each use. Suspended, revoked or expired seals give ERR_SEAL_STATE; another
   * agency's seal ERR_FORBIDDEN. Two small indexed reads: the hot path of every sealing request.
   */
  async useSeal(actor: Actor, sealId: string): Promise<SealUse> {
    this.fresh(actor);
    const s = this.store.getSealForUse(sealId);
    if (s === null) throw new SealError('ERR_SEAL_NOT_FOUND', 'no such seal');
    authorize(actor, 'use-seal', s.agencyId);
    const state = this.effectiveState(s.state, s.notAfter);
    if (state !== 'active') throw new SealStateError(`seal is ${state}`);
    if (this.clock().getTime() < s.notBefore) throw new SealStateError('seal is not yet valid');
    const signer = await this.sealSigner(s);
    const log = this.log;
    const logged = { sealId: s.id, agencyId: s.agencyId, accountId: actor.id };
    return {
      sealId: s.id,
      agencyId: s.agencyId,
      algorithm: s.algorithm,
      signer,
      record: (use: SealUseRecord) => log.appendUsage({ ...use, ...logged }),
    };
  }

  /**
   * One Signer object per seal certificate, reused across uses: sealers cache per-Signer work
   * (the encoded JWS header, size estimates) by object identity. The key stays in the key store.
   */
  private readonly sealSigners = new Map<string, { certDer: Uint8Array; signer: Signer }>();
  private async sealSigner(s: SealForUse): Promise<Signer> {
    const hit = this.sealSigners.get(s.id);
    if (hit !== undefined && Buffer.from(hit.certDer).equals(s.certDer)) return hit.signer;
    const caChain = this.sm2 !== null && s.caId === this.sm2.id ? this.sm2.chain : this.ca.chain.map((c) => new Uint8Array(c.rawData));
    const signer = await this.keyStore.signer(s.keyRef, [s.certDer, ...caChain]);
    if (this.sealSigners.size >= 10_000) this.sealSigners.clear();
    this.sealSigners.set(s.id, { certDer: s.certDer, signer });
    return signer;
  }

  /** Low-level append (trusted callers); resolves with the leaf index once committed. */
  appendUsage(entry: UsageEntry): Promise<AppendResult> {
    return this.log.appendUsage(entry);
  }

  /** The usage log (checkpoints, proofs, entries, verify). */
  get usageLog(): UsageLog {
    return this.log;
  }

  /** The signed-note verifier key of the log (`name+id+base64key`). */
  get logVerifierKey(): string {
    return verifierKey(this.log.key);
  }

  /** Verify the whole log; ERR_FORBIDDEN unless the actor may read logs. */
  verifyLog(actor?: Actor): LogVerification {
    if (actor !== undefined) authorize(this.fresh(actor), 'read-log', null);
    return verifyLogRows(this.store, this.log.key, this.log.origin);
  }

  // ---------------------------------------------------------------- CRL & OCSP

  /** The CAs whose CRLs the registry makes and serves: the issuing CA, then the SM2 CA if configured. */
  get crlIssuerIds(): readonly string[] {
    return this.sm2 === null ? [this.caId] : [this.caId, this.sm2.id];
  }

  /** The Signer and certificate (DER) that sign a CA's CRLs; ERR_NOT_FOUND for an unknown CA id. */
  private crlIssuer(caId: string): { signer: Signer; der: Uint8Array } {
    if (caId === this.caId) return { signer: this.ca.signer, der: this.ca.der };
    if (this.sm2 !== null && caId === this.sm2.id) return { signer: this.sm2.ca, der: this.sm2.chain[0] as Uint8Array };
    throw new SealError('ERR_NOT_FOUND', 'no such CA');
  }

  /**
   * Make, sign and store a new full CRL (crlNumber + 1) of a CA: the issuing CA by default, or the
   * SM2 CA (signed SM2-with-SM3). Each CA id has its own crlNumber sequence. Serialised; safe to
   * call concurrently. ERR_NOT_FOUND for an unknown CA id.
   */
  regenerateCrl(caId: string = this.caId): Promise<CrlInfo> {
    let issuer: { signer: Signer; der: Uint8Array };
    try {
      issuer = this.crlIssuer(caId);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = async (): Promise<CrlInfo> => {
      const prev = this.store.latestCrl(caId);
      const crlNumber = (prev?.crlNumber ?? 0) + 1;
      const thisUpdate = new Date(Math.floor(this.clock().getTime() / 1000) * 1000);
      const nextUpdate = new Date(thisUpdate.getTime() + (this.options.crlValidityHours ?? 24) * 3_600_000);
      const entries = this.store.revocationsOf(caId).map(([serial, reason, revokedAt, inv]) => ({
        serial,
        reason,
        revokedAt: new Date(revokedAt),
        invalidityDate: inv === null ? null : new Date(inv),
      }));
      const der = await buildCrl({ signer: issuer.signer, caCertificate: issuer.der, crlNumber, thisUpdate, nextUpdate, entries });
      this.store.insertCrl({ caId, crlNumber, thisUpdate: thisUpdate.getTime(), nextUpdate: nextUpdate.getTime(), der });
      return { caId, crlNumber, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString(), der };
    };
    const p = this.crlChain.then(run, run);
    this.crlChain = p.catch(() => undefined);
    return p;
  }

  /**
   * The newest CRL of a CA (the issuing CA by default, or the SM2 CA; ERR_NOT_FOUND for an unknown
   * CA id). Regenerated if past half its life.
   */
  async currentCrl(caId: string = this.caId): Promise<CrlInfo> {
    if (!this.crlIssuerIds.includes(caId)) throw new SealError('ERR_NOT_FOUND', 'no such CA');
    const row = this.store.latestCrl(caId);
    const now = this.clock().getTime();
    if (row === null || now >= row.thisUpdate + (row.nextUpdate - row.thisUpdate) / 2) return this.regenerateCrl(caId);
    return { caId, crlNumber: row.crlNumber, thisUpdate: iso(row.thisUpdate), nextUpdate: iso(row.nextUpdate), der: row.der };
  }

  /** Regenerate every CA's CRL every `intervalMs` (default: a quarter of its validity). Returns a stop function. */
  startCrlSchedule(intervalMs = ((this.options.crlValidityHours ?? 24) * 3_600_000) / 4): () => void {
    this.stopCrlSchedule();
    this.crlTimer = setInterval(() => {
      for (const caId of this.crlIssuerIds) void this.regenerateCrl(caId).catch(() => undefined);
    }, intervalMs);
    this.crlTimer.unref();
    return () => this.stopCrlSchedule();
  }

  private stopCrlSchedule(): void {
    if (this.crlTimer !== null) clearInterval(this.crlTimer);
    this.crlTimer = null;
  }

  /**
   * Answer a DER OCSPRequest with a DER OCSPResponse (errors are OCSP error responses, never throws).
   * Certificates of the issuing CA are answered by the delegated responder; certificates of the SM2
   * CA by the SM2 CA itself (SM2-with-SM3, no certificate included) when every known CertID of the
   * request names the SM2 CA. One response has one signer: in a request naming both CAs, the
   * delegated responder answers and the SM2 CertIDs are `unknown` (RFC 6960 2.2: not served by
   * this responder); ask for them in a request of their own.
   */
  async respondOcsp(requestDer: Uint8Array): Promise<Uint8Array> {
    let request: OcspRequest;
    try {
      request = parseOcspRequest(requestDer);
    } catch {
      return ocspErrorResponse('malformedRequest');
    }
    try {
      const now = new Date(Math.floor(this.clock().getTime() / 1000) * 1000);
      const nextUpdate = new Date(now.getTime() + (this.options.ocspValidityMinutes ?? 60) * 60_000);
      const sm2 = this.sm2 === null ? null : { id: this.sm2.id, signer: this.sm2.ca, der: this.sm2.chain[0] as Uint8Array };
      // which CA each CertID names (hashes over its name and key), null for neither
      const issuerOf = request.certIds.map((certId) => {
        if (certIdMatchesIssuer(certId, this.ca.der)) return this.caId;
        return sm2 !== null && certIdMatchesIssuer(certId, sm2.der) ? sm2.id : null;
      });
      const bySm2 = sm2 !== null && issuerOf.includes(sm2.id) && !issuerOf.includes(this.caId) ? sm2 : null;
      const answeredCa = bySm2?.id ?? this.caId;
      const responses = request.certIds.map((certId, i) => {
        let certStatus: OcspCertStatus = { status: 'unknown' };
        if (issuerOf[i] === answeredCa) {
          const st = this.lookupSealBySerial(certId.serial, answeredCa);
          if (st !== null) {
            certStatus =
              st.revocation === null
                ? { status: 'good' }
                : { status: 'revoked', revokedAt: new Date(st.revocation.revokedAt), reason: REVOCATION_REASONS[st.revocation.reason] };
          }
        }
        return { certId, certStatus, thisUpdate: now, nextUpdate };
      });
      const responder =
        bySm2 !== null
          ? { signer: bySm2.signer, responderCertificate: bySm2.der, includeCertificate: false }
          : { signer: this.ocsp.signer, responderCertificate: this.ocsp.der };
      return await buildOcspResponse({ ...responder, producedAt: now, responses, nonceExtension: request.nonceExtension });
    } catch {
      return ocspErrorResponse('internalError');
    }
  }

  /** PEM of the issuing CA certificate. */
  get caCertificatePem(): string {
    return toPem(this.ca.der);
  }

  // ---------------------------------------------------------------- operations

  /** Online backup to `file` (better-sqlite3 backup API; consistent while in use). */
  async backup(file: string): Promise<void> {
    await this.log.flush();
    await backupDatabase(this.store, file);
  }

  async close(): Promise<void> {
    this.stopCrlSchedule();
    await this.log.close();
    await this.crlChain;
    if (this.keyStore !== this.software) await this.keyStore.close();
    await this.software.close();
    this.store.close();
  }

  /** Reload an actor's account (disabled accounts lose every right at once). */
  private fresh(actor: Actor): Actor {
    const row = this.store.getAccount(actor.id);
    if (row === null || row.disabled) throw new ForbiddenError('account unknown or disabled');
    if (row.role !== actor.role || row.agencyId !== actor.agencyId) throw new ForbiddenError('account changed');
    return row;
  }
}

/** Online backup of an open store to a file. */
export async function backupDatabase(store: RegistryStore, file: string): Promise<void> {
  try {
    await store.db.backup(file);
  } catch (err) {
    throw new SealError('ERR_INTERNAL', 'backup failed', { cause: err });
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200 || /[\u0000-\u001f]/.test(name)) {
    throw new InputInvalidError('names must be 1..200 printable characters');
  }
}

function normaliseSerial(hex: string): string | null {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{1,64}$/.test(hex)) return null;
  const s = hex.toLowerCase().replace(/^0+/, '');
  if (s === '') return '0';
  return s.length % 2 ? `0${s}` : s;
}

