import { describe, expect, it } from 'vitest';
import { loadMnist } from './mnist.js';

describe('loadMnist', () => {
  it('splits the 10,000 digits into 8,000 train and 2,000 test by default', () => {
    const { train, test } = loadMnist();
    expect(train.size).toBe(8000);
    expect(test.size).toBe(2000);
    for (const ds of [train, test]) {
      expect(ds.featureShape).toEqual([784]);
      expect(ds.numClasses).toBe(10);
      expect(ds.x.length).toBe(ds.size * 784);
      expect(ds.y.length).toBe(ds.size);
      let min = Infinity;
      let max = -Infinity;
      for (const v of ds.x) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(min).toBe(0);
      expect(max).toBeCloseTo(1, 5);
      const counts = new Array<number>(10).fill(0);
      for (const label of ds.y) counts[label] = counts[label]! + 1;
      // A random split keeps every digit at roughly a tenth of the set.
      for (const count of counts) expect(count / ds.size).toBeGreaterThan(0.07);
    }
  });

  it('shuffles deterministically by seed and keeps train and test disjoint', () => {
    const a = loadMnist({ trainSize: 50, testSize: 9950, seed: 3 });
    const b = loadMnist({ trainSize: 50, testSize: 10, seed: 3 });
    const c = loadMnist({ trainSize: 50, testSize: 10, seed: 4 });
    expect(b.train.x).toEqual(a.train.x);
    expect(b.train.y).toEqual(a.train.y);
    expect(c.train.x).not.toEqual(a.train.x);
    // Every image is distinct in the package, so disjointness shows as no shared rows.
    const key = (x: Float32Array, i: number): string => x.subarray(i * 784, (i + 1) * 784).join(',');
    const trainRows = new Set(Array.from({ length: 50 }, (_, i) => key(a.train.x, i)));
    const shared = Array.from({ length: a.test.size }, (_, i) => key(a.test.x, i)).filter((k) =>
      trainRows.has(k),
    );
    expect(shared.length).toBe(0);
  });

  it('rejects sizes beyond the 10,000 digits', () => {
    expect(() => loadMnist({ trainSize: 9000, testSize: 1001 })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    expect(() => loadMnist({ trainSize: -1 })).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });
});
