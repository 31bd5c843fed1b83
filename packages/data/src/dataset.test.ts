import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.js';
import { holdOut, subset } from './dataset.js';

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

describe('holdOut', () => {
  const ten: Dataset = {
    x: Float32Array.from({ length: 20 }, (_, i) => i),
    y: Int32Array.from({ length: 10 }, (_, i) => i % 3),
    size: 10,
    featureShape: [2],
    numClasses: 3,
  };

  it('splits off a seeded share that training never sees', () => {
    const { train, heldOut } = holdOut(ten, 0.25, 7);
    expect(heldOut?.size).toBe(3);
    expect(train.size).toBe(7);
    const rows = (d: Dataset): number[] => Array.from({ length: d.size }, (_, i) => d.x[2 * i]!);
    const all = [...rows(train), ...rows(heldOut!)].sort((a, b) => a - b);
    expect(all).toEqual(rows(ten));
    expect(holdOut(ten, 0.25, 7)).toEqual({ train, heldOut });
    expect(rows(holdOut(ten, 0.25, 8).heldOut!)).not.toEqual(rows(heldOut!));
  });

  it('holds nothing out at share 0 and refuses a share that leaves nothing to train on', () => {
    expect(holdOut(ten, 0, 1)).toEqual({ train: ten, heldOut: undefined });
    expect(() => holdOut(ten, 0.95, 1)).toThrow(/still train on some/);
    expect(() => holdOut(ten, 1, 1)).toThrow(/\[0, 1\)/);
  });
});
