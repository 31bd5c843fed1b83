/**
 * Seeded pseudo-random numbers for reproducible shuffles and partitions.
 *
 * Every worker and the coordinator must derive the same split from the same seed, so all
 * randomness in this package flows from {@link createRng}, never from `Math.random`.
 */

import { createRng } from '@silo/common';

export { createRng };

/** A uniform integer in [0, bound) drawn from `rng`. */
export function randomInt(rng: () => number, bound: number): number {
  return Math.floor(rng() * bound);
}

/** Shuffles `values` in place with Fisher–Yates, drawing from `rng`. */
export function shuffleInPlace(values: Int32Array, rng: () => number): Int32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = values[i]!;
    values[i] = values[j]!;
    values[j] = tmp;
  }
  return values;
}

/**
 * A uniformly random permutation of `0 … n-1` (Fisher–Yates driven by {@link createRng}).
 * The same `(n, seed)` always yields the same permutation.
 */
export function shuffleIndices(n: number, seed: number): Int32Array {
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  return shuffleInPlace(indices, createRng(seed));
}

/** A standard normal variate (Box–Muller; the second variate is discarded for simplicity). */
function standardNormal(rng: () => number): number {
  // 1 - u keeps the logarithm's argument in (0, 1].
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A Gamma(shape, 1) variate by Marsaglia & Tsang (2000). For shape < 1 it uses the boost
 * Gamma(a) = Gamma(a + 1) · U^(1/a), since the squeeze method needs shape ≥ 1.
 */
export function sampleGamma(rng: () => number, shape: number): number {
  if (shape < 1) {
    return sampleGamma(rng, shape + 1) * Math.pow(1 - rng(), 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** One draw from a symmetric Dirichlet(alpha) over `k` categories, by normalising gammas. */
export function sampleDirichlet(rng: () => number, alpha: number, k: number): Float64Array {
  const out = new Float64Array(k);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    const g = sampleGamma(rng, alpha);
    out[i] = g;
    sum += g;
  }
  if (sum === 0 || !Number.isFinite(sum)) {
    // Tiny alpha can underflow every gamma to 0; the limit of Dir(α→0) puts all mass on one
    // category, so do exactly that instead of dividing by zero.
    out.fill(0);
    out[randomInt(rng, k)] = 1;
    return out;
  }
  for (let i = 0; i < k; i++) out[i] = out[i]! / sum;
  return out;
}
