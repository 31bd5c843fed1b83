import { describe, it, expect } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { Krum } from './krum.js';
import type { ClientUpdate } from './strategy.js';
import { FIVE, permutations, randomUpdates, updatesOf } from './strategy.fixture.js';

describe('Krum', () => {
  const krum = new Krum({ f: 1 });

  it('applies the update with the lowest score', () => {
    // FIVE's scores with f = 1 (strategy.fixture.ts): a 3, b 2, c 6, d 3, e 326.
    const result = krum.aggregate(Float32Array.from([1, 1]), updatesOf(...FIVE));
    expect(Array.from(result.weights)).toEqual([2, 1]); // base + b
    expect(result.selected).toEqual(['b']);
    expect(result.totalExamples).toBe(5);
    expect(result.numUpdates).toBe(5);
  });

  it('breaks a tie in score by key id', () => {
    // 1-D 0, 1, 2, 3, 100: scores 5, 2, 2, 5, 19013; b and c tie, b comes first.
    const result = krum.aggregate(new Float32Array(1), updatesOf([0], [1], [2], [3], [100]));
    expect(result.selected).toEqual(['b']);
    const renamed = updatesOf([0], [1], [2], [3], [100]).map((u) =>
      u.keyId === 'c' ? { ...u, keyId: 'a0' } : u,
    );
    expect(krum.aggregate(new Float32Array(1), renamed).selected).toEqual(['a0']);
  });

  it('ignores example counts', () => {
    const updates = updatesOf(...FIVE).map((u) => (u.keyId === 'e' ? { ...u, numExamples: 10 ** 9 } : u));
    expect(krum.aggregate(new Float32Array(2), updates).selected).toEqual(['b']);
  });

  it('does not choose an outlier, however far', () => {
    const honest = randomUpdates(6, 40, 41);
    const base = new Float32Array(40);
    const withOutlier = (scale: number): ClientUpdate[] => [
      ...honest,
      { keyId: 'aaa-evil', numExamples: 1, delta: new Float32Array(40).fill(scale) },
    ];
    const near = krum.aggregate(base, withOutlier(5));
    const far = krum.aggregate(base, withOutlier(1e30));
    expect(near.selected).not.toContain('aaa-evil');
    expect(far.selected).toEqual(near.selected);
    expect(digestWeights(far.weights)).toBe(digestWeights(near.weights));
  });

  it('is bit-identical for every arrival order', () => {
    const updates = randomUpdates(5, 100, 42);
    const base = new Float32Array(100).fill(2);
    const reference = krum.aggregate(base, updates);
    for (const order of permutations(updates)) {
      const result = krum.aggregate(base, order);
      expect(result.selected).toEqual(reference.selected);
      expect(digestWeights(result.weights)).toBe(digestWeights(reference.weights));
    }
  });

  it('refuses n ≤ 2f + 2', () => {
    expect(new Krum({ f: 2 }).updateCount.min).toBe(7);
    expect(() => krum.aggregate(new Float32Array(2), updatesOf(...FIVE.slice(0, 4)))).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('n > 2f + 2') as unknown,
      }),
    );
  });

  it('refuses NaN, naming the worker', () => {
    const updates = updatesOf(...FIVE.slice(0, 4), [0, Number.NaN]);
    expect(() => krum.aggregate(new Float32Array(2), updates)).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('update from e') as unknown,
      }),
    );
  });

  it('requires f', () => {
    expect(() => new Krum({} as { f: number })).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    expect(() => new Krum({ f: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });
});
