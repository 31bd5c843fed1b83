import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { initBackend } from './backend.js';
import { buildModel } from './build.js';
import { trainLocal } from './train.js';
import { getFlatWeights } from './weights.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** The filter gradient of sum(conv2d(x, w)²) on the current backend. */
function filterGradient(x: number[][][][], w: number[][][][], pad: 'same' | 'valid'): Float32Array {
  return tf.tidy(() => {
    const xs = tf.tensor4d(x);
    const grad = tf.grad((filter) =>
      tf
        .conv2d(xs, filter as tf.Tensor4D, 1, pad)
        .square()
        .sum(),
    )(tf.tensor4d(w));
    return grad.dataSync() as Float32Array;
  });
}

describe('Conv2DBackpropFilter on wasm', () => {
  it.each(['same', 'valid'] as const)('matches the cpu backend (%s padding)', async (pad) => {
    const x = tf.tidy(() => tf.randomNormal([3, 9, 8, 4], 0, 1, 'float32', 1).arraySync() as number[][][][]);
    const w = tf.tidy(() => tf.randomNormal([5, 3, 4, 6], 0, 1, 'float32', 2).arraySync() as number[][][][]);
    expect(tf.getBackend()).toBe('wasm');
    // IS_TEST makes TensorFlow.js check each kernel for leaked backend data. (It is not left on:
    // it misreports the wasm fusedMatMul gradient, whose outputs alias their inputs.)
    tf.env().set('IS_TEST', true);
    const onWasm = filterGradient(x, w, pad);
    tf.env().set('IS_TEST', false);
    await initBackend('cpu');
    const onCpu = filterGradient(x, w, pad);
    await initBackend('wasm');
    expect(onWasm.length).toBe(5 * 3 * 4 * 6);
    let worst = 0;
    onCpu.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - onWasm[i]!) / (1 + Math.abs(v)))));
    expect(worst).toBeLessThan(1e-4);
  });

  it('rejects strided convolutions with a clear error', () => {
    expect(() =>
      tf.tidy(() =>
        tf.grad((f) => tf.conv2d(tf.ones<tf.Rank.R4>([1, 6, 6, 1]), f as tf.Tensor4D, 2, 'same').sum())(
          tf.ones([3, 3, 1, 2]),
        ),
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });

  it('lets the FedAvg CNN train on wasm, deterministically and without leaks', async () => {
    const size = 8;
    const data = {
      x: Float32Array.from({ length: size * 784 }, (_, i) => ((i * 7919) % 101) / 100),
      y: Int32Array.from({ length: size }, (_, i) => i % 10),
      size,
      featureShape: [784],
      numClasses: 10,
    };
    const run = async (): Promise<Float32Array> => {
      const model = buildModel({ kind: 'builtin', name: 'cnn' }, 0);
      const initial = getFlatWeights(model);
      const tensors = tf.memory().numTensors;
      const buffers = tf.backend().numDataIds();
      const result = await trainLocal(model, data, { epochs: 1, batchSize: 4, learningRate: 0.05, seed: 0 });
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.backend().numDataIds()).toBe(buffers);
      expect(result.steps).toBe(2);
      const trained = getFlatWeights(model);
      // Both conv kernels (the first 800 and the next 51,200 values) moved.
      expect(digestWeights(trained.slice(0, 800))).not.toBe(digestWeights(initial.slice(0, 800)));
      expect(digestWeights(trained.slice(832, 832 + 51_200))).not.toBe(
        digestWeights(initial.slice(832, 832 + 51_200)),
      );
      model.dispose();
      return trained;
    };
    expect(digestWeights(await run())).toBe(digestWeights(await run()));
  });
});
