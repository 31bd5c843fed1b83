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
