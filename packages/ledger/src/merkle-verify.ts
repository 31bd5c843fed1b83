import { SiloError } from '@silo/common';
import { HASH_BYTES, bytesEqual, checkCount, nodeHash } from './merkle.js';

// Both verifiers throw rather than return a boolean: a proof check that can be ignored by
// forgetting an `if` is a proof check that will be ignored somewhere. They throw
// ERR_BAD_INPUT when the arguments cannot describe a valid proof (sizes, lengths, counts) and
// ERR_DIGEST_MISMATCH when the hashes do not chain to the claimed root. Callers that only need
// "valid or not" treat every SiloError from here as "reject".

const isOdd = (x: number): boolean => x % 2 === 1;
// Division rather than `>>`: JS shifts truncate to 32 bits and tree sizes may exceed 2^32.
const half = (x: number): number => Math.floor(x / 2);

function checkProofHashes(proof: readonly Uint8Array[]): void {
  proof.forEach((hash, i) => {
    if (hash.length !== HASH_BYTES) {
      throw new SiloError('ERR_BAD_INPUT', `proof[${i}] has ${hash.length} bytes, want ${HASH_BYTES}`);
    }
  });
}

function mismatch(what: string): SiloError {
  return new SiloError('ERR_DIGEST_MISMATCH', `${what} computed from the proof does not match`);
}

/**
 * Checks an RFC 9162 §2.1.3.2 inclusion proof: that the leaf with hash `leafHash` sits at `index`
 * in the tree of `treeSize` leaves whose root is `root`. Returns normally only when it does.
 *
 * @throws SiloError ERR_BAD_INPUT for impossible arguments (index ≥ size, a hash that is not
 *   32 bytes, a proof of the wrong length), ERR_DIGEST_MISMATCH when the root does not match.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkCount(index, 'leaf index');
  checkCount(treeSize, 'tree size');
  if (index >= treeSize) {
    throw new SiloError('ERR_BAD_INPUT', `leaf index ${index} is beyond a tree of size ${treeSize}`);
  }
  if (leafHash.length !== HASH_BYTES) {
    throw new SiloError('ERR_BAD_INPUT', `leaf hash has ${leafHash.length} bytes, want ${HASH_BYTES}`);
  }
  checkProofHashes(proof);

  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new SiloError('ERR_BAD_INPUT', 'inclusion proof is longer than the path to the root');
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // On the right edge of a non-perfect tree, levels where the node has no sibling are skipped.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new SiloError('ERR_BAD_INPUT', 'inclusion proof is shorter than the path to the root');
  if (!bytesEqual(r, root)) throw mismatch('root');
}

/**
 * Checks an RFC 9162 §2.1.4.2 consistency proof: that the tree of `size1` leaves with root
 * `root1` is a prefix of the tree of `size2` leaves with root `root2`. Returns normally only
 * when it is.
 *
 * Edge cases follow transparency-dev/merkle: equal sizes need an empty proof and equal roots;
 * `size1` = 0 is rejected, since every tree extends the empty one and such a "proof" proves
 * nothing (a caller holding an empty checkpoint should check its root is the empty root instead).
 *
 * @throws SiloError ERR_BAD_INPUT for impossible arguments (size1 > size2, size1 = 0, a proof of
 *   the wrong length or with a hash that is not 32 bytes), ERR_DIGEST_MISMATCH when a root does
 *   not match.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkCount(size1, 'size1');
  checkCount(size2, 'size2');
  if (size2 < size1) throw new SiloError('ERR_BAD_INPUT', `size2 ${size2} is below size1 ${size1}`);
  if (size1 === 0) throw new SiloError('ERR_BAD_INPUT', 'consistency with the empty tree is meaningless');
  if (size1 === size2) {
    if (proof.length > 0) throw new SiloError('ERR_BAD_INPUT', 'sizes are equal but the proof is not empty');
    if (!bytesEqual(root1, root2))
      throw new SiloError('ERR_DIGEST_MISMATCH', 'equal sizes with different roots');
    return;
  }
  if (proof.length === 0) throw new SiloError('ERR_BAD_INPUT', 'consistency proof is empty');
  checkProofHashes(proof);

  // When size1 is a power of two its root is itself a node of the new tree, so the proof omits it.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0)
      throw new SiloError('ERR_BAD_INPUT', 'consistency proof is longer than the path to the root');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0)
    throw new SiloError('ERR_BAD_INPUT', 'consistency proof is shorter than the path to the root');
  if (!bytesEqual(fr, root1)) throw mismatch('old root');
  if (!bytesEqual(sr, root2)) throw mismatch('new root');
}

function isPowerOfTwo(n: number): boolean {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}
