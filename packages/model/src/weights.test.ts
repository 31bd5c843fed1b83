import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { initBackend } from './backend.js';
import { buildModel } from './build.js';
import { getFlatWeights, modelLayout, setFlatWeights } from './weights.js';

beforeAll(async () => {
  await initBackend();
});

describe('flat weights', () => {
  it('describe the mlp in layer order with stable names', () => {
    const model = buildModel({ kind: 'builtin', name: 'mlp' }, 1);
    // A second model gets de-duplicated runtime names, but the same layout.
    const twin = buildModel({ kind: 'builtin', name: 'mlp' }, 1);
    expect(modelLayout(model)).toEqual([
      { name: 'hidden1/kernel', shape: [784, 200] },
      { name: 'hidden1/bias', shape: [200] },
      { name: 'hidden2/kernel', shape: [200, 200] },
      { name: 'hidden2/bias', shape: [200] },
      { name: 'output/kernel', shape: [200, 10] },
      { name: 'output/bias', shape: [10] },
    ]);
    expect(modelLayout(twin)).toEqual(modelLayout(model));
    model.dispose();
    twin.dispose();
  });

  it('round-trip through set and get without leaking tensors', () => {
    const model = buildModel({ kind: 'builtin', name: 'mlp', inputShape: [20], numClasses: 3 }, 2);
    const n = getFlatWeights(model).length;
    expect(n).toBe(20 * 200 + 200 + 200 * 200 + 200 + 200 * 3 + 3);
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const before = tf.memory().numTensors;
    setFlatWeights(model, values);
    expect(tf.memory().numTensors).toBe(before);
    expect(digestWeights(getFlatWeights(model))).toBe(digestWeights(values));
    // The first kernel element and the last bias land where the layout says.
    const [kernel] = model.getWeights();
    expect(kernel!.dataSync()[1]).toBeCloseTo(Math.sin(1), 6);
    expect(model.getWeights()[5]!.dataSync()[2]).toBeCloseTo(Math.sin(n - 1), 6);
    model.dispose();
  });

  it('rejects a vector of the wrong size', () => {
    const model = buildModel({ kind: 'builtin', name: 'mlp' }, 0);
    const n = getFlatWeights(model).length;
    expect(() => setFlatWeights(model, new Float32Array(n - 1))).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
    model.dispose();
  });
});
