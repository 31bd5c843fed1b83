import { describe, it, expect } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { CoordinateMedian } from './median.js';
import type { ClientUpdate } from './strategy.js';
import { permutations, randomUpdates, shuffles, updatesOf } from './strategy.fixture.js';

describe('CoordinateMedian', () => {
  const median = new CoordinateMedian();

  it('matches hand-computed medians', () => {
    // Odd n, per coordinate: [1, 3, 2] → 2; [5, -2, 0] → 0; [-1, 0, 100] → 0.
    const odd = median.aggregate(
      Float32Array.from([10, 0, 0]),
      updatesOf([1, 5, -1], [3, -2, 0], [2, 0, 100]),
    );
    expect(Array.from(odd.weights)).toEqual([12, 0, 0]);
    expect(odd.totalExamples).toBe(3);
    expect(odd.numUpdates).toBe(3);
    // Even n: [1, 4, 2, 100] → (2 + 4) / 2 = 3; [0, 0, -1, -1] → (-1 + 0) / 2 = -0.5.
    const even = median.aggregate(Float32Array.from([1, 1]), updatesOf([1, 0], [4, 0], [2, -1], [100, -1]));
    expect(Array.from(even.weights)).toEqual([4, 0.5]);
  });

  it('ignores example counts', () => {
    const updates = updatesOf([1], [2], [30]);
    const heavy = updates.map((u, k) => ({ ...u, numExamples: k === 2 ? 1_000_000 : 1 }));
    expect(median.aggregate(new Float32Array(1), heavy).weights[0]).toBe(2);
  });

  it('is not moved by outliers, however far', () => {
    const honest = randomUpdates(5, 50, 21);
    const withOutliers = (scale: number): ClientUpdate[] => [
      ...honest,
      { keyId: 'x-evil-1', numExamples: 1, delta: new Float32Array(50).fill(scale) },
      { keyId: 'x-evil-2', numExamples: 1, delta: new Float32Array(50).fill(-scale) },
    ];
    const base = new Float32Array(50);
    const near = digestWeights(median.aggregate(base, withOutliers(10)).weights);
    expect(digestWeights(median.aggregate(base, withOutliers(1e30)).weights)).toBe(near);
    // And the outliers pulled nothing: with them the median equals that of the honest five.
    expect(near).toBe(digestWeights(median.aggregate(base, honest).weights));
  });

  it('is bit-identical for every arrival order, signed zeros and ties included', () => {
    const updates = randomUpdates(5, 40, 22);
    for (const u of updates) {
      u.delta[0] = -0;
      u.delta[1] = 0.5;
    }
    (updates[0] as ClientUpdate).delta[0] = 0;
    const base = Float32Array.from({ length: 40 }, (_, i) => (i === 0 ? -0 : i));
    const reference = digestWeights(median.aggregate(base, updates).weights);
    for (const order of permutations(updates)) {
      expect(digestWeights(median.aggregate(base, order).weights)).toBe(reference);
    }
    const many = randomUpdates(12, 40, 23);
    const manyReference = digestWeights(median.aggregate(base, many).weights);
    for (const order of shuffles(many, 30, 24)) {
      expect(digestWeights(median.aggregate(base, order).weights)).toBe(manyReference);
    }
  });

  it('refuses NaN and Infinity, naming the worker', () => {
    for (const bad of [Number.NaN, Number.NEGATIVE_INFINITY]) {
      const updates = [
        ...updatesOf([1], [2]),
        { keyId: 'w-bad', numExamples: 1, delta: Float32Array.from([bad]) },
      ];
      expect(() => median.aggregate(new Float32Array(1), updates)).toThrow(
        expect.objectContaining({
          code: 'ERR_BAD_INPUT',
          message: expect.stringContaining('w-bad') as unknown,
        }),
      );
    }
  });

  it('refuses no updates, a repeated key and a length mismatch', () => {
    expect(() => median.aggregate(new Float32Array(1), [])).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    const [a] = updatesOf([1]) as [ClientUpdate];
    expect(() => median.aggregate(new Float32Array(1), [a, { ...a }])).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    expect(() => median.aggregate(new Float32Array(2), [a])).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
  });
});
