import { describe, it, expect } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { FedAvg } from './fedavg.js';
import { FedProx, proximalGradient, proximalTerm } from './fedprox.js';
import { randomUpdates } from './strategy.fixture.js';

describe('FedProx', () => {
  it('aggregates exactly as FedAvg', () => {
    const base = Float32Array.from({ length: 200 }, (_, i) => i / 7);
    const updates = randomUpdates(6, 200, 5);
    const result = new FedProx({ mu: 0.1 }).aggregate(base, updates);
    const fedavg = new FedAvg().aggregate(base, updates);
    expect(digestWeights(result.weights)).toBe(digestWeights(fedavg.weights));
    expect(result.totalExamples).toBe(fedavg.totalExamples);
    expect(result.state).toBeUndefined();
  });

  it('exposes mu for the workers, 0.01 by default', () => {
    expect(new FedProx().mu).toBe(0.01);
    expect(new FedProx({ mu: 0.5 }).mu).toBe(0.5);
    expect(new FedProx().name).toBe('fedprox');
    expect(() => new FedProx({ mu: -1 })).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });

  it('refuses a state', () => {
    expect(() =>
      new FedProx().aggregate(
        new Float32Array(1),
        [{ keyId: 'a', numExamples: 1, delta: new Float32Array(1) }],
        {
          strategy: 'fedavgm',
          vectors: [new Float32Array(1)],
        },
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });
});

describe('proximal term', () => {
  // w = [1, 2, 3], base = [1, 0, 1], μ = 0.5: w − base = [0, 2, 2], ‖·‖² = 8.
  const weights = Float32Array.from([1, 2, 3]);
  const base = Float32Array.from([1, 0, 1]);

  it('is (μ/2)·‖w − base‖²', () => {
    expect(proximalTerm(weights, base, 0.5)).toBe(2); // 0.25 · 8
    expect(proximalTerm(weights, weights, 0.5)).toBe(0);
  });

  it('has gradient μ·(w − base)', () => {
    expect(Array.from(proximalGradient(weights, base, 0.5))).toEqual([0, 1, 1]);
    expect(Array.from(proximalGradient(weights, base, 0))).toEqual([0, 0, 0]);
  });

  it('refuses mismatched lengths and a bad mu', () => {
    expect(() => proximalTerm(weights, new Float32Array(2), 1)).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
    for (const mu of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => proximalGradient(weights, base, mu)).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
      );
    }
  });
});
