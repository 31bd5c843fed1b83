import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@silo/common';
import { initBackend } from '../backend.js';
import { buildModel } from '../build.js';
import { type TrainingData, trainLocal } from '../train.js';
import { getFlatWeights, modelLayout, setFlatWeights } from '../weights.js';
import { WASM_TRAINING_KERNELS, registerWasmTrainingKernels } from './index.js';
import { relativeError } from './testing.js';

/** Of each weight tensor's update, relative to its largest element. */
const TOLERANCE = 1e-4;

beforeAll(async () => {
  await initBackend('wasm');
});

function data(
  rows: number,
  features: number,
  numClasses: number,
  seed: number,
  vocabulary?: number,
): TrainingData {
  const rng = createRng(seed);
  const value = (): number => (vocabulary === undefined ? rng() : Math.floor(rng() * vocabulary));
  return {
    x: Float32Array.from({ length: rows * features }, value),
    y: Int32Array.from({ length: rows }, (_, i) => i % numClasses),
    size: rows,
    featureShape: [features],
    numClasses,
  };
}

const VOCABULARY = 40;
const SEQUENCE = 6;

interface ModelCase {
  name: string;
  build: () => tf.LayersModel;
  data: TrainingData;
  batchSize: number;
}

const MODELS: ModelCase[] = [
  {
    name: 'the FedAvg CNN',
    build: () => buildModel({ kind: 'builtin', name: 'cnn' }, 0),
    // The cpu backend takes seconds per example here.
    data: data(4, 784, 10, 31),
    batchSize: 2,
  },
  {
    name: 'an embedding with global average pooling',
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.embedding({
            inputDim: VOCABULARY,
            outputDim: 8,
            inputLength: SEQUENCE,
            inputShape: [SEQUENCE],
          }),
          tf.layers.globalAveragePooling1d(),
          tf.layers.dense({ units: 4, activation: 'softmax' }),
        ],
      }),
    data: data(12, SEQUENCE, 4, 32, VOCABULARY),
    batchSize: 4,
  },
  {
    name: 'an embedding flattened into a dense layer',
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.embedding({
            inputDim: VOCABULARY,
            outputDim: 5,
            inputLength: SEQUENCE,
            inputShape: [SEQUENCE],
          }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 4, activation: 'softmax' }),
        ],
      }),
    data: data(12, SEQUENCE, 4, 33, VOCABULARY),
    batchSize: 4,
  },
  {
    name: 'a CNN with batch norm, depthwise and separable convolutions, max and average pooling',
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.reshape({ inputShape: [12 * 12 * 2], targetShape: [12, 12, 2] }),
          // No bias: batch norm subtracts the mean, so a bias here would get a zero gradient.
          tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }),
          tf.layers.batchNormalization(),
          tf.layers.activation({ activation: 'relu' }),
          tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }),
          tf.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.averagePooling2d({ poolSize: 2, strides: 1 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 4, activation: 'softmax' }),
        ],
      }),
    data: data(8, 12 * 12 * 2, 4, 34),
    batchSize: 4,
  },
];

/** Trains a fresh copy of the model from `initial` (or its own initial weights) on the current backend. */
async function train(c: ModelCase, initial?: Float32Array) {
  const model = c.build();
  try {
    if (initial !== undefined) setFlatWeights(model, initial);
    const before = getFlatWeights(model);
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    const result = await trainLocal(model, c.data, {
      epochs: 1,
      batchSize: c.batchSize,
      learningRate: 0.05,
      seed: 7,
    });
    const leaked = {
      tensors: tf.memory().numTensors - tensors,
      buffers: tf.backend().numDataIds() - buffers,
    };
    return { before, after: getFlatWeights(model), layout: modelLayout(model), result, leaked };
  } finally {
    model.dispose();
  }
}

describe('training on wasm', () => {
  it.each(MODELS.map((c) => [c.name, c] as const))('updates %s as the cpu backend does', async (_, c) => {
    await initBackend('cpu');
    const cpu = await train(c);
    await initBackend('wasm');
    const wasm = await train(c, cpu.before);
    expect(wasm.leaked).toEqual({ tensors: 0, buffers: 0 });
    expect(wasm.result.steps).toBe(Math.ceil(c.data.size / c.batchSize));
    expect(wasm.result.loss).toBeCloseTo(cpu.result.loss, 4);
    // Compare each weight tensor's update, so a layer that barely moves is still checked.
    let offset = 0;
    for (const { name, shape } of wasm.layout) {
      const size = shape.reduce((a, b) => a * b, 1);
      const update = (run: typeof cpu): Float32Array =>
        Float32Array.from(run.after.subarray(offset, offset + size), (v, i) => v - run.before[offset + i]!);
      expect(relativeError(update(wasm), update(cpu)), name).toBeLessThan(TOLERANCE);
      offset += size;
    }
    expect(offset).toBe(wasm.after.length);
  });
});

describe('training the FedAvg CNN on wasm', () => {
  it('is deterministic: equal weights and data give bit-identical weights', async () => {
    await initBackend('wasm');
    const cnn = MODELS[0]!;
    const first = await train(cnn);
    const second = await train(cnn, first.before);
    expect(second.leaked).toEqual({ tensors: 0, buffers: 0 });
    expect(Buffer.from(second.after.buffer).equals(Buffer.from(first.after.buffer))).toBe(true);
    expect(Buffer.from(first.after.buffer).equals(Buffer.from(first.before.buffer))).toBe(false);
  });
});

describe('registerWasmTrainingKernels', () => {
  it("registers only kernels wasm lacks, once, and leaves wasm's own alone", () => {
    // initBackend('wasm') registered them already: a second call finds nothing missing.
    expect(registerWasmTrainingKernels()).toEqual([]);
    expect(WASM_TRAINING_KERNELS).toEqual([
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'UnsortedSegmentSum',
    ]);
    for (const name of WASM_TRAINING_KERNELS) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    expect(WASM_TRAINING_KERNELS).not.toContain('Conv2DBackpropInput');
  });
});
