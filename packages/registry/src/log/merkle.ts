/**
 * Merkle tree hashing, proofs and proof verification as in RFC 9162 (Certificate Transparency
 * 2.0) section 2.1: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right).
 * Pure functions over arrays of leaf hashes plus a "frontier" (compact range) that updates the
 * root in O(log n) per appended leaf.
 */
import { createHash } from 'node:crypto';

export type Hash = Uint8Array;

export function leafHash(data: Uint8Array): Hash {
  return createHash('sha256').update(Uint8Array.of(0)).update(data).digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(Uint8Array.of(1)).update(left).update(right).digest();
}

export const EMPTY_ROOT: Hash = createHash('sha256').digest();

export function equalHash(a: Hash, b: Hash): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

/** Largest power of two strictly smaller than n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[lo:hi]) over leaf hashes. */
export function rootOf(leaves: readonly Hash[], lo = 0, hi = leaves.length): Hash {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[lo] as Hash;
  const k = split(n);
  return nodeHash(rootOf(leaves, lo, lo + k), rootOf(leaves, lo + k, hi));
}

/** PATH(m, D[0:n]): the audit path of leaf m in the tree of the first n leaves. */
export function inclusionPath(leaves: readonly Hash[], m: number, n = leaves.length): Hash[] {
  if (m < 0 || m >= n || n > leaves.length) throw new RangeError('leaf index outside the tree');
  const out: Hash[] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    const size = hi - lo;
    if (size <= 1) return;
    const k = split(size);
    if (m < k) {
      walk(m, lo, lo + k);
      out.push(rootOf(leaves, lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      out.push(rootOf(leaves, lo, lo + k));
    }
  };
  walk(m, 0, n);
  return out;
}

/** PROOF(m, D[0:n]): consistency proof between the trees of the first m and n leaves. */
export function consistencyPath(leaves: readonly Hash[], m: number, n = leaves.length): Hash[] {
  if (m < 0 || m > n || n > leaves.length) throw new RangeError('tree sizes out of range');
  if (m === 0 || m === n) return [];
  const out: Hash[] = [];
  const sub = (m: number, lo: number, hi: number, b: boolean): void => {
    const size = hi - lo;
    if (m === size) {
      if (!b) out.push(rootOf(leaves, lo, hi));
      return;
    }
    const k = split(size);
    if (m <= k) {
      sub(m, lo, lo + k, b);
      out.push(rootOf(leaves, lo + k, hi));
    } else {
      sub(m - k, lo + k, hi, false);
      out.push(rootOf(leaves, lo, lo + k));
    }
  };
  sub(m, 0, n, true);
  return out;
}

/** RFC 9162 2.1.3.2: does `proof` show leaf `index` with `leaf` in the tree of `size` with `root`? */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHash(r, root);
}

/** RFC 9162 2.1.4.2: is the tree (size2, root2) an append-only extension of (size1, root1)? */
export function verifyConsistency(size1: number, size2: number, root1: Hash, root2: Hash, proof: readonly Hash[]): boolean {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < size1) return false;
  if (size1 === size2) return proof.length === 0 && equalHash(root1, root2);
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = (size1 & (size1 - 1)) === 0 ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Hash;
  let sr = path[0] as Hash;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return equalHash(fr, root1) && equalHash(sr, root2) && sn === 0;
}

/**
 * The frontier of a tree of `size` leaves: the roots of its maximal perfect subtrees, largest
 * (leftmost) first. Appending is O(log n); the root folds the frontier from the right.
 */
export class Frontier {
  constructor(
    public size = 0,
    public readonly hashes: Hash[] = [],
  ) {}

  static decode(size: number, bytes: Uint8Array): Frontier {
    const count = popcount(size);
    if (bytes.length !== count * 32) throw new RangeError('frontier does not match the tree size');
    const hashes: Hash[] = [];
    for (let i = 0; i < count; i++) hashes.push(bytes.slice(i * 32, i * 32 + 32));
    return new Frontier(size, hashes);
  }

  encode(): Uint8Array {
    const out = new Uint8Array(this.hashes.length * 32);
    this.hashes.forEach((h, i) => out.set(h, i * 32));
    return out;
  }

  clone(): Frontier {
    return new Frontier(this.size, [...this.hashes]);
  }

  append(leaf: Hash): void {
    let h = leaf;
    let s = this.size;
    while (s % 2 === 1) {
      h = nodeHash(this.hashes.pop() as Hash, h);
      s = Math.floor(s / 2);
    }
    this.hashes.push(h);
    this.size++;
  }

  root(): Hash {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let h = this.hashes[this.hashes.length - 1] as Hash;
    for (let i = this.hashes.length - 2; i >= 0; i--) h = nodeHash(this.hashes[i] as Hash, h);
    return h;
  }
}

function popcount(n: number): number {
  let c = 0;
  let v = n;
  while (v > 0) {
    c += v % 2;
    v = Math.floor(v / 2);
  }
  return c;
}
