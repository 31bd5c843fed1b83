import { describe, it, expect } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { createStrategy, validateForRound, type ClientUpdate, type StrategyConfig } from './strategy.js';
import { FedAvg } from './fedavg.js';
import { NormClipping } from './clipping.js';
import { randomUpdates, shuffles } from './strategy.fixture.js';

describe('createStrategy', () => {
  it('creates fedavg', () => {
    const strategy = createStrategy({ name: 'fedavg' });
    expect(strategy).toBeInstanceOf(FedAvg);
    expect(strategy.name).toBe('fedavg');
  });

  it('rejects an unknown name from config', () => {
    expect(() => createStrategy({ name: 'krum' } as unknown as StrategyConfig)).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_CONFIG',
        message: expect.stringContaining("'krum'") as unknown,
      }),
    );
  });
});

describe('every strategy', () => {
  const configs: StrategyConfig[] = [
    { name: 'fedavg' },
    { name: 'fedavgm', serverLearningRate: 0.5, serverMomentum: 0.5 },
    { name: 'fedprox', mu: 0.1 },
    { name: 'fedadam', serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.001 },
    { name: 'fedyogi', serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.001 },
    { name: 'fedadagrad', serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.001 },
    { name: 'median' },
    { name: 'trimmed-mean', beta: 0.2 },
    { name: 'krum', f: 1 },
    { name: 'multi-krum', f: 1, m: 3 },
    { name: 'bulyan', f: 1 },
    { name: 'median', clipNorm: 0.5 },
  ];
  const base = Float32Array.from({ length: 33 }, (_, i) => i / 10);
  const updates = randomUpdates(7, 33, 91);
  const label = (config: StrategyConfig): string =>
    config.clipNorm === undefined ? config.name : `${config.name} clipped`;

  it.each(configs.map((c) => [label(c), c] as const))('%s is created from its config', (_, config) => {
    const strategy = createStrategy(config);
    expect(strategy.name).toBe(config.name);
    expect(strategy instanceof NormClipping).toBe(config.clipNorm !== undefined);
    expect(strategy.stateful).toBe(['fedavgm', 'fedadam', 'fedyogi', 'fedadagrad'].includes(config.name));
  });

  it.each(configs.map((c) => [label(c), c] as const))(
    '%s is bit-identical for any arrival order',
    (_, config) => {
      const strategy = createStrategy(config);
      const reference = strategy.aggregate(base, updates);
      for (const order of shuffles(updates, 20, 92)) {
        const result = strategy.aggregate(base, order);
        expect(digestWeights(result.weights)).toBe(digestWeights(reference.weights));
        expect(result.selected).toEqual(reference.selected);
      }
      expect(reference.totalExamples).toBe(updates.reduce((sum, u) => sum + u.numExamples, 0));
      expect(reference.numUpdates).toBe(7);
    },
  );

  it.each(configs.map((c) => [label(c), c] as const))('%s does not modify its inputs', (_, config) => {
    const copies = updates.map((u) => u.delta.slice());
    const baseCopy = base.slice();
    createStrategy(config).aggregate(base, updates);
    expect(base).toEqual(baseCopy);
    updates.forEach((u, k) => expect(u.delta).toEqual(copies[k]));
  });

  it.each(configs.map((c) => [label(c), c] as const))(
    '%s refuses NaN and Infinity, naming the worker',
    (_, config) => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const poisoned = updates.map((u, k) =>
          k === 3 ? { ...u, delta: u.delta.map((x, i) => (i === 5 ? bad : x)) } : u,
        );
        expect(() => createStrategy(config).aggregate(base, poisoned)).toThrow(
          expect.objectContaining({
            code: 'ERR_BAD_INPUT',
            message: expect.stringContaining('worker-003') as unknown,
          }),
        );
      }
    },
  );

  it.each(configs.map((c) => [label(c), c] as const))(
    '%s refuses a repeated key and a short delta',
    (_, config) => {
      const strategy = createStrategy(config);
      const repeated = [...updates.slice(0, 6), { ...(updates[0] as ClientUpdate) }];
      expect(() => strategy.aggregate(base, repeated)).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
      );
      const short = updates.map((u, k) => (k === 2 ? { ...u, delta: u.delta.subarray(1) } : u));
      expect(() => strategy.aggregate(base, short)).toThrow(
        expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
      );
    },
  );

  it('refuses a state when stateless', () => {
    const state = { strategy: 'fedadam', vectors: [new Float32Array(33), new Float32Array(33)] };
    for (const config of configs) {
      const strategy = createStrategy(config);
      if (strategy.stateful) continue;
      expect(() => strategy.aggregate(base, updates, state)).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
      );
    }
  });
});

describe('validateForRound', () => {
  it('accepts a round the strategy can aggregate', () => {
    expect(() => validateForRound({ name: 'fedavg' }, 1)).not.toThrow();
    expect(() => validateForRound({ name: 'krum', f: 2 }, 7)).not.toThrow();
    expect(() => validateForRound({ name: 'bulyan', f: 2 }, 11)).not.toThrow();
    expect(() => validateForRound({ name: 'trimmed-mean', beta: 0.2 }, 5)).not.toThrow();
    expect(() => validateForRound({ name: 'multi-krum', f: 1, m: 6 }, 6)).not.toThrow();
  });

  it.each([
    [{ name: 'fedavg' }, 0, 'needs at least one update'],
    [{ name: 'krum', f: 2 }, 6, 'n > 2f + 2 with f = 2, so at least 7'],
    [{ name: 'multi-krum', f: 1, m: 6 }, 5, 'at least 6'],
    [{ name: 'bulyan', f: 2 }, 10, 'n ≥ 4f + 3 with f = 2, so at least 11'],
    [{ name: 'trimmed-mean', beta: 0.2 }, 4, 'at least 5'],
    [{ name: 'median', clipNorm: 1 }, 0, 'median cannot aggregate 0 updates'],
  ] as const)('refuses %j with %i updates', (config, n, message) => {
    expect(() => validateForRound(config, n)).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_CONFIG',
        message: expect.stringContaining(message) as unknown,
      }),
    );
  });

  it('refuses a bad count or config', () => {
    expect(() => validateForRound({ name: 'fedavg' }, 1.5)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    expect(() => validateForRound({ name: 'krum' } as unknown as StrategyConfig, 9)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
  });
});
