import { describe, it, expect } from 'vitest';
import { createStrategy, type StrategyConfig } from './strategy.js';
import { FedAvg } from './fedavg.js';

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
