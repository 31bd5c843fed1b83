import { SiloError } from '@silo/common';
import { shuffleIndices } from './rng.js';

/**
 * A labelled classification dataset held in memory.
 *
 * `x` is `size × prod(featureShape)` floats in row-major order (example `i` occupies
 * `x[i*d … (i+1)*d)`), and `y[i]` is its class id in `0 … numClasses-1`.
 */
export interface Dataset {
  /** Features, row-major, `size × prod(featureShape)`. */
  x: Float32Array;
  /** Class ids, one per example, in `0 … numClasses-1`. */
  y: Int32Array;
  /** Number of examples. */
  size: number;
  /** Shape of one example's features, e.g. `[784]`. */
  featureShape: number[];
  /** Number of classes the labels range over (some may have no examples). */
  numClasses: number;
}

/** Number of floats in one example. */
export function featureLength(featureShape: readonly number[]): number {
  return featureShape.reduce((a, b) => a * b, 1);
}

/**
 * The examples of `ds` at `indices`, copied in that order into a new dataset.
 *
 * @throws SiloError `ERR_BAD_INPUT` when an index is not an integer in `0 … ds.size-1`.
 */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const d = featureLength(ds.featureShape);
  const n = indices.length;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const src = indices[i]!;
    if (!Number.isInteger(src) || src < 0 || src >= ds.size) {
      throw new SiloError(
        'ERR_BAD_INPUT',
        `subset index ${src} at position ${i} is outside 0..${ds.size - 1}`,
      );
    }
    x.set(ds.x.subarray(src * d, (src + 1) * d), i * d);
    y[i] = ds.y[src]!;
  }
  return { x, y, size: n, featureShape: [...ds.featureShape], numClasses: ds.numClasses };
}

/**
 * Splits off a held-out share of `ds` that training never sees: a seeded random ⌈share·n⌉
 * examples (at least one when `share > 0`, at most n − 1) form `heldOut`, the rest `train`.
 * The same `(ds, share, seed)` always gives the same split.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a share outside [0, 1), or one that leaves no
 *   example to hold out or to train on.
 */
export function holdOut(
  ds: Dataset,
  share: number,
  seed: number,
): { train: Dataset; heldOut: Dataset | undefined } {
  if (!(share >= 0 && share < 1))
    throw new SiloError('ERR_BAD_CONFIG', `the held-out share must be in [0, 1), got ${share}`);
  if (share === 0) return { train: ds, heldOut: undefined };
  const count = Math.ceil(share * ds.size);
  if (ds.size < 2 || count >= ds.size)
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `cannot hold out ${share} of ${ds.size} examples and still train on some`,
    );
  const order = shuffleIndices(ds.size, seed);
  const held = Int32Array.from(order.subarray(0, count)).sort();
  const kept = Int32Array.from(order.subarray(count)).sort();
  return { train: subset(ds, kept), heldOut: subset(ds, held) };
}
