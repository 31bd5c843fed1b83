import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import {
  MerkleTree,
  consistencyProof,
  emptyRootHash,
  inclusionProof,
  leafHash,
  nodeHash,
  rootHash,
} from './merkle.js';
import { verifyConsistency, verifyInclusion } from './merkle-verify.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

// The leaves and roots used throughout RFC 6962 implementations (certificate-transparency-go,
// transparency-dev/merkle `cmd/proofgen`).
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

// Straight transcriptions of the RFC 9162 definitions, recursing over the leaf list, as an
// independent reference for the cached tree.
function refMth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return new Uint8Array(createHash('sha256').digest());
  if (d.length === 1) return d[0] as Uint8Array;
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return nodeHash(refMth(d.slice(0, k)), refMth(d.slice(k)));
}
function refPath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m < k
    ? [...refPath(m, d.slice(0, k)), refMth(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), refMth(d.slice(0, k))];
}
function refSubproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [refMth(d)];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), refMth(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), refMth(d.slice(0, k))];
}

const leavesOf = (n: number): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));

describe('hashing', () => {
  it('hashes leaves and nodes with the RFC 6962 prefixes', () => {
    const entry = fromHex('2021');
    expect(hex(leafHash(entry))).toBe(createHash('sha256').update(fromHex('002021')).digest('hex'));
    const [a, b] = [leafHash(fromHex('00')), leafHash(fromHex('10'))];
    const manual = createHash('sha256').update(Uint8Array.of(1)).update(a).update(b).digest('hex');
    expect(hex(nodeHash(a, b))).toBe(manual);
  });

  it('gives the empty tree the SHA-256 of the empty string', () => {
    expect(hex(emptyRootHash())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(rootHash([]))).toBe(hex(emptyRootHash()));
  });

  it('matches the published roots of the CT test leaves at every size', () => {
    const leaves = CT_LEAVES.map((h) => leafHash(fromHex(h)));
    const tree = MerkleTree.from(leaves);
    CT_ROOTS.forEach((want, i) => {
      expect(hex(rootHash(leaves.slice(0, i + 1)))).toBe(want);
      expect(hex(tree.root(i + 1))).toBe(want);
    });
  });
});

describe('MerkleTree', () => {
  const N = 37;
  const leaves = leavesOf(N);
  const tree = MerkleTree.from(leaves);

  it('agrees with the RFC reference for roots and inclusion proofs at every size', () => {
    for (let size = 0; size <= N; size++) {
      const d = leaves.slice(0, size);
      expect(hex(tree.root(size))).toBe(hex(refMth(d)));
      for (let i = 0; i < size; i++) {
        const proof = tree.inclusionProof(i, size);
        expect(proof.map(hex)).toEqual(refPath(i, d).map(hex));
        verifyInclusion(leaves[i] as Uint8Array, i, size, proof, tree.root(size));
      }
    }
  });

  it('agrees with the RFC reference for consistency proofs between every pair of sizes', () => {
    for (let size = 1; size <= N; size++) {
      for (let old = 1; old <= size; old++) {
        const proof = tree.consistencyProof(old, size);
        expect(proof.map(hex)).toEqual(refSubproof(old, leaves.slice(0, size), true).map(hex));
        verifyConsistency(old, size, proof, tree.root(old), tree.root(size));
      }
    }
  });

  it('rejects every proof with one flipped bit', () => {
    const size = 21;
    for (let i = 0; i < size; i++) {
      const proof = tree.inclusionProof(i, size);
      proof.forEach((_, j) => {
        const bad = proof.map((h) => h.slice());
        const hash = bad[j] as Uint8Array;
        hash[7] = (hash[7] as number) ^ 0x20;
        expect(() => verifyInclusion(leaves[i] as Uint8Array, i, size, bad, tree.root(size))).toThrow(
          expect.objectContaining({ code: 'ERR_DIGEST_MISMATCH' }),
        );
      });
    }
    for (let old = 1; old < size; old++) {
      const proof = tree.consistencyProof(old, size);
      proof.forEach((_, j) => {
        const bad = proof.map((h) => h.slice());
        const hash = bad[j] as Uint8Array;
        hash[0] = (hash[0] as number) ^ 1;
        expect(() => verifyConsistency(old, size, bad, tree.root(old), tree.root(size))).toThrow();
      });
    }
  });

  it('rejects sizes and indices it does not have, and the empty-tree consistency proof', () => {
    expect(() => tree.root(N + 1)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => tree.inclusionProof(5, 5)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => tree.consistencyProof(0, 5)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => tree.consistencyProof(6, 5)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => tree.root(1.5)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => new MerkleTree().append(new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });

  it('hands out copies, so a caller cannot corrupt the tree', () => {
    const t = MerkleTree.from(leavesOf(4));
    const before = hex(t.root());
    t.root().fill(0);
    t.leafHash(0).fill(0);
    t.inclusionProof(1).forEach((h) => h.fill(0));
    expect(hex(t.root())).toBe(before);
  });

  it('offers the same proofs as free functions over a leaf list', () => {
    const d = leavesOf(11);
    expect(inclusionProof(d, 6).map(hex)).toEqual(refPath(6, d).map(hex));
    expect(consistencyProof(d, 3).map(hex)).toEqual(refSubproof(3, d, true).map(hex));
    expect(consistencyProof(d, 11)).toEqual([]);
  });
});
