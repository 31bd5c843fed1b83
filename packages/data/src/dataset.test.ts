import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.js';
import { subset } from './dataset.js';

const ds: Dataset = {
  x: Float32Array.from([0, 1, 10, 11, 20, 21]),
  y: Int32Array.from([0, 1, 2]),
  size: 3,
  featureShape: [2],
  numClasses: 3,
};

describe('subset', () => {
  it('copies the selected rows in the given order', () => {
    const s = subset(ds, [2, 0]);
    expect(Array.from(s.x)).toEqual([20, 21, 0, 1]);
    expect(Array.from(s.y)).toEqual([2, 0]);
    expect(s.size).toBe(2);
    expect(s.featureShape).toEqual([2]);
    expect(s.numClasses).toBe(3);
    s.x[0] = 99;
    expect(ds.x[4]).toBe(20);
  });

  it('rejects an index out of range', () => {
    expect(() => subset(ds, [3])).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => subset(ds, [-1])).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });
});
