import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { initBackend } from './backend.js';
import { buildModel } from './build.js';
import { getFlatWeights, modelLayout } from './weights.js';

beforeAll(async () => {
  await initBackend();
});

describe('buildModel', () => {
  it('builds the FedAvg 2NN with 199,210 parameters', () => {
    const model = buildModel({ kind: 'builtin', name: 'mlp' }, 0);
    expect(model.countParams()).toBe(199_210);
    expect(model.inputs[0]!.shape).toEqual([null, 784]);
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
    model.dispose();
  });

  it('builds the FedAvg CNN with 1,663,370 parameters on flat 784-float input', () => {
    const model = buildModel({ kind: 'builtin', name: 'cnn' }, 0);
    expect(model.countParams()).toBe(1_663_370);
    expect(model.inputs[0]!.shape).toEqual([null, 784]);
    expect(modelLayout(model).map((t) => t.shape)).toEqual([
      [5, 5, 1, 32],
      [32],
      [5, 5, 32, 64],
      [64],
      [3136, 512],
      [512],
      [512, 10],
      [10],
    ]);
    model.dispose();
  });

  it('initialises bit-identically from the same seed and differently from another', () => {
    const a = buildModel({ kind: 'builtin', name: 'mlp' }, 7);
    const b = buildModel({ kind: 'builtin', name: 'mlp' }, 7);
    const c = buildModel({ kind: 'builtin', name: 'mlp' }, 8);
    const wa = getFlatWeights(a);
    expect(digestWeights(getFlatWeights(b))).toBe(digestWeights(wa));
    expect(digestWeights(getFlatWeights(c))).not.toBe(digestWeights(wa));
    // Layers get distinct seeds: the two 200-wide kernels must not share values.
    expect(wa.subarray(784 * 200 + 200, 784 * 200 + 400)).not.toEqual(wa.subarray(0, 200));
    // Glorot uniform bound for the first kernel: sqrt(6 / (784 + 200)).
    const bound = Math.sqrt(6 / 984);
    const first = wa.subarray(0, 784 * 200);
    const max = first.reduce((m, v) => Math.max(m, v), -Infinity);
    const min = first.reduce((m, v) => Math.min(m, v), Infinity);
    expect(max).toBeLessThanOrEqual(bound);
    expect(min).toBeGreaterThanOrEqual(-bound);
    expect(max).toBeGreaterThan(0.9 * bound);
    for (const m of [a, b, c]) m.dispose();
  });

  it('rebuilds a model from its topology JSON, seeded and deterministic', () => {
    const source = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'd1', inputShape: [6], units: 5, activation: 'tanh' }),
        tf.layers.dropout({ rate: 0.1 }),
        tf.layers.dense({ name: 'd2', units: 3, activation: 'softmax', kernelInitializer: 'heNormal' }),
      ],
    });
    const topology = JSON.parse(JSON.stringify(source.toJSON(undefined, false))) as object;
    const a = buildModel({ kind: 'topology', topology }, 3);
    const b = buildModel({ kind: 'topology', topology }, 3);
    const c = buildModel({ kind: 'topology', topology }, 4);
    expect(modelLayout(a)).toEqual(modelLayout(source));
    expect(digestWeights(getFlatWeights(b))).toBe(digestWeights(getFlatWeights(a)));
    expect(digestWeights(getFlatWeights(c))).not.toBe(digestWeights(getFlatWeights(a)));
    const out = tf.tidy(() => (a.predict(tf.ones([2, 6])) as tf.Tensor).sum(-1).arraySync() as number[]);
    out.forEach((s) => expect(s).toBeCloseTo(1, 5));
    for (const m of [source, a, b, c]) m.dispose();
  });

  it('rejects a topology that is not a model', () => {
    expect(() => buildModel({ kind: 'topology', topology: { class_name: 'Nope', config: {} } }, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() =>
      buildModel(
        {
          kind: 'topology',
          topology: { class_name: 'Sequential', config: { layers: [{ class_name: 'Bogus', config: {} }] } },
        },
        0,
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });
});
