import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSyntheticTabular } from '@silo/data';
import { buildModel, getFlatWeights, initBackend, modelLayout, parseModelSpec } from '@silo/model';
import { ModelCache } from './model-cache.js';
import { Trainer, type LocalTraining } from './trainer.js';

const SPEC = { kind: 'builtin', name: 'mlp', inputShape: [50], numClasses: 10 } as const;
const OPTIONS: LocalTraining = {
  modelSpecJson: JSON.stringify(SPEC),
  epochs: 1,
  batchSize: 16,
  learningRate: 0.05,
  seed: 1,
};

/** Four workers' data and the base model they all start from. */
function fixture() {
  const { train } = loadSyntheticTabular({ trainSize: 4 * 40, testSize: 0, seed: 1 });
  const parts = [0, 1, 2, 3].map((i) => ({
    ...train,
    x: train.x.slice(i * 40 * 50, (i + 1) * 40 * 50),
    y: train.y.slice(i * 40, (i + 1) * 40),
    size: 40,
  }));
  const model = buildModel(parseModelSpec(SPEC), 0);
  const base = getFlatWeights(model);
  const layout = modelLayout(model);
  model.dispose();
  return { parts, base, layout };
}

beforeAll(async () => {
  await initBackend();
});

describe('ModelCache shared by trainers', () => {
  it('keeps one training model for any number of trainers and gives each the update it would get alone', async () => {
    const { parts, base, layout } = fixture();
    const alone: Float32Array[] = [];
    for (const part of parts) {
      const trainer = new Trainer(part);
      alone.push((await trainer.train(base, layout, OPTIONS)).delta);
      trainer.dispose();
    }
    const before = tf.memory().numTensors;
    const models = new ModelCache();
    const trainers = parts.map((part) => new Trainer(part, undefined, models));
    // All at once: the cache runs them one after the other, each with its own weights.
    const shared = await Promise.all(trainers.map((t) => t.train(base, layout, OPTIONS)));
    const weightsPerModel = 6;
    expect(tf.memory().numTensors - before).toBe(weightsPerModel);
    shared.forEach(({ delta }, i) =>
      expect(Buffer.from(delta.buffer).equals(Buffer.from(alone[i]!.buffer))).toBe(true),
    );
    // A trainer does not free models it shares.
    trainers[0]!.dispose();
    expect(tf.memory().numTensors - before).toBe(weightsPerModel);
    models.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('never lets two training tasks hold the model at once, and evaluation uses a model of its own', async () => {
    const models = new ModelCache();
    const json = JSON.stringify(SPEC);
    let holding = 0;
    let most = 0;
    const seen: tf.LayersModel[] = [];
    await Promise.all(
      [0, 1, 2].map(() =>
        models.train(json, 0, async (model) => {
          holding += 1;
          most = Math.max(most, holding);
          seen.push(model);
          await new Promise((resolve) => setImmediate(resolve));
          holding -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(new Set(seen).size).toBe(1);
    expect(models.evaluationModel(json, 0)).not.toBe(seen[0]);
    expect(models.pending).toBe(0);
    models.dispose();
  });

  it('goes on after a failed task and refuses a spec that is not JSON', async () => {
    const models = new ModelCache();
    const json = JSON.stringify(SPEC);
    await expect(models.train(json, 0, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(models.train(json, 0, () => Promise.resolve(7))).resolves.toBe(7);
    await expect(models.train('{', 0, () => Promise.resolve(0))).rejects.toMatchObject({
      code: 'ERR_BAD_INPUT',
    });
    models.dispose();
  });
});
