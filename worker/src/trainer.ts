import type * as tf from '@tensorflow/tfjs';
import {
  buildModel,
  evaluate,
  getFlatWeights,
  modelSpecDigest,
  parseModelSpec,
  setFlatWeights,
  trainLocal,
  type TrainResult,
  type TrainingData,
} from '@silo/model';
import { SiloError } from '@silo/common';
import { layoutSize, subtract, type Layout } from '@silo/tensors';
import { flipLabels, type Attack } from './attack.js';

/** Hyper-parameters of one local training step, from a signed instruction. */
export interface LocalTraining {
  modelSpecJson: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** FedProx's μ; absent or 0 for plain local SGD. */
  proximalMu?: number | undefined;
  /** Layers whose weights stay as they are (fine-tuning). */
  freeze?: readonly string[] | undefined;
}

/** Trains the owner's model locally; one compiled model per spec, weights swapped in each round. */
export class Trainer {
  readonly #models = new Map<string, tf.LayersModel>();
  readonly #data: TrainingData;
  readonly #heldOut: TrainingData | undefined;
  /** The data with flipped labels, made on the first `label-flip` round. */
  #flipped: TrainingData | undefined;

  /** @param heldOut - examples kept out of training, for federated evaluation. */
  constructor(data: TrainingData, heldOut?: TrainingData) {
    this.#data = data;
    this.#heldOut = heldOut;
  }

  /** Number of local examples trained on. */
  get numExamples(): number {
    return this.#data.size;
  }

  /** Number of held-out examples, 0 when the owner holds none out. */
  get numHeldOut(): number {
    return this.#heldOut?.size ?? 0;
  }

  /**
   * Loss and accuracy of the weights `weights` on the held-out examples, which training never
   * sees.
   *
   * @throws SiloError `ERR_POLICY` when the owner holds no examples out.
   */
  evaluate(
    weights: Float32Array,
    layout: Layout,
    modelSpecJson: string,
  ): { loss: number; accuracy: number; numExamples: number } {
    if (this.#heldOut === undefined)
      throw new SiloError('ERR_POLICY', 'this worker holds no examples out for evaluation (set holdout)');
    const model = this.#model(modelSpecJson, 0);
    if (layoutSize(layout) !== weights.length) {
      throw new SiloError('ERR_SHAPE_MISMATCH', 'global model layout does not match its bytes');
    }
    setFlatWeights(model, weights);
    return { ...evaluate(model, this.#heldOut), numExamples: this.#heldOut.size };
  }

  /**
   * Trains from `base` and returns the delta (local − base) with the training metrics. A
   * `label-flip` attack (simulation only, see {@link Attack}) trains on flipped labels; other
   * attacks act on the delta and are the caller's to apply.
   */
  async train(
    base: Float32Array,
    layout: Layout,
    options: LocalTraining,
    attack?: Attack,
  ): Promise<{ delta: Float32Array; result: TrainResult }> {
    const model = this.#model(options.modelSpecJson, options.seed);
    if (layoutSize(layout) !== base.length) {
      throw new SiloError('ERR_SHAPE_MISMATCH', 'global model layout does not match its bytes');
    }
    setFlatWeights(model, base);
    const data = attack?.kind === 'label-flip' ? (this.#flipped ??= flipLabels(this.#data)) : this.#data;
    // Frozen layers only while training: TensorFlow.js lists a model's weights trainable ones
    // first, so the flat layout holds only while every layer is trainable.
    const frozen = new Set(options.freeze ?? []);
    for (const layer of model.layers) layer.trainable = !frozen.has(layer.name);
    let result: TrainResult;
    try {
      result = await trainLocal(model, data, {
        epochs: options.epochs,
        batchSize: options.batchSize,
        learningRate: options.learningRate,
        seed: options.seed,
        ...(options.proximalMu === undefined ? {} : { proximalMu: options.proximalMu }),
      });
    } finally {
      for (const layer of model.layers) layer.trainable = true;
    }
    return { delta: subtract(getFlatWeights(model), base), result };
  }

  #model(specJson: string, seed: number): tf.LayersModel {
    let raw: unknown;
    try {
      raw = JSON.parse(specJson);
    } catch (err) {
      throw new SiloError('ERR_BAD_INPUT', 'instruction carries a malformed model spec', { cause: err });
    }
    const spec = parseModelSpec(raw);
    const key = modelSpecDigest(spec);
    let model = this.#models.get(key);
    if (model === undefined) {
      model = buildModel(spec, seed);
      this.#models.set(key, model);
    }
    return model;
  }

  dispose(): void {
    for (const model of this.#models.values()) model.dispose();
    this.#models.clear();
  }
}
