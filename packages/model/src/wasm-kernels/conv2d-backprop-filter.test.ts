import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { conv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { onCpuAndWasm, relativeError, runKernel, seededTensor } from './testing.js';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await initBackend('wasm');
});

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [3, 9, 8, 4], filter: [5, 3, 4, 6], strides: 1, pad: 'valid' },
  { x: [4, 7, 7, 1], filter: [5, 5, 1, 8], strides: 1, pad: 'same' },
  { x: [2, 11, 10, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'same' },
  // 12 rows, 3 taps, stride 2, valid: the last row is never read (the crop path).
  { x: [2, 12, 12, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'valid' },
  { x: [2, 12, 13, 2], filter: [4, 2, 2, 3], strides: [3, 2], pad: 'valid' },
  { x: [2, 10, 11, 2], filter: [2, 4, 2, 3], strides: [2, 3], pad: 'same' },
  { x: [2, 8, 8, 3], filter: [1, 1, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 9, 9, 2], filter: [3, 3, 2, 3], strides: 2, pad: 1 },
  {
    x: [1, 10, 9, 3],
    filter: [3, 4, 3, 2],
    strides: [2, 3],
    pad: [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0],
    ],
  },
];

const describeCase = (c: Case): string =>
  `x [${c.x.join(',')}], filter [${c.filter.join(',')}], strides ${JSON.stringify(c.strides)}, pad ${JSON.stringify(c.pad)}`;

describe('conv2d gradients on wasm', () => {
  it.each(CASES.map((c) => [describeCase(c), c] as const))('match the cpu backend: %s', async (_, c) => {
    const { cpu, wasm, leaked } = await onCpuAndWasm(() => {
      const x = seededTensor(c.x, 1) as tf.Tensor4D;
      const w = seededTensor(c.filter, 2) as tf.Tensor4D;
      // sum(conv · r) has r itself as dy: a dense, seeded output gradient.
      return tf.grads((xs: tf.Tensor, ws: tf.Tensor) => {
        const y = tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, c.strides, c.pad);
        return tf.sum(tf.mul(y, seededTensor(y.shape, 3)));
      })([x, w]);
    });
    expect(leaked).toEqual({ tensors: 0, buffers: 0 });
    expect(wasm[0]!.length).toBe(c.x.reduce((a, b) => a * b));
    expect(wasm[1]!.length).toBe(c.filter.reduce((a, b) => a * b));
    // [0] is wasm's own Conv2DBackpropInput, [1] Silo's Conv2DBackpropFilter.
    expect(relativeError(wasm[0]!, cpu[0]!)).toBeLessThan(TOLERANCE);
    expect(relativeError(wasm[1]!, cpu[1]!)).toBeLessThan(TOLERANCE);
  });

  it('matches the cpu backend for channels-first data', async () => {
    const { cpu, wasm, leaked } = await onCpuAndWasm(() => {
      const x = seededTensor([2, 3, 11, 10], 4);
      const dy = seededTensor([2, 5, 6, 4], 5);
      const attrs = { strides: [2, 3], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 4, 3, 5] };
      return [runKernel('Conv2DBackpropFilter', { x, dy }, attrs)];
    });
    expect(leaked).toEqual({ tensors: 0, buffers: 0 });
    expect(relativeError(wasm[0]!, cpu[0]!)).toBeLessThan(TOLERANCE);
  });

  it.each<{
    strides: number | [number, number];
    dilations: number | [number, number];
    pad: 'same' | 'valid';
  }>([
    { strides: 1, dilations: 2, pad: 'same' },
    { strides: [2, 1], dilations: [1, 3], pad: 'valid' },
    { strides: 1, dilations: [3, 2], pad: 'valid' },
  ])('honours dilations %o, against the gradient of the zero-interleaved filter', async (c) => {
    // A conv with dilation d equals one whose filter has d − 1 zeros between taps, so its filter
    // gradient is that filter's gradient (which the cpu backend computes) at every d-th tap.
    const [dh, dw] = typeof c.dilations === 'number' ? [c.dilations, c.dilations] : c.dilations;
    const filterShape: [number, number, number, number] = [3, 2, 3, 4];
    const wide: [number, number, number, number] = [(3 - 1) * dh + 1, (2 - 1) * dw + 1, 3, 4];
    const { cpu, wasm, leaked } = await onCpuAndWasm(() => {
      const x = seededTensor([2, 13, 12, 3], 6);
      const outShape = tf.conv2d(x as tf.Tensor4D, tf.zeros<tf.Rank.R4>(wide), c.strides, c.pad).shape;
      const dy = seededTensor(outShape, 7);
      if (tf.getBackend() === 'cpu') {
        const full = runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          {
            strides: c.strides,
            pad: c.pad,
            dataFormat: 'NHWC',
            filterShape: wide,
          },
        ) as tf.Tensor4D;
        return [tf.stridedSlice(full, [0, 0, 0, 0], wide, [dh, dw, 1, 1])];
      }
      const attrs = {
        strides: c.strides,
        dilations: c.dilations,
        pad: c.pad,
        dataFormat: 'NHWC',
        filterShape,
      };
      return [runKernel('Conv2DBackpropFilter', { x, dy }, attrs)];
    });
    expect(leaked).toEqual({ tensors: 0, buffers: 0 });
    expect(wasm[0]!.length).toBe(3 * 2 * 3 * 4);
    expect(relativeError(wasm[0]!, cpu[0]!)).toBeLessThan(TOLERANCE);
  });

  it('refuses an output gradient whose shape does not fit', () => {
    const backend = tf.backend();
    const x = { dataId: {}, shape: [1, 6, 6, 1], dtype: 'float32' as const };
    const dy = { dataId: {}, shape: [1, 5, 5, 2], dtype: 'float32' as const };
    expect(() =>
      conv2dBackpropFilter({
        inputs: { x, dy },
        attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 2] },
        backend,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }));
  });
});
