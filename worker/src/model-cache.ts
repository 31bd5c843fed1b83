import type * as tf from '@tensorflow/tfjs';
import { SiloError } from '@silo/common';
import { buildModel, modelSpecDigest, parseModelSpec } from '@silo/model';

/**
 * Compiled tfjs models by architecture, for one {@link Trainer} or for many in one process.
 *
 * Training borrows the model of its architecture through a FIFO queue, one task at a time, and
 * swaps its own weights in and out. Shared by the virtual workers of a simulation process, that
 * serialises their training, so they never compete for the CPU, and keeps one copy of each model
 * however many workers there are: memory grows with their data, not with models.
 *
 * Evaluation is synchronous and may run while a training task is paused at one of its yields to
 * the event loop, so it uses a second model of the architecture and never touches weights a
 * training task still holds.
 */
export class ModelCache {
  readonly #training = new Map<string, tf.LayersModel>();
  readonly #evaluation = new Map<string, tf.LayersModel>();
  /** Architecture key of each spec text seen, so a spec is parsed and digested once. */
  readonly #keys = new Map<string, string>();
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #disposed = false;

  /** Training tasks queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Runs `task` with the training model of `specJson` (built from `seed` on first use) once every
   * task queued before it has settled. The task has the model to itself until it settles.
   *
   * @throws SiloError `ERR_BAD_INPUT` for a spec that is not JSON, `ERR_BAD_CONFIG` for one that
   *   is not a model; whatever `task` throws.
   */
  train<T>(specJson: string, seed: number, task: (model: tf.LayersModel) => Promise<T>): Promise<T> {
    this.#pending += 1;
    const run = this.#queue
      .then(() => task(this.#model(this.#training, specJson, seed)))
      .finally(() => {
        this.#pending -= 1;
      });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The evaluation model of `specJson`, for synchronous use: load weights, evaluate, and let go of
   * it before the next `await`.
   */
  evaluationModel(specJson: string, seed: number): tf.LayersModel {
    return this.#model(this.#evaluation, specJson, seed);
  }

  /** Frees every model; later use fails. */
  dispose(): void {
    this.#disposed = true;
    for (const model of [...this.#training.values(), ...this.#evaluation.values()]) model.dispose();
    this.#training.clear();
    this.#evaluation.clear();
  }

  #model(models: Map<string, tf.LayersModel>, specJson: string, seed: number): tf.LayersModel {
    if (this.#disposed) throw new SiloError('ERR_INTERNAL', 'the model cache was disposed');
    const key = this.#key(specJson);
    let model = models.get(key);
    if (model === undefined) {
      model = buildModel(parseModelSpec(JSON.parse(specJson)), seed);
      models.set(key, model);
    }
    return model;
  }

  #key(specJson: string): string {
    let key = this.#keys.get(specJson);
    if (key !== undefined) return key;
    let raw: unknown;
    try {
      raw = JSON.parse(specJson);
    } catch (err) {
      throw new SiloError('ERR_BAD_INPUT', 'instruction carries a malformed model spec', { cause: err });
    }
    key = modelSpecDigest(parseModelSpec(raw));
    this.#keys.set(specJson, key);
    return key;
  }
}
