import { createRng } from '@silo/common';

/** Seeded permutations for the per-epoch shuffle of local training. */

/** Mixes two integers into one well-spread 32-bit seed (murmur3's finaliser). */
function mixSeed(a: number, b: number): number {
  let h = (a >>> 0) ^ Math.imul((b + 1) >>> 0, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A Fisher–Yates permutation of `0 … n-1` that depends only on `(n, seed, epoch)`. */
export function epochPermutation(n: number, seed: number, epoch: number): Int32Array {
  const rng = createRng(mixSeed(seed, epoch));
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}
