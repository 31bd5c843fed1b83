import * as tf from '@tensorflow/tfjs';
import { SiloError } from '@silo/common';
import { epochPermutation } from './rng.js';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';

/**
 * Labelled examples to train or evaluate on. Structurally the `Dataset` of `@silo/data` (which
 * this package must not depend on): `x` holds `size` rows of `prod(featureShape)` floats.
 */
export interface TrainingData {
  x: Float32Array;
  y: Int32Array;
  size: number;
  featureShape: number[];
  numClasses: number;
}

/** Options of {@link trainLocal}. */
export interface TrainOptions {
  /** Passes over the local data (FedAvg's E). */
  epochs: number;
  /** Examples per SGD step (FedAvg's B); the last batch of an epoch may be smaller. */
  batchSize: number;
  /** Plain SGD step size. */
  learningRate: number;
  /** Seeds the per-epoch shuffles, so equal inputs give bit-identical results. */
  seed: number;
  /**
   * FedProx's μ (Li et al., 2020): when positive, each step minimises the loss plus
   * `(μ/2)·‖w − w_start‖²`, where `w_start` are the trainable weights at the start of the call
   * (the round's base), which pulls local training back towards them. Must be finite and ≥ 0.
   * Default 0: plain SGD, bit-identical to leaving it out.
   */
  proximalMu?: number;
  /** Stops training between steps; the model then holds a partial update. */
  signal?: AbortSignal;
  /** Called after each epoch with its 1-based number and that epoch's mean loss and accuracy. */
  onEpochEnd?: (epoch: number, metrics: { loss: number; accuracy: number }) => void;
}

/** What one call of {@link trainLocal} did. */
export interface TrainResult {
  /** Mean cross-entropy over the examples of the last epoch, each taken before its step. */
  loss: number;
  /** Fraction of the last epoch's examples classified correctly, before their step. */
  accuracy: number;
  /** Examples in the local data (FedAvg's n_k, the weight of this update). */
  numExamples: number;
  /** SGD steps taken, over all epochs. */
  steps: number;
}

/** Yield to the event loop at least this often, so heartbeats and cancellation get through. */
const YIELD_EVERY_MS = 50;
const DEFAULT_EVAL_BATCH = 256;
const EPSILON = 1e-7;

/**
 * Trains `model` in place on local data with plain minibatch SGD, as in FedAvg's ClientUpdate:
 * each epoch visits the examples in a fresh permutation seeded by `(seed, epoch)`. With a positive
 * `proximalMu` it is FedProx's local solver instead: the loss of every step gains the proximal
 * term `(μ/2)·‖w − w_start‖²` over the trainable weights, `w_start` being their values when the
 * call began.
 *
 * Deterministic on a given backend: the same weights, data and options yield bit-identical
 * weights. Leaves no tensors behind. Labels must be below the model's output width. The wasm
 * backend lacks some gradient kernels (convolution filters, depthwise convolutions, gather);
 * Silo registers its own before training (see `registerWasmTrainingKernels`).
 *
 * @throws SiloError `ERR_BAD_CONFIG` for invalid options; `ERR_SHAPE_MISMATCH` when the data's
 *   rows or classes do not fit the model; `ERR_BAD_INPUT` for a label out of range or empty
 *   data; `ERR_CANCELLED` when `signal` aborts.
 */
export async function trainLocal(
  model: tf.LayersModel,
  data: TrainingData,
  options: TrainOptions,
): Promise<TrainResult> {
  const { epochs, batchSize, learningRate, seed, signal, proximalMu = 0 } = validateOptions(options);
  const io = checkData(model, data);
  registerWasmTrainingKernels();
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // Only built for μ > 0, so that μ = 0 runs exactly the plain-SGD graph.
  const proximal: Proximal | undefined =
    proximalMu > 0 ? { mu: proximalMu, anchors: variables.map((v) => tf.clone(v)) } : undefined;
  const optimizer = tf.train.sgd(learningRate);
  let steps = 0;
  let lossSum = 0;
  let correct = 0;
  let lastYield = performance.now();
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = epochPermutation(data.size, seed, epoch);
      lossSum = 0;
      correct = 0;
      for (let start = 0; start < data.size; start += batchSize) {
        if (signal?.aborted)
          throw new SiloError('ERR_CANCELLED', 'local training was cancelled', { cause: signal.reason });
        const batch = gather(data, io.rowLength, order.subarray(start, start + batchSize));
        const step = trainStep(model, optimizer, variables, batch, io, proximal);
        lossSum += step.loss * batch.size;
        correct += step.correct;
        steps++;
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
      }
      options.onEpochEnd?.(epoch + 1, { loss: lossSum / data.size, accuracy: correct / data.size });
    }
  } finally {
    optimizer.dispose();
    if (proximal !== undefined) tf.dispose(proximal.anchors);
  }
  return { loss: lossSum / data.size, accuracy: correct / data.size, numExamples: data.size, steps };
}

/**
 * Mean cross-entropy and accuracy of `model` on `data`, in inference mode, in batches of
 * `batchSize` (default 256). Leaves no tensors behind.
 *
 * @throws SiloError as {@link trainLocal} does for data that does not fit the model.
 */
export function evaluate(
  model: tf.LayersModel,
  data: TrainingData,
  batchSize = DEFAULT_EVAL_BATCH,
): { loss: number; accuracy: number } {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new SiloError('ERR_BAD_CONFIG', `batchSize must be a positive integer, got ${batchSize}`);
  }
  const io = checkData(model, data);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < data.size; start += batchSize) {
    const end = Math.min(data.size, start + batchSize);
    const batch = {
      x: data.x.subarray(start * io.rowLength, end * io.rowLength),
      y: data.y.subarray(start, end),
      size: end - start,
    };
    tf.tidy(() => {
      const { xs, labels } = batchTensors(batch, io);
      const probs = model.predict(xs) as tf.Tensor;
      lossSum += crossEntropy(probs, labels, io.numOutputs).dataSync()[0]! * batch.size;
      correct += countCorrect(probs, labels).dataSync()[0]!;
    });
  }
  return { loss: lossSum / data.size, accuracy: correct / data.size };
}

/** How data rows map onto the model's input and output. */
interface ModelIo {
  inputDims: number[];
  rowLength: number;
  numOutputs: number;
}

/** FedProx's proximal term: its weight μ and the weights it pulls towards, one per variable. */
interface Proximal {
  mu: number;
  anchors: tf.Tensor[];
}

interface Batch {
  x: Float32Array;
  y: Int32Array;
  size: number;
}

function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  batch: Batch,
  io: ModelIo,
  proximal: Proximal | undefined,
): { loss: number; correct: number } {
  return tf.tidy(() => {
    const { xs, labels } = batchTensors(batch, io);
    let correctCount: tf.Tensor | undefined;
    let crossEntropyLoss: tf.Tensor | undefined;
    const loss = optimizer.minimize(
      () => {
        const probs = model.apply(xs, { training: true }) as tf.Tensor;
        // The gradient pass disposes everything made in here but the loss, so the accuracy
        // count (and, under FedProx, the loss without the proximal term, which is what the
        // result reports) are kept explicitly and released below.
        correctCount = tf.keep(countCorrect(probs, labels));
        const ce = crossEntropy(probs, labels, io.numOutputs);
        if (proximal === undefined) return ce;
        crossEntropyLoss = tf.keep(ce);
        return tf.add(ce, proximalTerm(variables, proximal));
      },
      true,
      variables,
    );
    const result = {
      loss: (crossEntropyLoss ?? loss!).dataSync()[0]!,
      correct: correctCount!.dataSync()[0]!,
    };
    correctCount!.dispose();
    crossEntropyLoss?.dispose();
    return result;
  });
}

/** `(μ/2)·Σ‖v − anchor‖²` over the trained variables; its gradient is `μ·(v − anchor)`. */
function proximalTerm(variables: readonly tf.Variable[], proximal: Proximal): tf.Scalar {
  const squares = variables.map((v, i) => tf.sum(tf.square(tf.sub(v, proximal.anchors[i]!))));
  return tf.mul(tf.addN(squares), proximal.mu / 2);
}

/** Mean categorical cross-entropy of softmax outputs, clipped as Keras does to avoid log(0). */
function crossEntropy(probs: tf.Tensor, labels: tf.Tensor1D, numOutputs: number): tf.Scalar {
  const clipped = tf.clipByValue(probs, EPSILON, 1 - EPSILON);
  const oneHot = tf.oneHot(labels, numOutputs);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(clipped)), -1))) as tf.Scalar;
}

function countCorrect(probs: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), labels), 'int32'));
}

function batchTensors(batch: Batch, io: ModelIo): { xs: tf.Tensor; labels: tf.Tensor1D } {
  return {
    xs: tf.tensor(batch.x, [batch.size, ...io.inputDims], 'float32'),
    labels: tf.tensor1d(batch.y, 'int32'),
  };
}

function gather(data: TrainingData, rowLength: number, indices: Int32Array): Batch {
  const x = new Float32Array(indices.length * rowLength);
  const y = new Int32Array(indices.length);
  indices.forEach((row, i) => {
    x.set(data.x.subarray(row * rowLength, (row + 1) * rowLength), i * rowLength);
    y[i] = data.y[row]!;
  });
  return { x, y, size: indices.length };
}

function validateOptions(options: TrainOptions): TrainOptions {
  const { epochs, batchSize, learningRate, seed } = options;
  if (!Number.isSafeInteger(epochs) || epochs < 1) throw badOption('epochs', epochs, 'a positive integer');
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw badOption('batchSize', batchSize, 'a positive integer');
  if (!Number.isFinite(learningRate) || learningRate <= 0)
    throw badOption('learningRate', learningRate, 'a positive number');
  if (!Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer');
  const { proximalMu } = options;
  if (proximalMu !== undefined && !(Number.isFinite(proximalMu) && proximalMu >= 0))
    throw badOption('proximalMu', proximalMu, 'a finite number ≥ 0');
  return options;
}

function badOption(name: string, value: unknown, expected: string): SiloError {
  return new SiloError('ERR_BAD_CONFIG', `training ${name} must be ${expected}, got ${String(value)}`);
}

function checkData(model: tf.LayersModel, data: TrainingData): ModelIo {
  const inputShape = model.inputs[0]?.shape ?? [];
  const outputShape = model.outputs[0]?.shape ?? [];
  const inputDims = inputShape.slice(1);
  const numOutputs = outputShape[outputShape.length - 1];
  if (
    model.inputs.length !== 1 ||
    model.outputs.length !== 1 ||
    inputDims.some((d) => d === null) ||
    !numOutputs
  ) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `model ${model.name} must have one input of known shape and one output`,
    );
  }
  const dims = inputDims as number[];
  const rowLength = dims.reduce((a, b) => a * b, 1);
  const dataRow = data.featureShape.reduce((a, b) => a * b, 1);
  if (dataRow !== rowLength || data.x.length !== data.size * rowLength || data.y.length !== data.size) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `data rows of ${dataRow} features (x: ${data.x.length} values, y: ${data.y.length} labels, size ${data.size}) ` +
        `do not fit model ${model.name}, which takes ${rowLength} features`,
    );
  }
  if (data.numClasses > numOutputs) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `data has ${data.numClasses} classes but model ${model.name} outputs ${numOutputs}`,
    );
  }
  if (data.size < 1) throw new SiloError('ERR_BAD_INPUT', 'no examples to train or evaluate on');
  const bad = data.y.findIndex((label) => label < 0 || label >= numOutputs);
  if (bad >= 0)
    throw new SiloError(
      'ERR_BAD_INPUT',
      `label ${data.y[bad]} of example ${bad} is outside 0..${numOutputs - 1}`,
    );
  return { inputDims: dims, rowLength, numOutputs };
}
