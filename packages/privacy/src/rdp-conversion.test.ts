import { describe, expect, it } from 'vitest';
import { epsilonFromRdp } from './rdp-conversion.js';
import { DEFAULT_ORDERS, rdpSampledGaussian } from './rdp-sampled-gaussian.js';

describe('epsilonFromRdp', () => {
  it('gives the hand-derived ε of one Gaussian step (q = 1, z = 1, δ = 1e-5)', () => {
    // RDP(α) = α/2, so classic ε = min_α α/2 + ln(1e5)/(α−1), ln(1e5) = 11.5129…
    // The real minimiser is α = 1 + √(2·11.5129) ≈ 5.80; over integers:
    // α = 5: 2.5 + 2.8782 = 5.3782; α = 6: 3 + 2.3026 = 5.3026; α = 7: 3.5 + 1.9188 = 5.4188.
    const { epsilon, order } = epsilonFromRdp(
      DEFAULT_ORDERS.map((alpha) => alpha / 2),
      DEFAULT_ORDERS,
      1e-5,
    );
    expect(order).toBe(6);
    expect(epsilon).toBeCloseTo(3 + Math.log(1e5) / 5, 12);
    expect(epsilon).toBeCloseTo(5.3026, 4);
  });

  it('matches the published pure-DP vector for the Balle et al. (2020) conversion', () => {
    // dp_accounting's test_compute_epsilon_delta_pure_dp: RDP 1.1 at orders 2..32, δ = 1e-5
    // gives ε = 1.32783806176 at order 32. By hand: 1.1 + ln(31/32) + (ln 1e5 − ln 32)/31.
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const { epsilon, order } = epsilonFromRdp(
      orders.map(() => 1.1),
      orders,
      1e-5,
      'balle2020',
    );
    expect(order).toBe(32);
    expect(epsilon).toBeCloseTo(1.32783806176, 10);
    // The classic bound on the same curve: 1.1 + ln(1e5)/31.
    expect(
      epsilonFromRdp(
        orders.map(() => 1.1),
        orders,
        1e-5,
      ).epsilon,
    ).toBeCloseTo(1.1 + Math.log(1e5) / 31, 12);
  });

  it('the Balle et al. bound is never above the classic one', () => {
    for (const q of [0.001, 0.01, 0.1, 1]) {
      for (const z of [0.5, 1, 2, 8]) {
        for (const steps of [1, 100, 10_000]) {
          const rdp = rdpSampledGaussian(q, z, DEFAULT_ORDERS).map((rho) => rho * steps);
          for (const delta of [1e-3, 1e-5, 1e-9]) {
            const classic = epsilonFromRdp(rdp, DEFAULT_ORDERS, delta, 'classic').epsilon;
            const tighter = epsilonFromRdp(rdp, DEFAULT_ORDERS, delta, 'balle2020').epsilon;
            expect(tighter).toBeLessThanOrEqual(classic);
            expect(tighter).toBeGreaterThanOrEqual(0);
          }
        }
      }
    }
  });

  it('decreases as δ grows, and is infinite for an infinite RDP curve', () => {
    const rdp = rdpSampledGaussian(0.01, 1, DEFAULT_ORDERS).map((rho) => rho * 1000);
    const epsilons = [1e-9, 1e-6, 1e-3, 0.1].map(
      (delta) => epsilonFromRdp(rdp, DEFAULT_ORDERS, delta).epsilon,
    );
    for (let i = 1; i < epsilons.length; i++) expect(epsilons[i]).toBeLessThan(epsilons[i - 1] as number);
    expect(epsilonFromRdp([Infinity, Infinity], [2, 3], 1e-5).epsilon).toBe(Infinity);
    expect(epsilonFromRdp([Infinity, 1], [2, 3], 1e-5)).toEqual({ epsilon: 1 + Math.log(1e5) / 2, order: 3 });
  });

  it('refuses bad inputs with ERR_BAD_INPUT', () => {
    const bad: [number[], number[], number][] = [
      [[1], [2, 3], 1e-5],
      [[], [], 1e-5],
      [[1], [1], 1e-5],
      [[1], [Number.NaN], 1e-5],
      [[-0.1], [2], 1e-5],
      [[Number.NaN], [2], 1e-5],
      [[1], [2], 0],
      [[1], [2], 1],
      [[1], [2], -1e-5],
    ];
    for (const [rdp, orders, delta] of bad) {
      expect(() => epsilonFromRdp(rdp, orders, delta)).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
      );
    }
  });
});
