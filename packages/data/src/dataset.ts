import { SiloError } from '@silo/common';

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
