import { SiloError } from '@silo/common';
import { assertFinite } from '@silo/tensors';

/**
 * Running weighted mean of vectors, summed in float64.
 *
 * Float32 sums lose the contributions of small updates once the running total is large
 * (1 + 2^24 rounds back to 2^24 in float32), which biases the aggregate towards whichever
 * updates came first. Float64 keeps 29 more bits, enough for any realistic worker count.
 */
export class WeightedMeanAccumulator {
  readonly #sum: Float64Array;
  #totalWeight = 0;
  #count = 0;

  /** @param length - element count every added vector must have. */
  constructor(length: number) {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new SiloError('ERR_BAD_INPUT', `vector length must be a non-negative integer, got ${length}`);
    }
    this.#sum = new Float64Array(length);
  }

  /**
   * Adds `weight × values` to the sum.
   *
   * @throws SiloError `ERR_SHAPE_MISMATCH` for a vector of another length; `ERR_BAD_INPUT`
   *   for a weight that is not positive and finite or a vector holding NaN or Infinity
   *   (one such value would poison the whole mean).
   */
  add(values: Float32Array, weight: number): void {
    if (values.length !== this.#sum.length) {
      throw new SiloError(
        'ERR_SHAPE_MISMATCH',
        `vector has ${values.length} values; expected ${this.#sum.length}`,
      );
    }
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new SiloError('ERR_BAD_INPUT', `weight must be positive and finite, got ${weight}`);
    }
    assertFinite(values, 'vector');
    addScaledInto(this.#sum, values, weight);
    this.#totalWeight += weight;
    this.#count += 1;
  }

  /** Number of vectors added. */
  get count(): number {
    return this.#count;
  }

  /** Sum of the weights added. */
  get totalWeight(): number {
    return this.#totalWeight;
  }

  /**
   * The weighted mean `Σ wᵢ·vᵢ / Σ wᵢ`, still in float64 so the caller rounds to float32 once.
   *
   * @throws SiloError `ERR_BAD_INPUT` when nothing was added (the mean is undefined).
   */
  mean(): Float64Array {
    if (this.#count === 0) throw new SiloError('ERR_BAD_INPUT', 'cannot take the mean of no vectors');
    const out = new Float64Array(this.#sum.length);
    for (let i = 0; i < out.length; i++) out[i] = (this.#sum[i] as number) / this.#totalWeight;
    return out;
  }
}

/**
 * Elements summed over every vector before moving on, in {@link weightedSum}: 16,384 float64
 * sums (128 KiB) stay in a core's L2 cache while each vector's slice streams past, so memory
 * traffic is the vectors read once, not a float64 read and write of the sum per vector.
 */
export const SUM_BLOCK = 16_384;

/**
 * `Σ weightᵢ × vectorᵢ` in float64, vectors added in the order given, a block of elements at a
 * time (see {@link SUM_BLOCK}). Each element sees the same additions in the same order as a
 * vector-at-a-time sum, so the result is bit for bit that of {@link WeightedMeanAccumulator}.
 *
 * Values are checked finite through the sums: with finite positive weights a sum is non-finite
 * exactly when some value behind it is, so the common case costs no separate pass over the
 * vectors, and the failing case rescans to name the first offending vector.
 *
 * @param what - names vector i in messages.
 * @throws SiloError `ERR_SHAPE_MISMATCH` for a vector of another length; `ERR_BAD_INPUT` for a
 *   weight that is not positive and finite or a vector holding NaN or Infinity.
 */
export function weightedSum(
  vectors: readonly Float32Array[],
  weights: readonly number[],
  length: number,
  what: (i: number) => string = (i) => `vector ${i}`,
): Float64Array {
  vectors.forEach((values, i) => {
    if (values.length !== length) {
      throw new SiloError('ERR_SHAPE_MISMATCH', `${what(i)} has ${values.length} values; expected ${length}`);
    }
    const weight = weights[i];
    if (weight === undefined || !Number.isFinite(weight) || weight <= 0) {
      throw new SiloError('ERR_BAD_INPUT', `${what(i)}: weight must be positive and finite, got ${weight}`);
    }
  });
  const sum = new Float64Array(length);
  for (let start = 0; start < length; start += SUM_BLOCK) {
    const end = Math.min(length, start + SUM_BLOCK);
    let k = 0;
    for (; k + 1 < vectors.length; k += 2) {
      const [x, y] = [vectors[k] as Float32Array, vectors[k + 1] as Float32Array];
      addTwoScaledRange(sum, x, weights[k] as number, y, weights[k + 1] as number, start, end);
    }
    if (k < vectors.length) addScaledRange(sum, vectors[k] as Float32Array, weights[k] as number, start, end);
    if (!allFinite(sum, start, end)) {
      vectors.forEach((values, i) => assertFinite(values, what(i)));
    }
  }
  return sum;
}

function addScaledRange(
  target: Float64Array,
  values: Float32Array,
  scale: number,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) target[i] = (target[i] as number) + scale * (values[i] as number);
}

/**
 * Two vectors per pass over the block, `(sum + a·x) + b·y`: the additions of two calls of
 * {@link addScaledRange} in the same order, with one load and store of the sum instead of two.
 */
function addTwoScaledRange(
  target: Float64Array,
  x: Float32Array,
  a: number,
  y: Float32Array,
  b: number,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) {
    target[i] = (target[i] as number) + a * (x[i] as number) + b * (y[i] as number);
  }
}

function allFinite(values: Float64Array, start: number, end: number): boolean {
  // x − x is 0 for every finite x and NaN for ±Infinity and NaN; NaN survives the sum.
  let probe = 0;
  for (let i = start; i < end; i++) probe += (values[i] as number) - (values[i] as number);
  return probe === 0;
}

/** `target += scale × values`, element-wise, in float64. */
export function addScaledInto(target: Float64Array, values: Float32Array, scale: number): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) + scale * (values[i] as number);
}

/**
 * `base + delta` rounded to float32 once per element, so the only float32 rounding in an
 * aggregation is the final one.
 *
 * @throws SiloError `ERR_SHAPE_MISMATCH` when the lengths differ.
 */
export function applyDelta(base: Float32Array, delta: Float64Array): Float32Array {
  if (base.length !== delta.length) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `delta has ${delta.length} values; base weights have ${base.length}`,
    );
  }
  const out = new Float32Array(base.length);
  for (let i = 0; i < out.length; i++) out[i] = (base[i] as number) + (delta[i] as number);
  return out;
}
