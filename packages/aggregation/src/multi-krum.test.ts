import { describe, it, expect } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { MultiKrum } from './multi-krum.js';
import type { ClientUpdate } from './strategy.js';
import { FIVE, permutations, randomUpdates, updatesOf } from './strategy.fixture.js';

// Scores of FIVE with f = 1 (see strategy.fixture.ts): a 3, b 2, c 6, d 3, e 326.
describe('MultiKrum', () => {
  it('averages the m best-scored updates, unweighted', () => {
    // m = 3: b, then a and d (tied at 3): mean([0, 0], [1, 0], [1, 1]) = [2/3, 1/3]
    const result = new MultiKrum({ f: 1, m: 3 }).aggregate(
      new Float32Array(2),
      updatesOf(...FIVE).map((u, k) => ({ ...u, numExamples: 1 + k })),
    );
    expect(result.selected).toEqual(['a', 'b', 'd']);
    expect(result.weights[0]).toBeCloseTo(2 / 3, 6);
    expect(result.weights[1]).toBeCloseTo(1 / 3, 6);
    expect(result.totalExamples).toBe(15);
  });

  it('breaks a tie in score by key id', () => {
    // m = 2: b, then a (3) before d (3): mean([0, 0], [1, 0]) = [0.5, 0]
    const result = new MultiKrum({ f: 1, m: 2 }).aggregate(new Float32Array(2), updatesOf(...FIVE));
    expect(result.selected).toEqual(['a', 'b']);
    expect(Array.from(result.weights)).toEqual([0.5, 0]);
  });

  it('averages n − f updates by default', () => {
    // b, a, d, c: mean([0, 0], [1, 0], [0, 2], [1, 1]) = [0.5, 0.75]
    const result = new MultiKrum({ f: 1 }).aggregate(new Float32Array(2), updatesOf(...FIVE));
    expect(result.selected).toEqual(['a', 'b', 'c', 'd']);
    expect(Array.from(result.weights)).toEqual([0.5, 0.75]);
  });

  it('leaves out an outlier, however far', () => {
    const strategy = new MultiKrum({ f: 1 });
    const honest = randomUpdates(6, 40, 51);
    const withOutlier = (scale: number): ClientUpdate[] => [
      ...honest,
      { keyId: 'evil', numExamples: 1, delta: new Float32Array(40).fill(scale) },
    ];
    const base = new Float32Array(40);
    const near = strategy.aggregate(base, withOutlier(5));
    expect(near.selected).not.toContain('evil');
    expect(digestWeights(strategy.aggregate(base, withOutlier(-1e30)).weights)).toBe(
      digestWeights(near.weights),
    );
  });

  it('is bit-identical for every arrival order', () => {
    const strategy = new MultiKrum({ f: 1, m: 3 });
    const updates = randomUpdates(5, 100, 52);
    const base = new Float32Array(100);
    const reference = digestWeights(strategy.aggregate(base, updates).weights);
    for (const order of permutations(updates)) {
      expect(digestWeights(strategy.aggregate(base, order).weights)).toBe(reference);
    }
  });

  it('needs n > 2f + 2 and n ≥ m', () => {
    expect(new MultiKrum({ f: 1 }).updateCount.min).toBe(5);
    expect(new MultiKrum({ f: 1, m: 4 }).updateCount.min).toBe(5);
    const wide = new MultiKrum({ f: 1, m: 6 });
    expect(wide.updateCount.min).toBe(6);
    expect(() => wide.aggregate(new Float32Array(2), updatesOf(...FIVE))).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('m = 6') as unknown,
      }),
    );
    expect(() => new MultiKrum({ f: 1, m: 0 })).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });
});
