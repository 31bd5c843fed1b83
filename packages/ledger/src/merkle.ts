import { createHash } from 'node:crypto';
import { SiloError } from '@silo/common';

/** Bytes in every hash of the tree (SHA-256). */
export const HASH_BYTES = 32;

/** RFC 6962 §2.1 domain-separation prefixes: a leaf can never be passed off as an interior node. */
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** The leaf hash of an entry: SHA-256(0x00 ‖ entry) (RFC 9162 §2.1.1). */
export function leafHash(entry: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, entry);
}

/** The hash of an interior node: SHA-256(0x01 ‖ left ‖ right) (RFC 9162 §2.1.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** The root of the empty tree, SHA-256 of the empty string (RFC 9162 §2.1.1). A fresh copy each call. */
export function emptyRootHash(): Uint8Array {
  return sha256();
}

/** Byte equality; hashes here are public, so a constant-time compare buys nothing. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Throws unless `value` is a non-negative safe integer. Sizes beyond 2^53 cannot be held exactly
 * in a JS number; rejecting them is safer than silently rounding an index to its neighbour.
 */
export function checkCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SiloError('ERR_BAD_INPUT', `${what} must be a non-negative safe integer, got ${value}`);
  }
}

/** The largest power of two strictly below `n` (n ≥ 2): the split point k of RFC 9162 §2.1.1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[start:end]) for `end > start`; implementations may cache, the algorithms only ask. */
type SubtreeHasher = (start: number, end: number) => Uint8Array;

/** PATH(m, D[start:end]) of RFC 9162 §2.1.3.1, `m` relative to `start`; ordered leaf-to-root. */
function inclusionPath(m: number, start: number, end: number, mth: SubtreeHasher): Uint8Array[] {
  const n = end - start;
  if (n === 1) return [];
  const k = splitPoint(n);
  if (m < k) {
    const path = inclusionPath(m, start, start + k, mth);
    path.push(mth(start + k, end));
    return path;
  }
  const path = inclusionPath(m - k, start + k, end, mth);
  path.push(mth(start, start + k));
  return path;
}

/** SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1, `m` relative to `start`. */
function subproof(m: number, start: number, end: number, whole: boolean, mth: SubtreeHasher): Uint8Array[] {
  const n = end - start;
  if (m === n) return whole ? [] : [mth(start, end)];
  const k = splitPoint(n);
  if (m <= k) {
    const proof = subproof(m, start, start + k, whole, mth);
    proof.push(mth(start + k, end));
    return proof;
  }
  const proof = subproof(m - k, start + k, end, false, mth);
  proof.push(mth(start, start + k));
  return proof;
}

function checkIndex(index: number, size: number): void {
  checkCount(index, 'leaf index');
  if (index >= size) {
    throw new SiloError('ERR_BAD_INPUT', `leaf index ${index} is beyond a tree of size ${size}`);
  }
}

function checkOldSize(oldSize: number, size: number): void {
  checkCount(oldSize, 'old tree size');
  if (oldSize === 0) {
    // Every tree extends the empty one, so such a proof would prove nothing; RFC 9162 defines
    // PROOF(m, D[n]) only for 0 < m, and verifyConsistency rejects size1 = 0 for the same reason.
    throw new SiloError('ERR_BAD_INPUT', 'a consistency proof from the empty tree is meaningless');
  }
  if (oldSize > size) {
    throw new SiloError('ERR_BAD_INPUT', `old tree size ${oldSize} is beyond tree size ${size}`);
  }
}

/**
 * An in-memory RFC 6962 Merkle tree over leaf hashes that answers for any earlier size too.
 *
 * It keeps every complete, aligned subtree hash (2n hashes in all), so a root or proof for any
 * size costs O(log n) hashing rather than rehashing the whole log.
 */
export class MerkleTree {
  /** levels[h][i] = hash of the perfect subtree over leaves [i·2^h, (i+1)·2^h). */
  readonly #levels: Uint8Array[][] = [[]];

  /** A tree holding `leafHashes` in order. */
  static from(leafHashes: readonly Uint8Array[]): MerkleTree {
    const tree = new MerkleTree();
    for (const hash of leafHashes) tree.append(hash);
    return tree;
  }

  /** Number of leaves. */
  get size(): number {
    return this.#levels[0]?.length ?? 0;
  }

  /** Appends a 32-byte leaf hash (see {@link leafHash}) and returns its index. */
  append(hash: Uint8Array): number {
    if (hash.length !== HASH_BYTES) {
      throw new SiloError('ERR_BAD_INPUT', `a leaf hash has ${HASH_BYTES} bytes, got ${hash.length}`);
    }
    const index = this.size;
    let carry: Uint8Array = hash.slice();
    for (let h = 0; ; h++) {
      const level = this.#level(h);
      level.push(carry);
      if (level.length % 2 === 1) break;
      // A level with an even count just completed a pair: its parent subtree is now perfect.
      carry = nodeHash(level[level.length - 2] as Uint8Array, carry);
    }
    return index;
  }

  /** The leaf hash at `index`. */
  leafHash(index: number): Uint8Array {
    checkIndex(index, this.size);
    return (this.#levels[0]?.[index] as Uint8Array).slice();
  }

  /** MTH of the first `size` leaves (default: all). */
  root(size: number = this.size): Uint8Array {
    this.#checkSize(size);
    return size === 0 ? emptyRootHash() : this.#mth(0, size).slice();
  }

  /** The RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size` leaves. */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    this.#checkSize(size);
    checkIndex(index, size);
    return inclusionPath(index, 0, size, this.#mth).map((h) => h.slice());
  }

  /** The RFC 9162 §2.1.4.1 proof that the tree of `oldSize` leaves is a prefix of the one of `size`. */
  consistencyProof(oldSize: number, size: number = this.size): Uint8Array[] {
    this.#checkSize(size);
    checkOldSize(oldSize, size);
    return subproof(oldSize, 0, size, true, this.#mth).map((h) => h.slice());
  }

  #level(h: number): Uint8Array[] {
    let level = this.#levels[h];
    if (level === undefined) {
      level = [];
      this.#levels[h] = level;
    }
    return level;
  }

  #checkSize(size: number): void {
    checkCount(size, 'tree size');
    if (size > this.size) {
      throw new SiloError('ERR_BAD_INPUT', `tree size ${size} is beyond the current size ${this.size}`);
    }
  }

  /** Arrow so it can be handed to the proof algorithms without binding. */
  readonly #mth = (start: number, end: number): Uint8Array => {
    const n = end - start;
    // Ranges produced by the RFC recursion start at a multiple of every power of two below their
    // length, so a power-of-two range is always one stored perfect subtree.
    let h = 0;
    while (2 ** h < n) h++;
    if (2 ** h === n && start % n === 0) {
      const cached = this.#levels[h]?.[start / n];
      if (cached !== undefined) return cached;
    }
    const k = splitPoint(n);
    return nodeHash(this.#mth(start, start + k), this.#mth(start + k, end));
  };
}

/** MTH over `leafHashes` (RFC 9162 §2.1.1); the empty list gives {@link emptyRootHash}. */
export function rootHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  return MerkleTree.from(leafHashes).root();
}

/** The inclusion proof of leaf `index` in the tree over `leafHashes` (RFC 9162 §2.1.3.1). */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  return MerkleTree.from(leafHashes).inclusionProof(index);
}

/**
 * The consistency proof from the first `oldSize` leaves to all of `leafHashes` (RFC 9162 §2.1.4.1).
 * Empty when `oldSize` equals the length; `oldSize` 0 is rejected (see {@link verifyConsistency}).
 */
export function consistencyProof(leafHashes: readonly Uint8Array[], oldSize: number): Uint8Array[] {
  return MerkleTree.from(leafHashes).consistencyProof(oldSize);
}
