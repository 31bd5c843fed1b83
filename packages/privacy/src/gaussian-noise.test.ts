import { describe, expect, it } from 'vitest';
import { addGaussianNoise, gaussianNoise } from './gaussian-noise.js';

function moments(values: Float32Array): { mean: number; std: number; allFinite: boolean } {
  let sum = 0;
  let sumSquares = 0;
  let allFinite = true;
  for (const v of values) {
    if (!Number.isFinite(v)) allFinite = false;
    sum += v;
    sumSquares += v * v;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(sumSquares / values.length - mean * mean), allFinite };
}

/** Matches a SiloError with code ERR_BAD_INPUT. */
const badInput = (): Error => expect.objectContaining({ code: 'ERR_BAD_INPUT' }) as Error;

describe('gaussianNoise', () => {
  it('has mean ≈ 0 and std ≈ σ over 1e6 samples, all finite', () => {
    // Standard errors over n = 1e6: mean σ/1000, std σ/√(2n) ≈ 0.0007σ. Tolerances are 6 of them.
    for (const sigma of [1, 0.01, 250]) {
      const { mean, std, allFinite } = moments(gaussianNoise(1_000_000, sigma));
      expect(allFinite).toBe(true);
      expect(Math.abs(mean)).toBeLessThan(0.006 * sigma);
      expect(Math.abs(std / sigma - 1)).toBeLessThan(0.0045);
    }
  });

  it('puts ≈ 68.27% of samples within one σ and ≈ 95.45% within two', () => {
    const samples = gaussianNoise(1_000_000, 3);
    let within1 = 0;
    let within2 = 0;
    for (const v of samples) {
      if (Math.abs(v) <= 3) within1++;
      if (Math.abs(v) <= 6) within2++;
    }
    expect(within1 / samples.length).toBeCloseTo(0.6827, 2);
    expect(within2 / samples.length).toBeCloseTo(0.9545, 2);
  });

  it('draws fresh noise every call, handles odd and tiny lengths, and σ = 0', () => {
    const a = gaussianNoise(1001, 1);
    const b = gaussianNoise(1001, 1);
    expect(a).toHaveLength(1001);
    expect(a).not.toEqual(b);
    expect(a[1000]).not.toBe(0);
    expect(gaussianNoise(0, 1)).toHaveLength(0);
    expect(gaussianNoise(1, 1)).toHaveLength(1);
    expect(gaussianNoise(5, 0)).toEqual(new Float32Array(5));
  });

  it('addGaussianNoise adds in place', () => {
    const target = new Float32Array(200_001).fill(10);
    addGaussianNoise(target, 2);
    const { mean, std } = moments(target);
    expect(mean).toBeCloseTo(10, 1);
    expect(std).toBeGreaterThan(1.95);
    expect(std).toBeLessThan(2.05);
    const untouched = Float32Array.of(1, 2, 3);
    addGaussianNoise(untouched, 0);
    expect(untouched).toEqual(Float32Array.of(1, 2, 3));
  });

  it('refuses bad inputs with ERR_BAD_INPUT', () => {
    expect(() => gaussianNoise(-1, 1)).toThrow(badInput());
    expect(() => gaussianNoise(1.5, 1)).toThrow(badInput());
    expect(() => gaussianNoise(10, -1)).toThrow(badInput());
    expect(() => gaussianNoise(10, Number.NaN)).toThrow(badInput());
    expect(() => gaussianNoise(10, Infinity)).toThrow(badInput());
    expect(() => gaussianNoise(10, 1e38)).toThrow(badInput());
    expect(() => addGaussianNoise(new Float32Array(3), -1)).toThrow(badInput());
  });
});
