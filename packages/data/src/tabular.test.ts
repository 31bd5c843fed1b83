import { describe, expect, it } from 'vitest';
import type { SiloError } from '@silo/common';
import { TabularBuilder } from './tabular.js';

const origin = { source: 'test', unit: 'row', columnsIn: 'the columns' } as const;

function thrown(fn: () => unknown): SiloError | undefined {
  try {
    fn();
  } catch (err) {
    return err as SiloError;
  }
  return undefined;
}

describe('TabularBuilder', () => {
  it('keeps thousands of rows in order as its buffers grow', () => {
    const table = new TabularBuilder(
      ['n', 'c', 'y'],
      { labelColumn: 'y', categorical: ['c'], normalize: 'none' },
      origin,
    );
    const rows = 2500;
    for (let i = 0; i < rows; i++) table.add([i, `k${i % 3}`, i % 4 === 0 ? 'a' : 'b'], i + 1);
    const ds = table.finish();
    expect(ds.size).toBe(rows);
    expect(ds.featureShape).toEqual([4]);
    for (const i of [0, 1, 1023, 1024, 2047, 2048, 2499]) {
      const onehot = [0, 0, 0];
      onehot[i % 3] = 1;
      expect(Array.from(ds.x.subarray(i * 4, i * 4 + 4))).toEqual([i, ...onehot]);
      expect(ds.y[i]).toBe(i % 4 === 0 ? 0 : 1);
    }
  });

  it('spreads a numeric array cell over one feature per element, each normalised on its own', () => {
    const table = new TabularBuilder(['v', 'y'], { labelColumn: 'y', normalize: 'minmax' }, origin);
    table.add([[1, 10, 5], 0], 1);
    table.add([[3, 20, 5], 1], 2);
    expect(Array.from(table.finish().x)).toEqual([0, 0, 0, 1, 1, 0]);
  });

  it('names the row, column and element of a bad array value', () => {
    const table = new TabularBuilder(['v', 'y'], { labelColumn: 'y' }, origin);
    table.add([[1, 2], 0], 1);
    expect(thrown(() => table.add([[1, 2, 3], 0], 2))?.message).toMatch(
      /row 2, column "v": expected an array of 2/,
    );
    expect(thrown(() => table.add([[1, null], 0], 3))?.message).toMatch(/row 3, column "v": element 2: NULL/);
  });
});
