import { describe, it, expect } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { Bulyan } from './bulyan.js';
import type { ClientUpdate } from './strategy.js';
import { randomUpdates, shuffles, updatesOf } from './strategy.fixture.js';

describe('Bulyan', () => {
  const bulyan = new Bulyan({ f: 1 });

  it('matches a hand-computed round', () => {
    // n = 7, f = 1: select θ = 5 by recursive Krum, then average the β = 3 nearest the median.
    // 1-D deltas a..g = 100, 0, 1, 2, 3, 4, 5; a is the attacker, and first in key-id order.
    // Pick 1 (7 left, 4 neighbours): b 1+4+9+16 = 30, c 1+1+4+9 = 15, d 1+1+4+4 = 10, e 10,
    //   f 15, g 30, a 95²+96²+97²+98² → d (tied with e, key id).
    // Pick 2 (6 left, 3 neighbours): b 1+9+16 = 26, c 1+4+9 = 14, e 1+4+4 = 9, f 1+1+9 = 11,
    //   g 1+4+16 = 21 → e.
    // Pick 3 (5 left, 2 neighbours): b 1+16 = 17, c 1+9 = 10, f 1+9 = 10, g 1+16 = 17 → c.
    // Pick 4 (4 left, 1 neighbour): b 16, f 1, g 1 → f.
    // Pick 5 (3 left, n' − f − 2 = 0 raised to 1 neighbour): b 25, g 25, a 95² → b.
    //   (With 0 neighbours all three would score 0 and a would win on its key id.)
    // Selected 0, 1, 2, 3, 4: median 2, distances 2, 1, 0, 1, 2; the 3 nearest are 1, 2, 3: mean 2.
    const result = bulyan.aggregate(Float32Array.from([10]), updatesOf([100], [0], [1], [2], [3], [4], [5]));
    expect(result.selected).toEqual(['b', 'c', 'd', 'e', 'f']);
    expect(Array.from(result.weights)).toEqual([12]);
    expect(result.totalExamples).toBe(7);
    expect(result.numUpdates).toBe(7);
  });

  it('bounds each coordinate of the selected updates', () => {
    // Krum scores over both coordinates (first pick, 4 neighbours): a 597, b 177, c 172, d 177,
    // e 597, f 9111, g 30810; the picks go c, b, d, a, then e (tied with f at 46² + 9², key id).
    // On coordinate 1 the selected a..e carry 9, 0, 0, 0, -9: median 0, the 3 nearest are 0, 0, 0.
    const result = bulyan.aggregate(
      new Float32Array(2),
      updatesOf([0, 9], [1, 0], [2, 0], [3, 0], [4, -9], [50, 0], [100, 0]),
    );
    expect(result.selected).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(Array.from(result.weights)).toEqual([2, 0]);
  });

  it('refuses n < 4f + 3', () => {
    expect(new Bulyan({ f: 2 }).updateCount.min).toBe(11);
    expect(() => bulyan.aggregate(new Float32Array(1), updatesOf([0], [1], [2], [3], [4], [5]))).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('n ≥ 4f + 3') as unknown,
      }),
    );
    expect(() => new Bulyan({ f: 3 }).aggregate(new Float32Array(4), randomUpdates(14, 4, 1))).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('at least 15') as unknown,
      }),
    );
  });

  it('is not moved by outliers, however far', () => {
    const honest = randomUpdates(9, 30, 61);
    const withOutliers = (scale: number): ClientUpdate[] => [
      ...honest,
      { keyId: 'evil-1', numExamples: 1, delta: new Float32Array(30).fill(scale) },
      { keyId: 'evil-2', numExamples: 1, delta: new Float32Array(30).fill(-scale) },
    ];
    const strategy = new Bulyan({ f: 2 }); // n = 11 = 4f + 3
    const base = new Float32Array(30);
    const near = strategy.aggregate(base, withOutliers(20));
    const far = strategy.aggregate(base, withOutliers(1e30));
    expect(near.selected).not.toContain('evil-1');
    expect(near.selected).not.toContain('evil-2');
    expect(digestWeights(far.weights)).toBe(digestWeights(near.weights));
  });

  it('is bit-identical for any arrival order', () => {
    const updates = randomUpdates(8, 64, 62);
    const base = new Float32Array(64).fill(-1);
    const reference = bulyan.aggregate(base, updates);
    for (const order of shuffles(updates, 40, 63)) {
      const result = bulyan.aggregate(base, order);
      expect(result.selected).toEqual(reference.selected);
      expect(digestWeights(result.weights)).toBe(digestWeights(reference.weights));
    }
  });

  it('refuses NaN, naming the worker', () => {
    const updates = updatesOf([0], [1], [2], [3], [4], [5], [Number.POSITIVE_INFINITY]);
    expect(() => bulyan.aggregate(new Float32Array(1), updates)).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('update from g') as unknown,
      }),
    );
  });
});
