import { describe, expect, it } from 'vitest';
import { backoffDelay } from './worker.js';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap', () => {
    const top = (attempt: number): number => backoffDelay(attempt, 100, 5_000, () => 1);
    expect([0, 1, 2, 3, 6, 20].map(top)).toEqual([100, 200, 400, 800, 5_000, 5_000]);
  });

  it('spreads retries with full jitter', () => {
    expect(backoffDelay(3, 100, 5_000, () => 0)).toBe(0);
    expect(backoffDelay(3, 100, 5_000, () => 0.5)).toBe(400);
  });
});
