import { describe, it, expect } from 'vitest';
import { digestWeights } from '@silo/tensors';
import type { ClientUpdate } from './strategy.js';
import { permutations, randomUpdates, updatesOf } from './strategy.fixture.js';
import { TrimmedMean } from './trimmed-mean.js';

describe('TrimmedMean', () => {
  it('matches hand-computed trimmed means', () => {
    // β = 0.2, n = 5: trim ⌊1⌋ = 1 from each end.
    // coordinate 0: [1, 2, 3, 4, 100] → mean(2, 3, 4) = 3
    // coordinate 1: [1, 5, 1, 5, 1]  → drop one 1 and one 5 → mean(1, 1, 5) = 7/3
    const strategy = new TrimmedMean({ beta: 0.2 });
    expect(strategy.trimCount(5)).toBe(1);
    const result = strategy.aggregate(
      Float32Array.from([1, 0]),
      updatesOf([1, 1], [2, 5], [3, 1], [4, 5], [100, 1]),
    );
    expect(result.weights[0]).toBe(4);
    expect(result.weights[1]).toBeCloseTo(7 / 3, 6);
    expect(result.totalExamples).toBe(5);
  });

  it('is the plain unweighted mean with β = 0', () => {
    // [1, 2, 9] / 3 = 4, whatever the example counts
    const updates = updatesOf([1], [2], [9]).map((u, k) => ({ ...u, numExamples: 1 + 10 * k }));
    expect(new TrimmedMean({ beta: 0 }).aggregate(new Float32Array(1), updates).weights[0]).toBe(4);
  });

  it('is not moved by trimmed outliers, however far', () => {
    const strategy = new TrimmedMean({ beta: 0.25 }); // n = 8: trims 2 from each end
    const honest = randomUpdates(6, 30, 31);
    const withOutliers = (scale: number): ClientUpdate[] => [
      ...honest,
      { keyId: 'evil-1', numExamples: 1, delta: new Float32Array(30).fill(scale) },
      { keyId: 'evil-2', numExamples: 1, delta: new Float32Array(30).fill(scale) },
    ];
    const base = new Float32Array(30);
    expect(digestWeights(strategy.aggregate(base, withOutliers(1e3)).weights)).toBe(
      digestWeights(strategy.aggregate(base, withOutliers(3e38)).weights),
    );
  });

  it('is bit-identical for every arrival order', () => {
    const strategy = new TrimmedMean({ beta: 0.2 });
    const updates = randomUpdates(5, 64, 32);
    const base = new Float32Array(64).fill(1);
    const reference = digestWeights(strategy.aggregate(base, updates).weights);
    for (const order of permutations(updates)) {
      expect(digestWeights(strategy.aggregate(base, order).weights)).toBe(reference);
    }
  });

  it('refuses a round it would trim nothing from, and says how many it needs', () => {
    const strategy = new TrimmedMean({ beta: 0.1 });
    expect(strategy.updateCount.min).toBe(10);
    const updates = randomUpdates(9, 4, 33);
    expect(() => strategy.aggregate(new Float32Array(4), updates)).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('at least 10') as unknown,
      }),
    );
    expect(() => strategy.aggregate(new Float32Array(4), randomUpdates(10, 4, 33))).not.toThrow();
    expect(new TrimmedMean({ beta: 0.3 }).updateCount.min).toBe(4); // ⌊0.3·4⌋ = 1, ⌊0.3·3⌋ = 0
  });

  it('refuses NaN, naming the worker', () => {
    const updates = [
      ...updatesOf([1], [2], [3], [4]),
      { keyId: 'nan-worker', numExamples: 1, delta: Float32Array.from([Number.NaN]) },
    ];
    expect(() => new TrimmedMean({ beta: 0.2 }).aggregate(new Float32Array(1), updates)).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('nan-worker') as unknown,
      }),
    );
  });

  it('refuses β outside [0, 0.5) and defaults to 0.1', () => {
    expect(new TrimmedMean().beta).toBe(0.1);
    for (const beta of [0.5, -0.1, Number.NaN]) {
      expect(() => new TrimmedMean({ beta })).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    }
  });
});
