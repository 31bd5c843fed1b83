import type * as tf from '@tensorflow/tfjs';
import { loadMnist, type Dataset } from '@silo/data';
import {
  buildModel,
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

/** The initial global model of a run. */
export interface InitialModel {
  weights: Float32Array;
  layout: Layout;
  specDigest: string;
}

/** Builds the initial weights of a run's model from its seed. */
export function initialModel(config: RunConfig): InitialModel {
  const spec = parseModelSpec(config.model);
  const model = buildModel(spec, config.seed);
  try {
    return { weights: getFlatWeights(model), layout: modelLayout(model), specDigest: modelSpecDigest(spec) };
  } finally {
    model.dispose();
  }
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
