import { describe, it, expect } from 'vitest';
import { STRATEGY_NAMES, parseStrategyConfig, strategyConfigSchema } from './config.js';

describe('strategyConfigSchema', () => {
  it('fills in every default', () => {
    expect(parseStrategyConfig({ name: 'fedavg' })).toEqual({ name: 'fedavg' });
    expect(parseStrategyConfig({ name: 'fedavgm' })).toEqual({
      name: 'fedavgm',
      serverLearningRate: 1,
      serverMomentum: 0.9,
    });
    expect(parseStrategyConfig({ name: 'fedprox' })).toEqual({ name: 'fedprox', mu: 0.01 });
    for (const name of ['fedadam', 'fedyogi', 'fedadagrad'] as const) {
      expect(parseStrategyConfig({ name })).toEqual({
        name,
        serverLearningRate: 0.01,
        beta1: 0.9,
        beta2: 0.99,
        tau: 0.001,
      });
    }
    expect(parseStrategyConfig({ name: 'median' })).toEqual({ name: 'median' });
    expect(parseStrategyConfig({ name: 'trimmed-mean' })).toEqual({ name: 'trimmed-mean', beta: 0.1 });
    expect(parseStrategyConfig({ name: 'krum', f: 2 })).toEqual({ name: 'krum', f: 2 });
    expect(parseStrategyConfig({ name: 'multi-krum', f: 2 })).toEqual({ name: 'multi-krum', f: 2 });
    expect(parseStrategyConfig({ name: 'bulyan', f: 1, clipNorm: 5 })).toEqual({
      name: 'bulyan',
      f: 1,
      clipNorm: 5,
    });
  });

  it('lists every strategy', () => {
    expect(STRATEGY_NAMES).toEqual([
      'fedavg',
      'fedavgm',
      'fedprox',
      'fedadam',
      'fedyogi',
      'fedadagrad',
      'median',
      'trimmed-mean',
      'krum',
      'multi-krum',
      'bulyan',
    ]);
  });

  it('refuses an unknown or missing name, listing the known ones', () => {
    for (const raw of [{ name: 'fedsgd' }, {}, null, 'fedavg']) {
      expect(() => parseStrategyConfig(raw)).toThrow(
        expect.objectContaining({
          code: 'ERR_BAD_CONFIG',
          message: expect.stringContaining('known: fedavg, fedavgm') as unknown,
        }),
      );
    }
  });

  it.each([
    [{ name: 'fedavg', clipNorm: 0 }, 'clipNorm'],
    [{ name: 'fedavg', clipnorm: 1 }, 'clipnorm'],
    [{ name: 'krum' }, 'f'],
    [{ name: 'krum', f: -1 }, 'f'],
    [{ name: 'bulyan', f: '1' }, 'f'],
    [{ name: 'multi-krum', f: 1, m: 0 }, 'm'],
    [{ name: 'trimmed-mean', beta: 0.5 }, 'beta'],
    [{ name: 'fedadam', beta2: 1 }, 'beta2'],
    [{ name: 'fedyogi', tau: 0 }, 'tau'],
    [{ name: 'fedavgm', serverMomentum: 1 }, 'serverMomentum'],
    [{ name: 'fedprox', mu: -0.1 }, 'mu'],
  ])('refuses %j, naming %s', (raw, field) => {
    expect(() => parseStrategyConfig(raw)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG', message: expect.stringContaining(field) as unknown }),
    );
  });

  it('is a zod schema the coordinator can embed', () => {
    expect(strategyConfigSchema.safeParse({ name: 'median', clipNorm: 2 }).success).toBe(true);
    expect(strategyConfigSchema.safeParse({ name: 'median', f: 2 }).success).toBe(false);
  });
});
