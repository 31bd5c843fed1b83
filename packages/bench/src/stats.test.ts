import { describe, expect, it } from 'vitest';
import { median, summarize } from './stats.js';

describe('median', () => {
  it('takes the middle of an odd count, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([42])).toBe(42);
  });

  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBeCloseTo(2.5, 12);
    expect(median([10, 20])).toBeCloseTo(15, 12);
  });

  it('does not reorder the caller’s array', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('refuses no samples and non-finite samples', () => {
    expect(() => median([])).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => median([1, Number.NaN])).toThrow(/not a finite number/);
    expect(() => median([1, Number.POSITIVE_INFINITY])).toThrow(/not a finite number/);
  });
});

describe('summarize', () => {
  it('gives median, min and max', () => {
    expect(summarize([7, 2, 9, 4, 5])).toEqual({ median: 5, min: 2, max: 9 });
  });
});
