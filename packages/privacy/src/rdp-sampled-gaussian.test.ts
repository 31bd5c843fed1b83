import { describe, expect, it } from 'vitest';
import { DEFAULT_ORDERS, rdpSampledGaussian } from './rdp-sampled-gaussian.js';

const ORDERS = [2, 3, 4, 5, 8, 16, 32, 64, 128, 256];

describe('rdpSampledGaussian', () => {
  it('equals α/(2z²) exactly for q = 1, fractional orders included', () => {
    for (const z of [0.5, 1, 1.1, 4, 30]) {
      const orders = [1.25, 1.5, 2, 3.5, 7, 64, 256];
      expect(rdpSampledGaussian(1, z, orders)).toEqual(orders.map((alpha) => alpha / (2 * z * z)));
    }
  });

  it('matches the closed forms of A₂ and A₃', () => {
    // A₂ = (1−q)² + 2q(1−q) + q²e^{1/z²} = 1 + q²(e^{1/z²} − 1)
    // A₃ = 1 + 3q²(1−q)(e^{1/z²} − 1) + q³(e^{3/z²} − 1)
    for (const [q, z] of [
      [0.01, 1.1],
      [0.3, 0.8],
      [0.9, 2],
    ] as const) {
      const e1 = Math.expm1(1 / (z * z));
      const e3 = Math.expm1(3 / (z * z));
      const [rdp2, rdp3] = rdpSampledGaussian(q, z, [2, 3]);
      expect(rdp2).toBeCloseTo(Math.log1p(q * q * e1), 14);
      expect(rdp3).toBeCloseTo(Math.log1p(3 * q * q * (1 - q) * e1 + q ** 3 * e3) / 2, 14);
    }
  });

  it('matches published values of the Poisson-sampled Gaussian', () => {
    // Known-answer vectors from Google's dp_accounting (rdp_privacy_accountant_test.py,
    // test_compute_rdp_poisson_sampled_gaussian: q = 0.01, z = 2.5, 50 steps, rtol 1e-4) and
    // TensorFlow Privacy's rdp_accountant_test (q = 0.1, z = 2, 10 steps, order 5: 0.07737).
    const rdp = rdpSampledGaussian(0.01, 2.5, [5, 50, 100]).map((rho) => rho * 50);
    const expected = [2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    rdp.forEach((rho, i) => expect(Math.abs(rho / (expected[i] as number) - 1)).toBeLessThan(1e-4));
    expect((rdpSampledGaussian(0.1, 2, [5])[0] as number) * 10).toBeCloseTo(0.07737, 5);
  });

  it('stays finite and positive at extreme parameters (log-space evaluation)', () => {
    for (const [q, z] of [
      [1e-9, 0.1],
      [1e-6, 0.1],
      [0.99, 0.1],
      [0.5, 1e-3],
      [1e-9, 1000],
    ] as const) {
      for (const rho of rdpSampledGaussian(q, z, DEFAULT_ORDERS)) {
        expect(Number.isFinite(rho)).toBe(true);
        expect(rho).toBeGreaterThan(0);
      }
    }
  });

  it('is non-decreasing in q and in α, and non-increasing in z', () => {
    const rates = [1e-4, 1e-3, 0.01, 0.05, 0.2, 0.5, 0.9, 0.999, 1];
    const multipliers = [0.3, 0.7, 1, 1.1, 2, 5, 20];
    for (const z of multipliers) {
      const byRate = rates.map((q) => rdpSampledGaussian(q, z, ORDERS));
      for (let i = 1; i < byRate.length; i++) {
        byRate[i]?.forEach((rho, j) => expect(rho).toBeGreaterThanOrEqual(byRate[i - 1]?.[j] as number));
      }
      for (const row of byRate) {
        for (let j = 1; j < row.length; j++) expect(row[j]).toBeGreaterThanOrEqual(row[j - 1] as number);
      }
    }
    for (const q of rates) {
      const byMultiplier = multipliers.map((z) => rdpSampledGaussian(q, z, ORDERS));
      for (let i = 1; i < byMultiplier.length; i++) {
        byMultiplier[i]?.forEach((rho, j) =>
          expect(rho).toBeLessThanOrEqual(byMultiplier[i - 1]?.[j] as number),
        );
      }
    }
  });

  it('keeps DEFAULT_ORDERS to integers above 1', () => {
    expect(DEFAULT_ORDERS.every((alpha) => Number.isInteger(alpha) && alpha > 1)).toBe(true);
    expect(DEFAULT_ORDERS).toContain(2);
    expect(DEFAULT_ORDERS).toContain(64);
    expect(DEFAULT_ORDERS).toContain(256);
  });

  it('refuses bad inputs with ERR_BAD_INPUT', () => {
    const bad: [number, number, number[]][] = [
      [0, 1, [2]],
      [-0.1, 1, [2]],
      [1.01, 1, [2]],
      [Number.NaN, 1, [2]],
      [0.1, 0, [2]],
      [0.1, -1, [2]],
      [0.1, Infinity, [2]],
      [0.1, 1, []],
      [0.1, 1, [0.5]],
      [0.1, 1, [1]],
      [0.1, 1, [Infinity]],
      [0.1, 1, [Number.NaN]],
      [0.1, 1, [2.5]], // fractional orders only with q = 1
    ];
    for (const [q, z, orders] of bad) {
      expect(() => rdpSampledGaussian(q, z, orders)).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
      );
    }
  });
});
