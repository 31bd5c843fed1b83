import type * as tf from '@tensorflow/tfjs';
import { loadMnist, type Dataset } from '@silo/data';
import { SiloError } from '@silo/common';
import { sha256Hex, toCanonicalBytes } from '@silo/tensors';
import {
  buildModel,
  loadExportedModel,
  evaluate,
  getFlatWeights,
  modelLayout,
  modelSpecDigest,
  parseModelSpec,
  setFlatWeights,
} from '@silo/model';
import type { Layout } from '@silo/tensors';
import type { RunConfig } from './config.js';
import type { RunRecord } from './state.js';

/** Evaluates a global model on the model team's held-out data. */
export interface Evaluator {
  evaluate(run: RunRecord, weights: Float32Array): Promise<{ loss: number; accuracy: number }>;
}

/** The initial global model of a run, and its config as stored (a pretrained model resolved). */
export interface InitialModel {
  weights: Float32Array;
  layout: Layout;
  specDigest: string;
  config: RunConfig;
}

/**
 * The initial model of a run: seeded weights of a built-in or topology model, or the weights of
 * a pretrained model directory, whose config entry becomes its topology (what workers build)
 * with `pretrained` recording the directory and the weights' digest. `freeze` must name layers
 * of the model and leave at least one trainable.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a freeze list that does not fit the model; the loader's
 *   errors for a pretrained directory.
 */
export async function initialModel(config: RunConfig): Promise<InitialModel> {
  const source = config.model;
  const pretrained =
    typeof source === 'object' && source.kind === 'pretrained'
      ? await loadExportedModel(source.path)
      : undefined;
  let resolved = config;
  let model: tf.LayersModel;
  if (pretrained !== undefined && typeof source === 'object' && source.kind === 'pretrained') {
    model = pretrained;
    const topology = model.toJSON(null, false) as Record<string, unknown>;
    const weights = getFlatWeights(model);
    resolved = {
      ...config,
      model: { kind: 'topology', topology },
      pretrained: { path: source.path, checkpoint: sha256Hex(toCanonicalBytes(weights)) },
    };
  } else {
    model = buildModel(parseModelSpec(config.model), config.seed);
  }
  try {
    checkFreeze(model, config.freeze);
    return {
      weights: getFlatWeights(model),
      layout: modelLayout(model),
      specDigest: modelSpecDigest(parseModelSpec(resolved.model)),
      config: resolved,
    };
  } finally {
    model.dispose();
  }
}

function checkFreeze(model: tf.LayersModel, freeze: readonly string[] | undefined): void {
  if (freeze === undefined) return;
  const names = model.layers.map((layer) => layer.name);
  const unknown = freeze.filter((name) => !names.includes(name));
  if (unknown.length > 0)
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `freeze names ${unknown.join(', ')}, not layers of the model (${names.join(', ')})`,
    );
  const trainable = model.layers.filter((layer) => layer.weights.length > 0 && !freeze.includes(layer.name));
  if (trainable.length === 0)
    throw new SiloError('ERR_BAD_CONFIG', 'freeze leaves no layer with weights to train');
}

/** Evaluates with tfjs on the held-out MNIST digits; models and data are built once and reused. */
export class TfjsEvaluator implements Evaluator {
  readonly #models = new Map<string, tf.LayersModel>();
  readonly #data = new Map<string, Dataset>();

  evaluate(run: RunRecord, weights: Float32Array): Promise<{ loss: number; accuracy: number }> {
    const evaluation = run.config.evaluation;
    if (evaluation === undefined) return Promise.reject(new Error('run has no evaluation set'));
    const dataKey = `${evaluation.seed}:${evaluation.trainSize}:${evaluation.size}`;
    let data = this.#data.get(dataKey);
    if (data === undefined) {
      data = loadMnist({
        trainSize: evaluation.trainSize,
        testSize: evaluation.size,
        seed: evaluation.seed,
      }).test;
      this.#data.set(dataKey, data);
    }
    // One compiled model per architecture: the weights are swapped in for every evaluation.
    let model = this.#models.get(run.specDigest);
    if (model === undefined) {
      model = buildModel(parseModelSpec(run.config.model), run.config.seed);
      this.#models.set(run.specDigest, model);
    }
    setFlatWeights(model, weights);
    return Promise.resolve(evaluate(model, data));
  }

  /** Frees the tensors of every cached model. */
  dispose(): void {
    for (const model of this.#models.values()) model.dispose();
    this.#models.clear();
  }
}
