import { describe, it, expect } from 'vitest';
import { createRng } from '@silo/common';
import {
  SUM_BLOCK,
  WeightedMeanAccumulator,
  addWeightedInto,
  applyDelta,
  forEachWeightedSumBlock,
} from './weighted-mean.js';
import { SimdSumKernel } from './simd-sum.js';

/** The blocks of {@link forEachWeightedSumBlock} put together in one array. */
function weightedSum(
  vectors: readonly Float32Array[],
  weights: readonly number[],
  length: number,
  what?: (i: number) => string,
): Float64Array {
  const sum = new Float64Array(length);
  forEachWeightedSumBlock(vectors, weights, length, (sums, start) => sum.set(sums, start), what);
  return sum;
}

describe('WeightedMeanAccumulator', () => {
  it('computes Σ w·v / Σ w', () => {
    // (2·[1, 4] + 6·[3, 0]) / 8 = [20, 8] / 8 = [2.5, 1]
    const acc = new WeightedMeanAccumulator(2);
    acc.add(Float32Array.from([1, 4]), 2);
    acc.add(Float32Array.from([3, 0]), 6);
    expect(acc.count).toBe(2);
    expect(acc.totalWeight).toBe(8);
    const mean = acc.mean();
    expect(mean).toBeInstanceOf(Float64Array);
    expect(Array.from(mean)).toEqual([2.5, 1]);
  });

  it('keeps float64 precision in its sum', () => {
    // Ten copies of f = float32(0.1) ≈ 0.100000001490. Summed in float64 the mean is f to ~1e-17;
    // a float32 running sum reaches 1.0000001192, whose tenth is 1e-8 away from f.
    const acc = new WeightedMeanAccumulator(1);
    for (let i = 0; i < 10; i++) acc.add(Float32Array.from([0.1]), 1);
    expect(Math.abs((acc.mean()[0] as number) - Math.fround(0.1))).toBeLessThan(1e-15);
  });

  it('rejects a mean of nothing', () => {
    expect(() => new WeightedMeanAccumulator(3).mean()).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });

  it('rejects a vector of the wrong length', () => {
    expect(() => new WeightedMeanAccumulator(3).add(new Float32Array(2), 1)).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects weight %s', (weight) => {
    expect(() => new WeightedMeanAccumulator(1).add(new Float32Array(1), weight)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });

  it('rejects a bad length', () => {
    expect(() => new WeightedMeanAccumulator(-1)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });
});

describe('forEachWeightedSumBlock', () => {
  // Two whole blocks and a partial one, so block edges are crossed.
  const length = 2 * SUM_BLOCK + 1_234;
  const random = createRng(7);
  const vectors = Array.from({ length: 5 }, () =>
    Float32Array.from({ length }, () => (random() - 0.5) * 10 ** Math.floor(random() * 8 - 4)),
  );
  const weights = [3, 1, 700, 12, 5];
  const more = Array.from({ length: 9 }, () =>
    Float32Array.from({ length }, () => (random() - 0.5) * 10 ** Math.floor(random() * 8 - 4)),
  );
  const moreWeights = [3, 1, 700, 12, 5, 0.25, 9, 40, 2];

  // Vectors are added four at a time and then one by one: every count of full groups and rest.
  it.each([1, 2, 3, 4, 5, 7, 8, 9])(
    'equals the vector-at-a-time float64 sum bit for bit for %i vectors',
    (n) => {
      const acc = new WeightedMeanAccumulator(length);
      more.slice(0, n).forEach((v, i) => acc.add(v, moreWeights[i] as number));
      const sum = weightedSum(more.slice(0, n), moreWeights.slice(0, n), length);
      const mean = sum.map((x) => x / acc.totalWeight);
      expect(Buffer.from(mean.buffer).equals(Buffer.from(acc.mean().buffer))).toBe(true);
    },
  );

  // The SIMD kernel does a multiple of four elements of a block and the scalar loop the rest.
  it.each([1, 3, 4, 7, SUM_BLOCK, SUM_BLOCK + 5])('is bit for bit the scalar sum for %i elements', (size) => {
    const slices = more.slice(0, 6).map((v) => v.slice(0, size));
    const acc = new WeightedMeanAccumulator(size);
    slices.forEach((v, i) => acc.add(v, moreWeights[i] as number));
    const mean = weightedSum(slices, moreWeights.slice(0, 6), size).map((x) => x / acc.totalWeight);
    expect(Buffer.from(mean.buffer).equals(Buffer.from(acc.mean().buffer))).toBe(true);
  });

  it.each([1, 2, 3, 5, 6])(
    'adds a last group of %i vectors (pairs and singles past the fours) bit for bit, signed zeros included',
    (n) => {
      // -0, and products that underflow to -0 with a tiny weight, next to ordinary values.
      const size = 4 * 9 + 3;
      const vs = Array.from({ length: n }, (_, k) =>
        Float32Array.from({ length: size }, (_, i) => [-0, -1e-45, 0, 1.5, -2.25e-7][(i + k) % 5] as number),
      );
      const ws = Array.from({ length: n }, (_, k) => [1, 1e-300, 3, 0.5, 7, 2][k] as number);
      const acc = new WeightedMeanAccumulator(size);
      vs.forEach((v, i) => acc.add(v, ws[i] as number));
      const sum = weightedSum(vs, ws, size);
      const mean = sum.map((x) => x / acc.totalWeight);
      expect(Buffer.from(mean.buffer).equals(Buffer.from(acc.mean().buffer))).toBe(true);
    },
  );

  it('gives the same sums to a call nested in onBlock, which finds the kernel taken', () => {
    const expected = weightedSum(more, moreWeights, length);
    const outer = new Float64Array(length);
    const inner = new Float64Array(length);
    forEachWeightedSumBlock(more, moreWeights, length, (sums, start) => {
      if (start === 0) expect(SimdSumKernel.take()).toBeUndefined();
      outer.set(sums, start);
      if (start === 0) inner.set(weightedSum(more, moreWeights, length));
    });
    expect(Buffer.from(outer.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(Buffer.from(inner.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it('runs on the WebAssembly SIMD kernel here, given back after each call', () => {
    const kernel = SimdSumKernel.take();
    expect(kernel).toBeDefined();
    expect(SimdSumKernel.take()).toBeUndefined();
    kernel?.release();
    weightedSum(more, moreWeights, length);
    const again = SimdSumKernel.take();
    expect(again).toBe(kernel);
    again?.release();
  });

  it.each([
    ['NaN in the last, partial block', 2, 2 * SUM_BLOCK + 7, Number.NaN],
    ['Infinity in the first block', 4, 3, Number.POSITIVE_INFINITY],
  ])('names the vector and index of %s', (_, which, index, value) => {
    const bad = vectors.map((v) => v.slice());
    (bad[which] as Float32Array)[index] = value;
    expect(() => weightedSum(bad, weights, length, (i) => `update ${i}`)).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: `update ${which}[${index}] is ${value}; every value must be finite`,
      }),
    );
  });

  it('catches +Infinity and -Infinity that cancel into NaN at one index', () => {
    const bad = vectors.map((v) => v.slice());
    (bad[1] as Float32Array)[SUM_BLOCK] = Number.POSITIVE_INFINITY;
    (bad[3] as Float32Array)[SUM_BLOCK] = Number.NEGATIVE_INFINITY;
    expect(() => weightedSum(bad, weights, length)).toThrow(`vector 1[${SUM_BLOCK}] is Infinity`);
  });

  it('refuses a vector of another length and a weight that is not positive', () => {
    expect(() => weightedSum([new Float32Array(3)], [1], 4)).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
    expect(() => weightedSum([new Float32Array(3)], [0], 3)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });
});

describe('addWeightedInto', () => {
  const length = SUM_BLOCK + 1_234 + 3;
  const random = createRng(21);
  const vectors = Array.from({ length: 9 }, () =>
    Float32Array.from({ length }, () => (random() - 0.5) * 10 ** Math.floor(random() * 8 - 4)),
  );
  const weights = [3, 1, 700, 12, 5, 0.25, 9, 40, 2];

  it.each([1, 3, 4, 5, 8, 9])(
    'adds %i vectors onto a running sum bit for bit as a vector-at-a-time loop',
    (n) => {
      // A running sum from an earlier call.
      const start = Float64Array.from({ length }, (_, i) => Math.sin(i) * 1e-3);
      const expected = Float64Array.from(start);
      for (let k = 0; k < n; k++) {
        const v = vectors[k] as Float32Array;
        for (let i = 0; i < length; i++)
          expected[i] = (expected[i] as number) + (weights[k] as number) * (v[i] as number);
      }
      const target = Float64Array.from(start);
      addWeightedInto(target, vectors.slice(0, n), weights.slice(0, n));
      expect(Buffer.from(target.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    },
  );

  it('refuses a vector shorter than the sum, or a missing weight', () => {
    expect(() => addWeightedInto(new Float64Array(4), [new Float32Array(3)], [1])).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
    expect(() => addWeightedInto(new Float64Array(4), [new Float32Array(4)], [])).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
  });
});

describe('applyDelta', () => {
  it('adds in float64 and rounds to float32 once', () => {
    // 1 + 2^-24 + 2^-24: rounding after each step gives 1 (ties to even), rounding once gives 1 + 2^-23.
    const out = applyDelta(Float32Array.from([1]), Float64Array.from([2 ** -24 + 2 ** -24]));
    expect(out[0]).toBe(1 + 2 ** -23);
  });

  it('rejects a length mismatch', () => {
    expect(() => applyDelta(new Float32Array(2), new Float64Array(3))).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
  });
});
