import {
  evaluate,
  getFlatWeights,
  setFlatWeights,
  trainLocal,
  type TrainResult,
  type TrainingData,
} from '@silo/model';
import { SiloError } from '@silo/common';
import { layoutSize, subtract, type Layout } from '@silo/tensors';
import { flipLabels, type Attack } from './attack.js';
import { ModelCache } from './model-cache.js';

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

/** What {@link Trainer.train} returns. */
export interface TrainedDelta {
  /** Local weights minus the base. */
  delta: Float32Array;
  result: TrainResult;
  /** Wall time of the training itself, without any wait for a shared model. */
  trainingMs: number;
}

/**
 * Trains the owner's model locally; one compiled model per spec, weights swapped in each round.
 * Trainers given one {@link ModelCache} share its models and train one at a time.
 */
export class Trainer {
  readonly #models: ModelCache;
  /** Whether {@link dispose} frees the models: only when they are this trainer's own. */
  readonly #ownsModels: boolean;
  readonly #data: TrainingData;
  readonly #heldOut: TrainingData | undefined;
  /** The data with flipped labels, made on the first `label-flip` round. */
  #flipped: TrainingData | undefined;

  /**
   * @param heldOut - examples kept out of training, for federated evaluation.
   * @param models - compiled models shared with other trainers in this process (a simulation's
   *   virtual workers); default: models of this trainer's own, freed by {@link dispose}.
   */
  constructor(data: TrainingData, heldOut?: TrainingData, models?: ModelCache) {
    this.#data = data;
    this.#heldOut = heldOut;
    this.#models = models ?? new ModelCache();
    this.#ownsModels = models === undefined;
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
    const model = this.#models.evaluationModel(modelSpecJson, 0);
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
  ): Promise<TrainedDelta> {
    if (layoutSize(layout) !== base.length) {
      throw new SiloError('ERR_SHAPE_MISMATCH', 'global model layout does not match its bytes');
    }
    const data = attack?.kind === 'label-flip' ? (this.#flipped ??= flipLabels(this.#data)) : this.#data;
    // The model is the cache's: everything that sets it up happens inside the task that holds it.
    return this.#models.train(options.modelSpecJson, options.seed, async (model) => {
      const started = performance.now();
      setFlatWeights(model, base);
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
      const local = getFlatWeights(model);
      const delta = subtract(local, base, local);
      return { delta, result, trainingMs: performance.now() - started };
    });
  }

  /** Frees the models, unless they are shared (their owner frees them). */
  dispose(): void {
    if (this.#ownsModels) this.#models.dispose();
  }
}
