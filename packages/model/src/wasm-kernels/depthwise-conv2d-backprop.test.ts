import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { onCpuAndWasm, relativeError, runKernel, seededTensor } from './testing.js';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await initBackend('wasm');
});

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

interface Case {
  x: [number, number, number, number];
  /** [fH, fW, C, channel multiplier]. */
  filter: [number, number, number, number];
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 1], strides: 1, dilations: 1, pad: 'same' },
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 2], strides: 1, dilations: 1, pad: 'valid' },
  { x: [2, 11, 10, 4], filter: [3, 3, 4, 2], strides: 2, dilations: 1, pad: 'same' },
  { x: [2, 12, 13, 2], filter: [5, 3, 2, 3], strides: [2, 3], dilations: 1, pad: 'valid' },
  { x: [3, 8, 8, 2], filter: [2, 2, 2, 1], strides: 2, dilations: 1, pad: 'same' },
  { x: [1, 1, 1, 5], filter: [1, 1, 5, 3], strides: 1, dilations: 1, pad: 'valid' },
  {
    x: [1, 10, 9, 3],
    filter: [3, 4, 3, 1],
    strides: 2,
    dilations: 1,
    pad: [
      [0, 0],
      [2, 1],
      [1, 3],
      [0, 0],
    ],
  },
  // Leading padding beyond the filter's reach: the input gradient crops dY's first rows.
  {
    x: [2, 7, 7, 2],
    filter: [2, 2, 2, 2],
    strides: 1,
    dilations: 1,
    pad: [
      [0, 0],
      [3, 0],
      [0, 2],
      [0, 0],
    ],
  },
  { x: [2, 13, 12, 3], filter: [3, 3, 3, 2], strides: 1, dilations: 2, pad: 'same' },
  { x: [2, 13, 12, 3], filter: [3, 2, 3, 1], strides: 1, dilations: [2, 3], pad: 'valid' },
  {
    x: [1, 11, 11, 2],
    filter: [2, 3, 2, 2],
    strides: 1,
    dilations: [3, 2],
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
];

const describeCase = (c: Case): string =>
  `x [${c.x.join(',')}], filter [${c.filter.join(',')}], strides ${JSON.stringify(c.strides)}, ` +
  `dilations ${JSON.stringify(c.dilations)}, pad ${JSON.stringify(c.pad)}`;

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

/**
 * [input gradient, filter gradient] of sum(depthwiseConv2d(x, w) · dy). TensorFlow.js's gradient
 * refuses dilations above 1, so for those cases the two backprop kernels are run directly on
 * wasm; the cpu backend's kernels ignore dilations, so there the reference is the undilated
 * convolution with the zero-interleaved filter (d − 1 zeros between taps), which computes the
 * same function: its input gradient is the same, and its filter gradient at every d-th tap is
 * the dilated filter's gradient.
 */
function gradients(c: Case): tf.Tensor[] {
  const [dh, dw] = pair(c.dilations);
  const x = seededTensor(c.x, 11) as tf.Tensor4D;
  const w = seededTensor(c.filter, 12) as tf.Tensor4D;
  const forward = (xs: tf.Tensor, ws: tf.Tensor, dilations = c.dilations): tf.Tensor4D =>
    tf.depthwiseConv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, c.strides, c.pad, 'NHWC', dilations);
  const dy = seededTensor(forward(x, w).shape, 13);
  const loss = (dilations: number | [number, number]) => (xs: tf.Tensor, ws: tf.Tensor) =>
    tf.sum(tf.mul(forward(xs, ws, dilations), dy));
  if (dh === 1 && dw === 1) return tf.grads(loss(1))([x, w]);
  if (tf.getBackend() === 'cpu') {
    const wide = interleave(w, dh, dw);
    const [dx, dWide] = tf.grads(loss(1))([x, wide]);
    return [dx!, tf.stridedSlice(dWide!, [0, 0, 0, 0], wide.shape, [dh, dw, 1, 1])];
  }
  const attrs = { strides: c.strides, dilations: c.dilations, pad: c.pad };
  return [
    runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: c.x }),
    runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: c.filter }),
  ];
}

/** `w` [fH, fW, C, m] with dh − 1 zero rows and dw − 1 zero columns between its taps. */
function interleave(w: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  const [fH, fW, c, m] = w.shape;
  const wide = tf.buffer<tf.Rank.R4>([(fH - 1) * dh + 1, (fW - 1) * dw + 1, c, m], 'float32');
  const taps = w.bufferSync();
  for (let i = 0; i < fH; i++)
    for (let j = 0; j < fW; j++)
      for (let k = 0; k < c; k++)
        for (let q = 0; q < m; q++) wide.set(taps.get(i, j, k, q), i * dh, j * dw, k, q);
  return wide.toTensor();
}

describe('depthwise conv2d gradients on wasm', () => {
  it.each(CASES.map((c) => [describeCase(c), c] as const))('match the cpu backend: %s', async (_, c) => {
    const { cpu, wasm, leaked } = await onCpuAndWasm(() => gradients(c));
    expect(leaked).toEqual({ tensors: 0, buffers: 0 });
    expect(wasm[0]!.length).toBe(c.x.reduce((a, b) => a * b));
    expect(wasm[1]!.length).toBe(c.filter.reduce((a, b) => a * b));
    expect(relativeError(wasm[0]!, cpu[0]!)).toBeLessThan(TOLERANCE);
    expect(relativeError(wasm[1]!, cpu[1]!)).toBeLessThan(TOLERANCE);
  });

  it('trains a separable conv2d layer (depthwise, then pointwise) like the cpu backend', async () => {
    const { cpu, wasm, leaked } = await onCpuAndWasm(() => {
      const x = seededTensor([2, 10, 10, 3], 14) as tf.Tensor4D;
      const depthwise = seededTensor([3, 3, 3, 2], 15) as tf.Tensor4D;
      const pointwise = seededTensor([1, 1, 6, 4], 16) as tf.Tensor4D;
      return tf.grads((xs: tf.Tensor, d: tf.Tensor, p: tf.Tensor) =>
        tf.sum(
          tf.square(tf.separableConv2d(xs as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, 2, 'same')),
        ),
      )([x, depthwise, pointwise]);
    });
    expect(leaked).toEqual({ tensors: 0, buffers: 0 });
    cpu.forEach((expected, i) => expect(relativeError(wasm[i]!, expected)).toBeLessThan(TOLERANCE));
  });
});
