import { SiloError } from '@silo/common';
import { assertFinite } from '@silo/tensors';
import { KERNEL_BLOCK, SimdSumKernel } from './simd-sum.js';

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
 * Elements summed over every vector before moving on, in {@link forEachWeightedSumBlock}: 16,384 float64
 * sums (128 KiB) stay in a core's L2 cache while each vector's slice streams past, so memory
 * traffic is the vectors read once, not a float64 read and write of the sum per vector.
 */
export const SUM_BLOCK = KERNEL_BLOCK;

/**
 * `Σ weightᵢ × vectorᵢ` in float64, vectors added in the order given. The sum is built and
 * handed to `onBlock` one block of {@link SUM_BLOCK} elements at a time, in a scratch array
 * reused for the next block: a caller that only needs the sum element-wise (FedAvg adding the
 * mean to the base) never holds a float64 array of the model's size. Each element sees the same
 * additions in the same order as a vector-at-a-time sum, so the result is bit for bit that of
 * {@link WeightedMeanAccumulator}.
 *
 * Values are checked finite through the sums: with finite positive weights a sum is non-finite
 * exactly when some value behind it is, so the common case costs no separate pass over the
 * vectors, and the failing case rescans to name the first offending vector.
 *
 * @param onBlock - receives the sums of elements `start` to `start + sums.length - 1`, valid only
 *   during the call, and the SIMD kernel whose memory holds them (its `mean` finishes a FedAvg
 *   block there), or `undefined` where the scalar loop summed them.
 * @param what - names vector i in messages.
 * @throws SiloError `ERR_SHAPE_MISMATCH` for a vector of another length; `ERR_BAD_INPUT` for a
 *   weight that is not positive and finite or a vector holding NaN or Infinity.
 */
export function forEachWeightedSumBlock(
  vectors: readonly Float32Array[],
  weights: readonly number[],
  length: number,
  onBlock: (sums: Float64Array, start: number, kernel: SimdSumKernel | undefined) => void,
  what: (i: number) => string = (i) => `vector ${i}`,
): void {
  vectors.forEach((values, i) => {
    if (values.length !== length) {
      throw new SiloError('ERR_SHAPE_MISMATCH', `${what(i)} has ${values.length} values; expected ${length}`);
    }
    const weight = weights[i];
    if (weight === undefined || !Number.isFinite(weight) || weight <= 0) {
      throw new SiloError('ERR_BAD_INPUT', `${what(i)}: weight must be positive and finite, got ${weight}`);
    }
  });
  // The SIMD kernel's memory holds the sums when it is free; otherwise (no wasm SIMD, or a
  // nested call from an onBlock) a scratch array and the scalar loop, with the same result.
  const kernel = SimdSumKernel.take();
  try {
    const scratch = kernel?.sums ?? new Float64Array(Math.min(SUM_BLOCK, length));
    for (let start = 0; start < length; start += SUM_BLOCK) {
      const end = Math.min(length, start + SUM_BLOCK);
      const sums = end - start === scratch.length ? scratch : scratch.subarray(0, end - start);
      sums.fill(0);
      if (kernel === undefined) addScalar(sums, vectors, weights, start);
      else addWithKernel(kernel, sums, vectors, weights, start);
      if (!allFinite(sums)) {
        vectors.forEach((values, i) => assertFinite(values, what(i)));
      }
      onBlock(sums, start, kernel);
    }
  } finally {
    kernel?.release();
  }
}

/**
 * `target[i] += Σₖ weights[k] × vectors[k][i]` for every i, the vectors added in the order given,
 * in float64: bit for bit a vector-at-a-time loop. For a caller that holds a running sum across
 * calls, such as the coordinator's FedAvg over stored blobs, which reads a few updates at a time.
 * Whole groups of four go through the SIMD kernel when it is free (the sums copied in and out a
 * block at a time), the rest through the scalar loop. Values are not checked finite here.
 *
 * @throws SiloError `ERR_SHAPE_MISMATCH` for a vector shorter than `target`, or a weight missing.
 */
export function addWeightedInto(
  target: Float64Array,
  vectors: readonly Float32Array[],
  weights: readonly number[],
): void {
  vectors.forEach((values, k) => {
    if (values.length < target.length || weights[k] === undefined) {
      throw new SiloError(
        'ERR_SHAPE_MISMATCH',
        `vector ${k} has ${values.length} values and weight ${weights[k]}; the sum has ${target.length}`,
      );
    }
  });
  const kernel = vectors.length >= 4 ? SimdSumKernel.take() : undefined;
  try {
    for (let start = 0; start < target.length; start += SUM_BLOCK) {
      const slice = target.subarray(start, Math.min(target.length, start + SUM_BLOCK));
      if (kernel === undefined) {
        addScalar(slice, vectors, weights, start);
        continue;
      }
      const sums = kernel.sums.subarray(0, slice.length);
      sums.set(slice);
      addWithKernel(kernel, sums, vectors, weights, start);
      slice.set(sums);
    }
  } finally {
    kernel?.release();
  }
}

/**
 * `sums` (a view of the kernel's own sums) plus every vector's slice from `start`, in order:
 * groups of four through the kernel, then a pair and a single vector for the last one to three,
 * each group's last few elements (past a multiple of four) through the scalar loop.
 */
function addWithKernel(
  kernel: SimdSumKernel,
  sums: Float64Array,
  vectors: readonly Float32Array[],
  weights: readonly number[],
  start: number,
): void {
  for (let k = 0; k < vectors.length;) {
    const left = vectors.length - k;
    const group = left >= 4 ? 4 : left >= 2 ? 2 : 1;
    const done = kernel.add(sums.length, vectors, weights, k, group, start);
    if (done < sums.length)
      addScalar(sums.subarray(done), vectors.slice(k, k + group), weights.slice(k, k + group), start + done);
    k += group;
  }
}

/** The block's sums of every vector, four per pass and the rest one by one, in order. */
function addScalar(
  sums: Float64Array,
  vectors: readonly Float32Array[],
  weights: readonly number[],
  start: number,
): void {
  let k = 0;
  for (; k + 3 < vectors.length; k += 4) addFourScaledRange(sums, vectors, weights, k, start);
  for (; k < vectors.length; k++)
    addScaledRange(sums, vectors[k] as Float32Array, weights[k] as number, start);
}

/** `sums[j] += scale × values[start + j]` over the block. */
function addScaledRange(sums: Float64Array, values: Float32Array, scale: number, start: number): void {
  for (let j = 0, i = start; j < sums.length; j++, i++) {
    sums[j] = (sums[j] as number) + scale * (values[i] as number);
  }
}

/**
 * Vectors `k` to `k + 3` in one pass over the block, `(((sum + a·x) + b·y) + c·z) + d·u`: the
 * additions of four calls of {@link addScaledRange} in the same order, with one load and store of
 * the sum instead of four. Four is the most that measured faster here: with eight, the loop runs
 * out of registers and slows down.
 */
function addFourScaledRange(
  sums: Float64Array,
  vectors: readonly Float32Array[],
  weights: readonly number[],
  k: number,
  start: number,
): void {
  const x = vectors[k] as Float32Array;
  const y = vectors[k + 1] as Float32Array;
  const z = vectors[k + 2] as Float32Array;
  const u = vectors[k + 3] as Float32Array;
  const a = weights[k] as number;
  const b = weights[k + 1] as number;
  const c = weights[k + 2] as number;
  const d = weights[k + 3] as number;
  for (let j = 0, i = start; j < sums.length; j++, i++) {
    sums[j] =
      (sums[j] as number) +
      a * (x[i] as number) +
      b * (y[i] as number) +
      c * (z[i] as number) +
      d * (u[i] as number);
  }
}

function allFinite(values: Float64Array): boolean {
  // x − x is 0 for every finite x and NaN for ±Infinity and NaN; NaN survives the sum.
  let probe = 0;
  for (let i = 0; i < values.length; i++) probe += (values[i] as number) - (values[i] as number);
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
