import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { initBackend } from './backend.js';
import { buildModel } from './build.js';
import type { TrainingData } from './train.js';
import { evaluate, trainLocal } from './train.js';
import { getFlatWeights } from './weights.js';

beforeAll(async () => {
  await initBackend();
});

/**
 * MNIST-shaped data: 784 features in [0, 1], ten classes, each a noisy copy of a random class
 * prototype — learnable, but not in one step.
 */
function digitsLike(size: number, seed: number): TrainingData {
  let state = seed >>> 0;
  const rand = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const prototypes = Array.from({ length: 10 }, () =>
    Float32Array.from({ length: 784 }, () => (rand() < 0.2 ? 1 : 0)),
  );
  const x = new Float32Array(size * 784);
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const label = i % 10;
    y[i] = label;
    for (let j = 0; j < 784; j++) x[i * 784 + j] = Math.min(1, 0.6 * prototypes[label]![j]! + 0.5 * rand());
  }
  return { x, y, size, featureShape: [784], numClasses: 10 };
}

const options = { epochs: 1, batchSize: 16, learningRate: 0.05, seed: 1 };

describe('trainLocal', () => {
  it('lowers the loss on MNIST-like data and reports the last epoch', async () => {
    const model = buildModel({ kind: 'builtin', name: 'mlp' }, 0);
    const data = digitsLike(500, 1);
    const before = evaluate(model, data);
    expect(before.loss).toBeGreaterThan(1.5);
    const epochsSeen: { epoch: number; loss: number }[] = [];
    const result = await trainLocal(model, data, {
      ...options,
      epochs: 2,
      batchSize: 32,
      onEpochEnd: (epoch, metrics) => epochsSeen.push({ epoch, loss: metrics.loss }),
    });
    expect(epochsSeen.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochsSeen[1]?.loss).toBeCloseTo(result.loss, 6);
    const after = evaluate(model, data);
    expect(result.numExamples).toBe(500);
    expect(result.steps).toBe(2 * Math.ceil(500 / 32));
    expect(after.loss).toBeLessThan(0.5 * before.loss);
    expect(after.accuracy).toBeGreaterThan(0.8);
    // The last epoch's running loss is measured before each step, so it lies between the two.
    expect(result.loss).toBeLessThan(before.loss);
    expect(result.loss).toBeGreaterThan(after.loss * 0.5);
    expect(result.accuracy).toBeGreaterThan(0.5);
    model.dispose();
  });

  it('is deterministic for a seed and differs for another', async () => {
    const data = digitsLike(64, 2);
    const trained = async (seed: number): Promise<Float32Array> => {
      const model = buildModel({ kind: 'builtin', name: 'mlp' }, 5);
      await trainLocal(model, data, { ...options, seed });
      const weights = getFlatWeights(model);
      model.dispose();
      return weights;
    };
    const a = await trained(1);
    expect(digestWeights(await trained(1))).toBe(digestWeights(a));
    expect(digestWeights(await trained(2))).not.toBe(digestWeights(a));
  });

  it('leaves no tensors behind', async () => {
    const model = buildModel({ kind: 'builtin', name: 'mlp' }, 0);
    const data = digitsLike(40, 3);
    const before = tf.memory().numTensors;
    await trainLocal(model, data, options);
    evaluate(model, data, 7);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('rejects bad options and data that does not fit the model', async () => {
    const model = buildModel({ kind: 'builtin', name: 'mlp', inputShape: [4], numClasses: 3 }, 0);
    const data: TrainingData = {
      x: new Float32Array(8),
      y: Int32Array.from([0, 2]),
      size: 2,
      featureShape: [4],
      numClasses: 3,
    };
    await expect(trainLocal(model, data, { ...options, epochs: 0 })).rejects.toMatchObject({
      code: 'ERR_BAD_CONFIG',
    });
    await expect(trainLocal(model, data, { ...options, learningRate: -1 })).rejects.toMatchObject({
      code: 'ERR_BAD_CONFIG',
    });
    await expect(trainLocal(model, { ...data, featureShape: [5] }, options)).rejects.toMatchObject({
      code: 'ERR_SHAPE_MISMATCH',
    });
    await expect(trainLocal(model, { ...data, numClasses: 4 }, options)).rejects.toMatchObject({
      code: 'ERR_SHAPE_MISMATCH',
    });
    await expect(trainLocal(model, { ...data, y: Int32Array.from([0, 3]) }, options)).rejects.toMatchObject({
      code: 'ERR_BAD_INPUT',
    });
    const controller = new AbortController();
    controller.abort();
    await expect(trainLocal(model, data, { ...options, signal: controller.signal })).rejects.toMatchObject({
      code: 'ERR_CANCELLED',
    });
    model.dispose();
  });
});

describe('trainLocal with a proximal term (FedProx)', () => {
  /** L2 distance between two flat weight vectors, in float64. */
  const distance = (a: Float32Array, b: Float32Array): number =>
    Math.sqrt(a.reduce((sum, v, i) => sum + (v - b[i]!) ** 2, 0));

  it('keeps the trained weights closer to the start than plain SGD', async () => {
    const data = digitsLike(200, 4);
    const drift = async (proximalMu: number): Promise<number> => {
      const model = buildModel({ kind: 'builtin', name: 'mlp' }, 3);
      const start = getFlatWeights(model);
      await trainLocal(model, data, { ...options, epochs: 2, proximalMu });
      const moved = distance(getFlatWeights(model), start);
      model.dispose();
      return moved;
    };
    const plain = await drift(0);
    const proximal = await drift(1);
    expect(plain).toBeGreaterThan(0);
    expect(proximal).toBeLessThan(0.9 * plain);
  });

  it('gives bit-identical weights for mu = 0 and for no mu', async () => {
    const data = digitsLike(64, 5);
    const trained = async (extra: { proximalMu?: number }): Promise<string> => {
      const model = buildModel({ kind: 'builtin', name: 'mlp' }, 6);
      await trainLocal(model, data, { ...options, ...extra });
      const digest = digestWeights(getFlatWeights(model));
      model.dispose();
      return digest;
    };
    expect(await trained({ proximalMu: 0 })).toBe(await trained({}));
  });

  it('adds lr·mu·(w − w_start) to the plain step once the weights have moved', async () => {
    // One softmax layer on two features. Both examples are the same, so the shuffle cannot
    // change the steps: step 1 starts at w_start, where the proximal gradient is zero, so
    // both runs reach the same w1; step 2 then differs by exactly lr·mu·(w1 − w_start).
    const tiny = (): tf.LayersModel => {
      const model = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })],
      });
      const init = [tf.tensor2d([0.5, -0.25, 0.75, 0.1], [2, 2]), tf.tensor1d([0.2, -0.3])];
      model.setWeights(init);
      tf.dispose(init);
      return model;
    };
    const example = (size: number): TrainingData => ({
      x: Float32Array.from({ length: 2 * size }, (_, i) => (i % 2 === 0 ? 1.5 : -2)),
      y: new Int32Array(size).fill(1),
      size,
      featureShape: [2],
      numClasses: 2,
    });
    const learningRate = 0.5;
    const mu = 0.8;
    const run = async (size: number, proximalMu: number): Promise<Float32Array> => {
      const model = tiny();
      await trainLocal(model, example(size), { epochs: 1, batchSize: 1, learningRate, seed: 7, proximalMu });
      const weights = getFlatWeights(model);
      model.dispose();
      return weights;
    };
    const startModel = tiny();
    const start = getFlatWeights(startModel);
    startModel.dispose();
    const w1 = await run(1, 0);
    expect(await run(1, mu)).toEqual(w1);
    const plain = await run(2, 0);
    const proximal = await run(2, mu);
    const expected = plain.map((p, i) => p - learningRate * mu * (w1[i]! - start[i]!));
    // The proximal pull is large enough here that a wrong sign or factor would show.
    expect(distance(proximal, plain)).toBeGreaterThan(0.05);
    proximal.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 5));
  });

  it('refuses a negative or non-finite mu', async () => {
    const model = buildModel({ kind: 'builtin', name: 'mlp', inputShape: [4], numClasses: 3 }, 0);
    const data: TrainingData = {
      x: new Float32Array(8),
      y: Int32Array.from([0, 2]),
      size: 2,
      featureShape: [4],
      numClasses: 3,
    };
    for (const proximalMu of [-0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(trainLocal(model, data, { ...options, proximalMu })).rejects.toMatchObject({
        code: 'ERR_BAD_CONFIG',
      });
    }
    model.dispose();
  });

  it('leaves no tensors behind', async () => {
    const model = buildModel({ kind: 'builtin', name: 'mlp' }, 0);
    const data = digitsLike(40, 3);
    const before = tf.memory().numTensors;
    await trainLocal(model, data, { ...options, proximalMu: 0.1 });
    expect(tf.memory().numTensors).toBe(before);
    const controller = new AbortController();
    await expect(
      trainLocal(model, data, {
        ...options,
        batchSize: 4,
        proximalMu: 0.1,
        onEpochEnd: () => controller.abort(),
        epochs: 2,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('evaluate', () => {
  it('scores a model that always predicts class 0', () => {
    const model = buildModel({ kind: 'builtin', name: 'mlp', inputShape: [2], numClasses: 2 }, 0);
    // Zero weights except the output bias make the softmax a constant [0.75, 0.25].
    const weights = model.getWeights().map((w) => tf.zerosLike(w));
    weights[5] = tf.tensor1d([Math.log(3), 0]);
    model.setWeights(weights);
    tf.dispose(weights);
    const data: TrainingData = {
      x: new Float32Array(6),
      y: Int32Array.from([0, 0, 1]),
      size: 3,
      featureShape: [2],
      numClasses: 2,
    };
    const { loss, accuracy } = evaluate(model, data, 2);
    expect(accuracy).toBeCloseTo(2 / 3, 6);
    expect(loss).toBeCloseTo(-(2 * Math.log(0.75) + Math.log(0.25)) / 3, 5);
    model.dispose();
  });
});
