import * as tf from '@tensorflow/tfjs';
import { SiloError } from '@silo/common';
import type { Layout } from '@silo/tensors';

/**
 * The names and shapes of `model.getWeights()`, in that order — the layout of the flat weight
 * vector exchanged with the coordinator. Names are the variables' original names (e.g.
 * `hidden1/kernel`), which, unlike TensorFlow.js's de-duplicated runtime names, are the same in
 * every process that builds the model.
 */
export function modelLayout(model: tf.LayersModel): Layout {
  return model.weights.map((w) => ({ name: w.originalName, shape: [...w.read().shape] }));
}

/** All weights of `model`, concatenated in {@link modelLayout} order (row-major per tensor). */
export function getFlatWeights(model: tf.LayersModel): Float32Array {
  const weights = model.weights;
  const total = weights.reduce((n, w) => n + w.read().size, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const w of weights) {
    // read() returns the variable itself, not a copy, so it must not be disposed.
    const values = w.read().dataSync();
    flat.set(values, offset);
    offset += values.length;
  }
  return flat;
}

/**
 * Overwrites every weight of `model` from a flat vector in {@link modelLayout} order.
 *
 * @throws SiloError `ERR_SHAPE_MISMATCH` when `values` does not have exactly as many elements
 *   as the model has weights.
 */
export function setFlatWeights(model: tf.LayersModel, values: Float32Array): void {
  const weights = model.weights;
  const total = weights.reduce((n, w) => n + w.read().size, 0);
  if (values.length !== total) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `model ${model.name} has ${total} weights but ${values.length} values were given`,
    );
  }
  // setWeights copies into the variables, so the temporary tensors can all be released.
  tf.tidy(() => {
    let offset = 0;
    const tensors = weights.map((w) => {
      const { size, shape } = w.read();
      const t = tf.tensor(values.subarray(offset, offset + size), shape, 'float32');
      offset += size;
      return t;
    });
    model.setWeights(tensors);
  });
}
