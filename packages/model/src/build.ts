import * as tf from '@tensorflow/tfjs';
import type { ModelSpec, ResolvedBuiltin } from './model-spec.js';
import { cnnImageShape, parseModelSpec, resolveBuiltin } from './model-spec.js';
import { modelFromTopology } from './topology.js';

/**
 * A fresh, untrained model for `spec`, initialised deterministically from `seed`: the same spec
 * and seed give bit-identical weights on every backend and machine, which crash recovery
 * depends on. Each layer with random weights gets the seed `seed + its index` (built-ins) or
 * `seed + k` for the k-th random initializer in the topology document.
 *
 * Built-in models take flat rows of `prod(inputShape)` features (the CNN reshapes them inside),
 * have fixed layer names — so weight names match across processes — and end in a softmax.
 * The model holds TensorFlow.js variables: call `model.dispose()` when done with it.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for an invalid spec or topology.
 */
export function buildModel(spec: ModelSpec, seed: number): tf.LayersModel {
  const parsed = parseModelSpec(spec);
  if (parsed.kind === 'topology') return modelFromTopology(parsed.topology, seed);
  const resolved = resolveBuiltin(parsed);
  return resolved.name === 'mlp' ? buildMlp(resolved, seed) : buildCnn(resolved, seed);
}

/** McMahan et al. (2017) "2NN": two fully connected hidden layers of 200 ReLU units. */
function buildMlp(spec: ResolvedBuiltin, seed: number): tf.LayersModel {
  const inputSize = spec.inputShape.reduce((a, b) => a * b, 1);
  return tf.sequential({
    name: 'mlp',
    layers: [
      tf.layers.dense({
        name: 'hidden1',
        inputShape: [inputSize],
        units: 200,
        activation: 'relu',
        kernelInitializer: glorot(seed, 0),
      }),
      tf.layers.dense({
        name: 'hidden2',
        units: 200,
        activation: 'relu',
        kernelInitializer: glorot(seed, 1),
      }),
      tf.layers.dense({
        name: 'output',
        units: spec.numClasses,
        activation: 'softmax',
        kernelInitializer: glorot(seed, 2),
      }),
    ],
  });
}

/**
 * McMahan et al. (2017) CNN: 5×5 conv (32) → 2×2 max-pool → 5×5 conv (64) → 2×2 max-pool →
 * dense 512 ReLU → softmax; 'same' padding, which gives the paper's 1,663,370 parameters.
 */
function buildCnn(spec: ResolvedBuiltin, seed: number): tf.LayersModel {
  const image = cnnImageShape(spec.inputShape);
  const inputSize = image[0] * image[1] * image[2];
  return tf.sequential({
    name: 'cnn',
    layers: [
      tf.layers.reshape({ name: 'image', inputShape: [inputSize], targetShape: image }),
      tf.layers.conv2d({
        name: 'conv1',
        filters: 32,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: glorot(seed, 1),
      }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({
        name: 'conv2',
        filters: 64,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: glorot(seed, 3),
      }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'dense', units: 512, activation: 'relu', kernelInitializer: glorot(seed, 6) }),
      tf.layers.dense({
        name: 'output',
        units: spec.numClasses,
        activation: 'softmax',
        kernelInitializer: glorot(seed, 7),
      }),
    ],
  });
}

function glorot(seed: number, layerIndex: number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: seed + layerIndex });
}
