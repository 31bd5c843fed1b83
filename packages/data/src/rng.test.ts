import { describe, expect, it } from 'vitest';
import { createRng, sampleDirichlet, sampleGamma, shuffleIndices } from './rng.js';

describe('createRng', () => {
  it('repeats its stream for a seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
  });

  it('yields values in [0, 1) with a uniform-looking mean and spread', () => {
    const rng = createRng(7);
    const n = 20_000;
    let sum = 0;
    let sumSq = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = rng();
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
      sumSq += v * v;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const mean = sum / n;
    expect(mean).toBeCloseTo(0.5, 1);
    expect(sumSq / n - mean * mean).toBeCloseTo(1 / 12, 2);
  });
});

describe('shuffleIndices', () => {
  it('returns a permutation that depends only on the seed', () => {
    const p = shuffleIndices(100, 1);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(shuffleIndices(100, 1)).toEqual(p);
    expect(shuffleIndices(100, 2)).not.toEqual(p);
    expect(Array.from(p)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('handles empty and single-element inputs', () => {
    expect(shuffleIndices(0, 3)).toEqual(new Int32Array(0));
    expect(shuffleIndices(1, 3)).toEqual(Int32Array.of(0));
  });
});

describe('sampleGamma', () => {
  it.each([0.3, 1, 2.5, 8])('has mean and variance ≈ shape (%f)', (shape) => {
    const rng = createRng(11);
    const n = 40_000;
    let sum = 0;
    let sumSq = 0;
    let min = Infinity;
    for (let i = 0; i < n; i++) {
      const g = sampleGamma(rng, shape);
      min = Math.min(min, g);
      sum += g;
      sumSq += g * g;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    const mean = sum / n;
    expect(Math.abs(mean - shape) / shape).toBeLessThan(0.03);
    expect(Math.abs(sumSq / n - mean * mean - shape) / shape).toBeLessThan(0.08);
  });
});

describe('sampleDirichlet', () => {
  it('sums to one, even when every gamma underflows', () => {
    const rng = createRng(5);
    for (const alpha of [1e-4, 0.1, 1, 50]) {
      const p = sampleDirichlet(rng, alpha, 7);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
      expect(p.every((v) => v >= 0)).toBe(true);
    }
  });
});
