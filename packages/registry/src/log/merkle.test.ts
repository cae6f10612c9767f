import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Frontier, consistencyPath, inclusionPath, leafHash, nodeHash, rootOf, verifyConsistency, verifyInclusion } from './merkle.js';

const leaves = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));

describe('RFC 9162 Merkle tree', () => {
  it('hashes like RFC 6962/9162 (empty tree, one leaf, three leaves by hand)', () => {
    expect(Buffer.from(rootOf([])).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const l = leaves(3);
    expect(rootOf(l.slice(0, 1))).toEqual(l[0]);
    const manual = nodeHash(nodeHash(l[0] as Uint8Array, l[1] as Uint8Array), l[2] as Uint8Array);
    expect(Buffer.from(rootOf(l)).equals(Buffer.from(manual))).toBe(true);
    expect(Buffer.from(leafHash(Buffer.from(''))).toString('hex')).toBe(createHash('sha256').update(Buffer.of(0)).digest('hex'));
  });

  it('frontier roots equal recomputed roots, and survive encode/decode', () => {
    const l = leaves(70);
    const f = new Frontier();
    for (let i = 0; i < l.length; i++) {
      f.append(l[i] as Uint8Array);
      expect(Buffer.from(f.root()).equals(Buffer.from(rootOf(l, 0, i + 1)))).toBe(true);
      const g = Frontier.decode(f.size, f.encode());
      expect(Buffer.from(g.root()).equals(Buffer.from(f.root()))).toBe(true);
    }
  });

  it('every inclusion proof verifies, and fails for another leaf, index or root', () => {
    const l = leaves(33);
    for (let n = 1; n <= l.length; n++) {
      const root = rootOf(l, 0, n);
      for (let m = 0; m < n; m++) {
        const proof = inclusionPath(l, m, n);
        expect(verifyInclusion(l[m] as Uint8Array, m, n, proof, root)).toBe(true);
        if (n > 1) {
          expect(verifyInclusion(l[(m + 1) % n] as Uint8Array, m, n, proof, root)).toBe(false);
          expect(verifyInclusion(l[m] as Uint8Array, (m + 1) % n, n, proof, root)).toBe(false);
        }
        expect(verifyInclusion(l[m] as Uint8Array, m, m, proof, root)).toBe(false);
        expect(verifyInclusion(l[m] as Uint8Array, m, n, proof, leafHash(Buffer.from('x')))).toBe(false);
      }
    }
  });

  it('every consistency proof verifies, and fails when either tree differs', () => {
    const l = leaves(33);
    const other = leaves(33).map((h, i) => (i === 5 ? leafHash(Buffer.from('evil')) : h));
    for (let n = 1; n <= l.length; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyPath(l, m, n);
        const r1 = rootOf(l, 0, m);
        const r2 = rootOf(l, 0, n);
        expect(verifyConsistency(m, n, r1, r2, proof)).toBe(true);
        if (m < n) {
          // a rewritten history (leaf 5 changed) is not consistent with the original
          if (m > 5) expect(verifyConsistency(m, n, rootOf(other, 0, m), r2, proof)).toBe(false);
          expect(verifyConsistency(m, n, r1, rootOf(other, 0, n), proof)).toBe(n <= 5);
        }
      }
    }
  });

  it('property: proofs from random trees verify and single-byte proof changes are caught', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(), fc.nat(), (n, a, b) => {
        const l = leaves(n);
        const m = a % n;
        const root = rootOf(l);
        const proof = inclusionPath(l, m);
        if (!verifyInclusion(l[m] as Uint8Array, m, n, proof, root)) return false;
        if (proof.length > 0) {
          const bad = proof.map((p) => Uint8Array.from(p));
          const k = b % bad.length;
          const target = bad[k] as Uint8Array;
          target[0] = (target[0] as number) ^ 1;
          if (verifyInclusion(l[m] as Uint8Array, m, n, bad, root)) return false;
        }
        const first = (b % n) + 1;
        return verifyConsistency(first, n, rootOf(l, 0, first), root, consistencyPath(l, first));
      }),
      { numRuns: 100 },
    );
  });
});
