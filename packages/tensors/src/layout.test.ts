import { describe, it, expect } from 'vitest';
import { layoutSize, type Layout } from './layout.js';

describe('layoutSize', () => {
  it('sums the element counts of every tensor', () => {
    const layout: Layout = [
      { name: 'dense/kernel', shape: [784, 200] },
      { name: 'dense/bias', shape: [200] },
      { name: 'scale', shape: [] },
      { name: 'empty', shape: [3, 0] },
    ];
    expect(layoutSize(layout)).toBe(784 * 200 + 200 + 1 + 0);
  });

  it('is 0 for an empty layout', () => {
    expect(layoutSize([])).toBe(0);
  });

  it.each([[[-1]], [[2.5]], [[Number.NaN]], [['3']]])('rejects shape %j', (shape) => {
    const layout = [{ name: 'w', shape }] as unknown as Layout;
    expect(() => layoutSize(layout)).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining("tensor 'w'") as unknown,
      }),
    );
  });

  it('rejects a total beyond the safe integer range', () => {
    expect(() => layoutSize([{ name: 'huge', shape: [2 ** 30, 2 ** 30, 2 ** 30] }])).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });
});
