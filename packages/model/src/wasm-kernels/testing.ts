/**
 * Test support for the wasm kernels (not exported from the package): seeded inputs, running one
 * computation on the cpu and the wasm backend, and comparing the results.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@silo/common';
import { initBackend } from '../backend.js';

/** `count` values uniform in [−1, 1), a pure function of `seed`, so equal on every backend. */
export function seededValues(count: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => rng() * 2 - 1);
}

/** A float tensor of `shape` filled with {@link seededValues}. */
export function seededTensor(shape: readonly number[], seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(seededValues(size, seed), [...shape], 'float32');
}

/** Runs kernel `name` on the active backend, outside any gradient: a kernel's own attributes. */
export function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel<tf.Tensor>(name, inputs, attrs as tf.NamedAttrMap);
}

/** What {@link onCpuAndWasm} returns: each backend's outputs, and what wasm left behind. */
export interface BackendComparison {
  cpu: Float32Array[];
  wasm: Float32Array[];
  /** Tensors and backend buffers alive after the wasm run that were not before it. */
  leaked: { tensors: number; buffers: number };
}

/**
 * Runs `compute` on the cpu backend, then on wasm, and returns the values of its outputs on
 * each. On wasm, TensorFlow.js's IS_TEST mode checks every kernel call for buffers it forgot to
 * free (it throws if one did), and the counts of live tensors and buffers are compared before
 * and after. Leaves wasm as the active backend.
 */
export async function onCpuAndWasm(compute: () => tf.Tensor[]): Promise<BackendComparison> {
  await initBackend('cpu');
  const cpu = values(compute);
  await initBackend('wasm');
  const tensors = tf.memory().numTensors;
  const buffers = tf.backend().numDataIds();
  tf.env().set('IS_TEST', true);
  let wasm: Float32Array[];
  try {
    wasm = values(compute);
  } finally {
    tf.env().set('IS_TEST', false);
  }
  const leaked = { tensors: tf.memory().numTensors - tensors, buffers: tf.backend().numDataIds() - buffers };
  return { cpu, wasm, leaked };
}

function values(compute: () => tf.Tensor[]): Float32Array[] {
  const outputs = tf.tidy(compute);
  try {
    return outputs.map((t) => Float32Array.from(t.dataSync()));
  } finally {
    tf.dispose(outputs);
  }
}

/**
 * The largest absolute difference between `actual` and `expected`, relative to the largest
 * magnitude in `expected`; infinite when the lengths differ or a value is not finite, NaN when
 * `expected` is all zeros (a comparison that proves nothing).
 */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(e)) return Infinity;
    scale = Math.max(scale, Math.abs(e));
    worst = Math.max(worst, Math.abs(a - e));
  }
  return scale === 0 ? NaN : worst / scale;
}
