/**
 * The usage log: every seal use is a leaf of an RFC 9162 Merkle tree kept in SQLite.
 * Appends are group-committed: concurrent `appendUsage` calls queue up, and one flush per tick
 * writes the whole batch plus a freshly signed checkpoint in ONE transaction
 * (synchronous=FULL), then resolves every caller. An append therefore resolves only once it is
 * durable, and every stored leaf is covered by a signed checkpoint. Rows are never updated or
 * deleted (SQLite triggers refuse it); `verify` recomputes everything from the rows.
 */
import { randomBytes } from 'node:crypto';
import { InputInvalidError, SealError, type Signer } from '@seal/core';
import type { CheckpointRow, LeafRow, RegistryStore } from '../store/store.js';
import type { UsageEntry, UsageRecord } from '../types.js';
import { openCheckpoint, signCheckpoint, type LogKey } from './checkpoint.js';
import { inlineLogWriter, type LogWriter } from './log-writer.js';
import { Frontier, consistencyPath, equalHash, inclusionPath, leafHash, rootOf, verifyConsistency, verifyInclusion } from './merkle.js';

const HEX64 = /^[0-9a-f]{64}$/;
const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const KIND = /^[a-z0-9._-]{1,32}$/;
const MAX_BATCH = 8192;

/** Usage-log entry ids: 128 random bits as 32 lower-case hex digits. */
export const ENTRY_ID = /^[0-9a-f]{32}$/;

/** A fresh random entry id (128 bits from the CSPRNG), for UsageEntry.entryId. */
export function newEntryId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The leaf data: a JSON array in a fixed order (deterministic, self-describing). Entries without
 * an entry id keep the v1 layout (so every existing leaf still verifies); entries with one use
 * v2, which appends the id, so the id is covered by the leaf hash and the signed checkpoints.
 */
export function leafData(r: Omit<LeafRow, 'leafHash' | 'entryId'> & { entryId?: string | null }): Uint8Array {
  const v1 = [r.idx, r.at, r.sealId, r.agencyId, r.accountId, r.documentKind, r.documentSha256, r.signatureSha256];
  const arr = r.entryId === undefined || r.entryId === null ? ['seal-usage/v1', ...v1] : ['seal-usage/v2', ...v1, r.entryId];
  return Buffer.from(JSON.stringify(arr), 'utf8');
}

export interface AppendResult {
  index: number;
  /** Hex. */
  leafHash: string;
}

export interface SignedCheckpoint {
  treeSize: number;
  /** Hex. */
  rootHash: string;
  at: string;
  /** The signed note (see checkpoint.ts). */
  note: string;
}

export interface InclusionProof {
  index: number;
  treeSize: number;
  leafHash: string;
  rootHash: string;
  /** Hex hashes, leaf to root. */
  proof: string[];
}

export interface ConsistencyProof {
  firstSize: number;
  secondSize: number;
  firstRoot: string;
  secondRoot: string;
  proof: string[];
}

export type LogProblemKind = 'leaf-modified' | 'index-gap' | 'root-mismatch' | 'bad-checkpoint-signature' | 'unsigned-entries' | 'missing-entries';

export interface LogProblem {
  kind: LogProblemKind;
  /** Leaf index or tree size the problem was found at. */
  at: number;
}

export interface LogVerification {
  ok: boolean;
  /** Rows found. */
  entries: number;
  /** Size of the newest signed checkpoint. */
  checkpointSize: number;
  checkpoints: number;
  /** At most 100 problems are listed. */
  problems: LogProblem[];
}

interface Pending {
  row: Omit<LeafRow, 'idx' | 'leafHash'>;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => {
  if (!HEX64.test(s)) throw new InputInvalidError('expected a 64-digit hex hash');
  return Buffer.from(s, 'hex');
};

export interface UsageLogOptions {
  store: RegistryStore;
  /** Ed25519 Signer for checkpoints. */
  signer: Signer;
  key: LogKey;
  origin: string;
  clock: () => Date;
  /** Where group commits are written (default: inline, through `store`). */
  writer?: LogWriter;
}

export class UsageLog {
  private frontier: Frontier;
  private queue: Pending[] = [];
  private running = false;
  private closed = false;
  private idle: Array<() => void> = [];
  /** Entry ids queued or being committed: not yet visible to the store's unique index check. */
  private readonly pendingIds = new Set<string>();
  private readonly writer: LogWriter;

  constructor(private readonly o: UsageLogOptions) {
    this.writer = o.writer ?? inlineLogWriter(o.store);
    const cp = o.store.latestCheckpoint();
    this.frontier = cp === null ? new Frontier() : Frontier.decode(cp.treeSize, cp.frontier);
  }

  get size(): number {
    return this.frontier.size;
  }

  get origin(): string {
    return this.o.origin;
  }

  get key(): LogKey {
    return this.o.key;
  }

  /** Append one use; resolves once it is committed (durable) with its leaf index. */
  appendUsage(entry: UsageEntry): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new SealError('ERR_INTERNAL', 'usage log is closed'));
    let row: Pending['row'];
    try {
      row = this.validate(entry);
    } catch (err) {
      return Promise.reject(err);
    }
    if (row.entryId !== null) this.pendingIds.add(row.entryId);
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private validate(e: UsageEntry): Pending['row'] {
    for (const [name, v] of [['sealId', e.sealId], ['agencyId', e.agencyId], ['accountId', e.accountId]] as const) {
      if (typeof v !== 'string' || !ID.test(v)) throw new InputInvalidError(`usage entry: bad ${name}`);
    }
    if (typeof e.documentKind !== 'string' || !KIND.test(e.documentKind)) throw new InputInvalidError('usage entry: bad documentKind');
    if (typeof e.documentSha256 !== 'string' || !HEX64.test(e.documentSha256)) throw new InputInvalidError('usage entry: bad documentSha256');
    if (typeof e.signatureSha256 !== 'string' || !HEX64.test(e.signatureSha256)) throw new InputInvalidError('usage entry: bad signatureSha256');
    const at = (e.at ?? this.o.clock()).getTime();
    if (!Number.isFinite(at)) throw new InputInvalidError('usage entry: bad time');
    if (e.entryId !== undefined && (typeof e.entryId !== 'string' || !ENTRY_ID.test(e.entryId))) {
      throw new InputInvalidError('usage entry: bad entryId (32 lower-case hex digits)');
    }
    // Refused here, not by the unique index at commit, which would fail the whole group commit.
    if (e.entryId !== undefined && (this.pendingIds.has(e.entryId) || this.o.store.getLeafByEntryId(e.entryId) !== null)) {
      throw new SealError('ERR_CONFLICT', 'usage entry: entryId already used');
    }
    return {
      entryId: e.entryId ?? null,
      at,
      sealId: e.sealId,
      agencyId: e.agencyId,
      accountId: e.accountId,
      documentKind: e.documentKind,
      documentSha256: e.documentSha256,
      signatureSha256: e.signatureSha256,
    };
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // After a commit, let the requests already waiting on the event loop reach the queue
      // first (one turn): each batch costs a checkpoint signature and a transaction, so a few
      // entries per batch would spend more on those than on the entries.
      if (this.queue.length < MAX_BATCH) await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const results = await this.commit(batch.map((p) => p.row));
        batch.forEach((p, i) => p.resolve(results[i] as AppendResult));
      } catch (err) {
        const e = err instanceof SealError ? err : new SealError('ERR_INTERNAL', 'usage log append failed', { cause: err });
        for (const p of batch) p.reject(e);
      } finally {
        for (const p of batch) if (p.row.entryId !== null) this.pendingIds.delete(p.row.entryId);
      }
    }
    this.running = false;
    for (const f of this.idle.splice(0)) f();
  }

  private async commit(rows: Array<Pending['row']>): Promise<AppendResult[]> {
    const next = this.frontier.clone();
    const leaves: LeafRow[] = rows.map((r) => {
      const base = { ...r, idx: next.size };
      const h = leafHash(leafData(base));
      next.append(h);
      return { ...base, leafHash: h };
    });
    const root = next.root();
    const at = this.o.clock().getTime();
    const note = await signCheckpoint({ origin: this.o.origin, treeSize: next.size, rootHash: root }, this.o.key, this.o.signer);
    const checkpoint: CheckpointRow = { treeSize: next.size, rootHash: root, at, note, frontier: next.encode() };
    await this.writer.write(leaves, checkpoint);
    this.frontier = next;
    return leaves.map((l) => ({ index: l.idx, leafHash: hex(l.leafHash) }));
  }

  /** Resolves when every queued append has been committed or rejected. */
  flush(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.writer.close();
  }

  /** The newest signed checkpoint, or null for an empty log. */
  latestCheckpoint(): SignedCheckpoint | null {
    const cp = this.o.store.latestCheckpoint();
    return cp === null ? null : { treeSize: cp.treeSize, rootHash: hex(cp.rootHash), at: new Date(cp.at).toISOString(), note: cp.note };
  }

  getEntry(index: number): UsageRecord | null {
    const r = this.o.store.getLeaf(index);
    return r === null ? null : recordOf(r);
  }

  /** The entry with this random entry id, or null (also for a malformed id). */
  getEntryById(entryId: string): UsageRecord | null {
    if (typeof entryId !== 'string' || !ENTRY_ID.test(entryId)) return null;
    const r = this.o.store.getLeafByEntryId(entryId);
    return r === null ? null : recordOf(r);
  }

  entriesForSeal(sealId: string, limit = 1000): UsageRecord[] {
    return this.o.store.leavesForSeal(sealId, limit).map(recordOf);
  }

  private hashesFor(treeSize: number): Uint8Array[] {
    if (!Number.isSafeInteger(treeSize) || treeSize < 1 || treeSize > this.frontier.size) {
      throw new SealError('ERR_NOT_FOUND', 'no such tree size');
    }
    return this.o.store.leafHashes(treeSize);
  }

  /** Inclusion proof of leaf `index` in the tree of `treeSize` leaves (default: current size). */
  inclusionProof(index: number, treeSize = this.frontier.size): InclusionProof {
    const hashes = this.hashesFor(treeSize);
    if (!Number.isSafeInteger(index) || index < 0 || index >= treeSize) throw new SealError('ERR_NOT_FOUND', 'no such log entry');
    return {
      index,
      treeSize,
      leafHash: hex(hashes[index] as Uint8Array),
      rootHash: hex(rootOf(hashes)),
      proof: inclusionPath(hashes, index).map(hex),
    };
  }

  /** Consistency proof between the trees of `firstSize` and `secondSize` leaves. */
  consistencyProof(firstSize: number, secondSize = this.frontier.size): ConsistencyProof {
    const hashes = this.hashesFor(secondSize);
    if (!Number.isSafeInteger(firstSize) || firstSize < 1 || firstSize > secondSize) throw new SealError('ERR_NOT_FOUND', 'no such tree size');
    return {
      firstSize,
      secondSize,
      firstRoot: hex(rootOf(hashes, 0, firstSize)),
      secondRoot: hex(rootOf(hashes)),
      proof: consistencyPath(hashes, firstSize).map(hex),
    };
  }

  /**
   * Recompute the whole log from its rows: each leaf hash from its content, indices without
   * gaps, every stored checkpoint's root and signature, and that the newest checkpoint covers
   * exactly the rows present. `key` is the trusted log key (default: the one this log signs with).
   */
  verify(key: LogKey = this.o.key): LogVerification {
    return verifyLogRows(this.o.store, key, this.o.origin);
  }
}

function recordOf(r: LeafRow): UsageRecord {
  return {
    index: r.idx,
    at: new Date(r.at).toISOString(),
    sealId: r.sealId,
    agencyId: r.agencyId,
    accountId: r.accountId,
    documentKind: r.documentKind,
    documentSha256: r.documentSha256,
    signatureSha256: r.signatureSha256,
    leafHash: hex(r.leafHash),
    entryId: r.entryId ?? null,
  };
}

/** The log verifier over a store (also used by the CLI without any private key). */
export function verifyLogRows(store: RegistryStore, key: LogKey, origin: string | null): LogVerification {
  const problems: LogProblem[] = [];
  const add = (kind: LogProblemKind, at: number): void => {
    if (problems.length < 100) problems.push({ kind, at });
  };
  const checkpoints = [...store.iterateCheckpoints()];
  let ci = 0;
  const frontier = new Frontier();
  const checkAt = (size: number): void => {
    while (ci < checkpoints.length && (checkpoints[ci] as CheckpointRow).treeSize <= size) {
      const cp = checkpoints[ci] as CheckpointRow;
      ci++;
      const opened = openCheckpoint(cp.note, key);
      if (opened === null || opened.treeSize !== cp.treeSize || !equalHash(opened.rootHash, cp.rootHash) || (origin !== null && opened.origin !== origin)) {
        add('bad-checkpoint-signature', cp.treeSize);
      }
      if (cp.treeSize !== size || !equalHash(frontier.root(), opened?.rootHash ?? cp.rootHash)) add('root-mismatch', cp.treeSize);
    }
  };
  let entries = 0;
  for (const row of store.iterateLeaves()) {
    entries++;
    if (row.idx !== frontier.size) add('index-gap', frontier.size);
    const h = leafHash(leafData({ ...row, idx: frontier.size }));
    if (!equalHash(h, row.leafHash)) add('leaf-modified', row.idx);
    frontier.append(h);
    checkAt(frontier.size);
  }
  checkAt(Number.MAX_SAFE_INTEGER);
  const last = checkpoints[checkpoints.length - 1];
  const checkpointSize = last?.treeSize ?? 0;
  if (entries > checkpointSize) add('unsigned-entries', checkpointSize);
  if (entries < checkpointSize) add('missing-entries', entries);
  return { ok: problems.length === 0, entries, checkpointSize, checkpoints: checkpoints.length, problems };
}

/** Check a proof handed out by inclusionProof against a root (e.g. from a signed checkpoint). */
export function checkInclusionProof(p: InclusionProof, rootHash: string): boolean {
  try {
    return verifyInclusion(unhex(p.leafHash), p.index, p.treeSize, p.proof.map(unhex), unhex(rootHash));
  } catch {
    return false;
  }
}

/** Check a consistency proof between two roots (e.g. from two signed checkpoints). */
export function checkConsistencyProof(p: ConsistencyProof, firstRoot: string, secondRoot: string): boolean {
  try {
    return verifyConsistency(p.firstSize, p.secondSize, unhex(firstRoot), unhex(secondRoot), p.proof.map(unhex));
  } catch {
    return false;
  }
}
