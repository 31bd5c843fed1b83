import { beforeAll, describe, expect, it } from 'vitest';
import { loadSyntheticTabular } from '@silo/data';
import { buildModel, getFlatWeights, initBackend, modelLayout, parseModelSpec } from '@silo/model';
import { ModelCache } from './model-cache.js';
import {
  SIMULATED_DROPOUT_CODE,
  SimulatedTrainer,
  speedFactor,
  type Heterogeneity,
} from './simulated-trainer.js';
import type { LocalTraining } from './trainer.js';
import type { Layout } from '@silo/tensors';

const SPEC = { kind: 'builtin', name: 'mlp', inputShape: [50], numClasses: 10 } as const;
const OPTIONS: LocalTraining = {
  modelSpecJson: JSON.stringify(SPEC),
  epochs: 1,
  batchSize: 8,
  learningRate: 0.05,
  seed: 1,
};

beforeAll(async () => {
  await initBackend();
});

describe('speedFactor', () => {
  it('draws log-uniform factors in [1, 1 + spread], the same for the same seed and worker', () => {
    const h: Heterogeneity = { seed: 4, speedSpread: 9, dropout: 0 };
    const factors = Array.from({ length: 2000 }, (_, i) => speedFactor(h, i));
    expect(Math.min(...factors)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...factors)).toBeLessThanOrEqual(10);
    // Log-uniform: the median is near √10 ≈ 3.16, not the arithmetic midpoint 5.5.
    const median = [...factors].sort((a, b) => a - b)[1000]!;
    expect(median).toBeGreaterThan(2.8);
    expect(median).toBeLessThan(3.6);
    expect(speedFactor(h, 17)).toBe(factors[17]);
    expect(speedFactor({ ...h, seed: 5 }, 17)).not.toBe(factors[17]);
    expect(speedFactor({ ...h, speedSpread: 0 }, 17)).toBe(1);
    expect(() => speedFactor({ ...h, speedSpread: -1 }, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
  });
});

describe('SimulatedTrainer', () => {
  const { train } = loadSyntheticTabular({ trainSize: 16, testSize: 0, seed: 2 });
  let base: Float32Array;
  let layout: Layout;
  beforeAll(() => {
    const model = buildModel(parseModelSpec(SPEC), 0);
    base = getFlatWeights(model);
    layout = modelLayout(model);
    model.dispose();
  });

  /** Which of `rounds` rounds worker `index` drops, with `dropout`. */
  async function drops(index: number, dropout: number, rounds: number, seed = 1): Promise<boolean[]> {
    const models = new ModelCache();
    const trainer = new SimulatedTrainer({
      data: train,
      models,
      index,
      heterogeneity: { seed, speedSpread: 0, dropout },
    });
    const outcome: boolean[] = [];
    for (let r = 0; r < rounds; r++) {
      const result = await trainer.train(base, layout, OPTIONS).then(
        () => false,
        (err: { code?: string }) => {
          expect(err.code).toBe(SIMULATED_DROPOUT_CODE);
          return true;
        },
      );
      outcome.push(result);
    }
    models.dispose();
    return outcome;
  }

  it('drops rounds with the configured probability, the same rounds for the same seed', async () => {
    const first = await drops(3, 0.5, 40);
    const dropped = first.filter(Boolean).length;
    expect(dropped).toBeGreaterThan(8);
    expect(dropped).toBeLessThan(32);
    expect(await drops(3, 0.5, 40)).toEqual(first);
    expect(await drops(3, 0.5, 40, 2)).not.toEqual(first);
    expect((await drops(3, 0, 10)).some(Boolean)).toBe(false);
  });

  it('has a slow worker wait (factor − 1) × its training time after training, outside the shared queue', async () => {
    const models = new ModelCache();
    const waits: { trainingMs: number; extraMs: number }[] = [];
    const heterogeneity = { seed: 1, speedSpread: 3, dropout: 0 };
    const trainer = new SimulatedTrainer({
      data: train,
      models,
      index: 5,
      heterogeneity,
      events: { trained: (trainingMs, extraMs) => waits.push({ trainingMs, extraMs }) },
    });
    expect(trainer.speedFactor).toBe(speedFactor(heterogeneity, 5));
    const started = performance.now();
    await trainer.train(base, layout, OPTIONS);
    const elapsed = performance.now() - started;
    const [wait] = waits;
    expect(wait!.extraMs).toBeCloseTo((trainer.speedFactor - 1) * wait!.trainingMs, 6);
    expect(elapsed).toBeGreaterThanOrEqual(wait!.trainingMs + wait!.extraMs - 1);
    // The shared model was free again as soon as training ended, before the wait.
    expect(models.pending).toBe(0);
    models.dispose();
  });

  it('refuses a dropout probability outside [0, 1)', () => {
    const models = new ModelCache();
    expect(
      () =>
        new SimulatedTrainer({
          data: train,
          models,
          index: 0,
          heterogeneity: { seed: 0, speedSpread: 0, dropout: 1 },
        }),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    models.dispose();
  });
});
