import { describe, it, expect } from 'vitest';
import { createRng } from '@silo/common';
import { gather, medianOf, nearestMedianMeanOf, selectKth, trimmedMeanOf } from './order-statistics.js';

const f64 = (values: readonly number[]): Float64Array => Float64Array.from(values);

describe('selectKth', () => {
  it('returns the k-th smallest for every k, with and without ties', () => {
    const random = createRng(9);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 40);
      // Few distinct values in half the trials, so ties are common.
      const levels = trial % 2 === 0 ? 3 : 1000;
      const values = Array.from({ length: n }, () => Math.floor(random() * levels) - levels / 2);
      const sorted = [...values].sort((a, b) => a - b);
      const k = Math.floor(random() * n);
      const work = f64(values);
      expect(selectKth(work, 0, n - 1, k)).toBe(sorted[k]);
      // Partitioned around position k.
      for (let i = 0; i < k; i++) expect(work[i]).toBeLessThanOrEqual(sorted[k] as number);
      for (let i = k + 1; i < n; i++) expect(work[i]).toBeGreaterThanOrEqual(sorted[k] as number);
    }
  });

  it('works on a sub-range', () => {
    const work = f64([9, 9, 5, 1, 3, 9]);
    expect(selectKth(work, 2, 4, 3)).toBe(3); // [5, 1, 3] sorted is [1, 3, 5]
    expect([work[0], work[1], work[5]]).toEqual([9, 9, 9]);
  });
});

describe('medianOf', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(medianOf(f64([5, -1, 3]), 3)).toBe(3);
    expect(medianOf(f64([4, 1, 100, 2]), 4)).toBe(3); // (2 + 4) / 2
    expect(medianOf(f64([7]), 1)).toBe(7);
    expect(medianOf(f64([1, 1, 1, 8]), 4)).toBe(1);
  });
});

describe('gather', () => {
  it('reads one coordinate of every delta and turns -0 into +0', () => {
    const out = new Float64Array(2);
    gather([Float32Array.from([1, -0]), Float32Array.from([2, 5])], 1, out);
    expect(Array.from(out)).toEqual([0, 5]);
    expect(Object.is(out[0], 0)).toBe(true);
  });
});

describe('trimmedMeanOf', () => {
  const work = new Float64Array(16);

  it('drops `trim` values from each end and averages the rest', () => {
    // [3, 100, 1, 4, 2], trim 1: drop 1 and 100, mean(3, 4, 2) = 3
    expect(trimmedMeanOf(f64([3, 100, 1, 4, 2]), 5, 1, work)).toBe(3);
    // trim 2 of [3, 100, 1, 4, 2, -50]: drop -50, 1 and 4, 100: mean(3, 2) = 2.5
    expect(trimmedMeanOf(f64([3, 100, 1, 4, 2, -50]), 6, 2, work)).toBe(2.5);
    // trim 0 is the plain mean: 10 / 4
    expect(trimmedMeanOf(f64([1, 2, 3, 4]), 4, 0, work)).toBe(2.5);
  });

  it('keeps the right number of values tied at a cut', () => {
    // [1, 1, 1, 5, 5], trim 1: drop one 1 and one 5, keep [1, 1, 5]: 7 / 3
    expect(trimmedMeanOf(f64([1, 5, 1, 5, 1]), 5, 1, work)).toBeCloseTo(7 / 3, 15);
    // All equal: the value itself.
    expect(trimmedMeanOf(f64([2, 2, 2, 2, 2]), 5, 2, work)).toBe(2);
    // [0, 0, 9, 9], trim 1: keep one 0 and one 9: 4.5
    expect(trimmedMeanOf(f64([9, 0, 9, 0]), 4, 1, work)).toBe(4.5);
  });

  it('matches sorting and summing the middle on random values with ties', () => {
    const random = createRng(4);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 15);
      const trim = Math.floor(random() * (Math.floor((n - 1) / 2) + 1));
      const values = Array.from({ length: n }, () => Math.floor(random() * 5));
      const middle = [...values].sort((a, b) => a - b).slice(trim, n - trim);
      const expected = middle.reduce((s, x) => s + x, 0) / middle.length;
      // Small integers: every sum is exact, so equality must hold.
      expect(trimmedMeanOf(f64(values), n, trim, work)).toBe(expected);
    }
  });
});

describe('nearestMedianMeanOf', () => {
  const work = new Float64Array(16);
  const distances = new Float64Array(16);

  it('averages the values nearest the median', () => {
    // [0, 1, 2, 3, 100]: median 2, distances [2, 1, 0, 1, 98]; keep 3 → {1, 2, 3}: mean 2
    expect(nearestMedianMeanOf(f64([0, 1, 2, 3, 100]), 5, 3, work, distances)).toBe(2);
    // [10, 0, 1, 2, 3, 4]: median 2.5, distances [7.5, 2.5, 1.5, 0.5, 0.5, 1.5]; keep 4 → {1, 2, 3, 4}: 2.5
    expect(nearestMedianMeanOf(f64([10, 0, 1, 2, 3, 4]), 6, 4, work, distances)).toBe(2.5);
  });

  it('breaks a tie at the cut distance by position (key-id order)', () => {
    // [4, 2, 0]: median 2, distances [2, 0, 2]; keep 2: 2 and the first tied one, 4: mean 3
    expect(nearestMedianMeanOf(f64([4, 2, 0]), 3, 2, work, distances)).toBe(3);
    // [0, 2, 4]: the first tied one is 0 now: mean 1
    expect(nearestMedianMeanOf(f64([0, 2, 4]), 3, 2, work, distances)).toBe(1);
  });

  it('is the mean when it keeps everything', () => {
    expect(nearestMedianMeanOf(f64([1, 2, 6]), 3, 3, work, distances)).toBe(3);
  });
});
