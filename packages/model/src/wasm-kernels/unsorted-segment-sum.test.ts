import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@silo/common';
import { initBackend } from '../backend.js';
import { onCpuAndWasm, relativeError, seededTensor } from './testing.js';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await initBackend('wasm');
});

/** `count` seeded integers in [low, high), repeats likely. */
function seededIds(count: number, low: number, high: number, seed: number): Int32Array {
  const rng = createRng(seed);
  return Int32Array.from({ length: count }, () => low + Math.floor(rng() * (high - low)));
}

interface GatherCase {
  x: number[];
  indices: number[];
  axis: number;
}

const GATHER_CASES: GatherCase[] = [
  { x: [20, 6], indices: [15], axis: 0 },
  // An embedding lookup: a batch of token sequences into a [vocabulary, width] table.
  { x: [50, 8], indices: [4, 7], axis: 0 },
  { x: [5, 9, 3], indices: [12], axis: 1 },
  { x: [4, 3, 7], indices: [2, 5], axis: 2 },
  { x: [30], indices: [40], axis: 0 },
];

describe('UnsortedSegmentSum on wasm', () => {
  it.each(GATHER_CASES.map((c) => [JSON.stringify(c), c] as const))(
    'gives gather the cpu backend gradient: %s',
    async (_, c) => {
      const size = c.indices.reduce((a, b) => a * b, 1);
      const ids = seededIds(size, 0, c.x[c.axis]!, 21);
      const { cpu, wasm, leaked } = await onCpuAndWasm(() => {
        const indices = tf.tensor(ids, c.indices, 'int32');
        const loss = (x: tf.Tensor): tf.Scalar => {
          const y = tf.gather(x, indices, c.axis);
          return tf.sum(tf.mul(y, seededTensor(y.shape, 22)));
        };
        return [tf.grad(loss)(seededTensor(c.x, 23))];
      });
      expect(leaked).toEqual({ tensors: 0, buffers: 0 });
      expect(wasm[0]!.length).toBe(c.x.reduce((a, b) => a * b, 1));
      expect(relativeError(wasm[0]!, cpu[0]!)).toBeLessThan(TOLERANCE);
    },
  );

  it('drops ids outside 0 … numSegments − 1, as the cpu backend does', async () => {
    const ids = Int32Array.from([3, -1, 0, 7, 3, 12, 5, 0, -4, 6]);
    const { cpu, wasm, leaked } = await onCpuAndWasm(() => [
      tf.unsortedSegmentSum(seededTensor([10, 2, 3], 24), tf.tensor1d(ids, 'int32'), 7),
    ]);
    expect(leaked).toEqual({ tensors: 0, buffers: 0 });
    expect(wasm[0]!.length).toBe(7 * 2 * 3);
    expect(relativeError(wasm[0]!, cpu[0]!)).toBeLessThan(TOLERANCE);
  });

  it('sums into numSegments rows, zeros where no id points', () => {
    expect(tf.getBackend()).toBe('wasm');
    const out = tf.tidy(() =>
      tf
        .unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), tf.tensor1d([2, 0, 2], 'int32'), 4)
        .arraySync(),
    );
    expect(out).toEqual([
      [3, 4],
      [0, 0],
      [6, 8],
      [0, 0],
    ]);
  });

  it('refuses ids that are not one per row of x', () => {
    const tensors = tf.memory().numTensors;
    expect(() =>
      tf.tidy(() => {
        // The op's types say 1-D; the kernel must still refuse what a caller passes regardless.
        const ids = tf.tensor2d([0, 1, 0, 1], [2, 2], 'int32') as unknown as tf.Tensor1D;
        return tf.unsortedSegmentSum(tf.ones([4, 3]), ids, 2);
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }));
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
