import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SiloError, createRng } from '@silo/common';
import type { TrainingData } from '@silo/model';
import type { Layout } from '@silo/tensors';
import type { Attack } from './attack.js';
import type { ModelCache } from './model-cache.js';
import { Trainer, type LocalTraining, type TrainedDelta } from './trainer.js';

/**
 * SIMULATION ONLY: how simulated workers differ from one another beyond their data. Every draw is
 * seeded, so a simulation with the same seed has the same stragglers and the same dropouts.
 */
export interface Heterogeneity {
  /** Seed of every draw. */
  seed: number;
  /**
   * Speed factors are drawn log-uniformly from [1, 1 + `speedSpread`]: a worker with factor f
   * waits (f − 1) × its training time after training, as a device f times slower would. 0: all
   * equally fast.
   */
  speedSpread: number;
  /** Probability that a worker given a round drops out of it, sending nothing. */
  dropout: number;
}

/** Equal workers: no stragglers, no dropouts. */
export const NO_HETEROGENEITY: Heterogeneity = { seed: 0, speedSpread: 0, dropout: 0 };

/** The code of the error a simulated dropout fails its round with. */
export const SIMULATED_DROPOUT_CODE = 'ERR_CANCELLED';

/** A generator seeded by `(seed, what, index)`, independent of every other worker's. */
function workerRng(seed: number, what: string, index: number): () => number {
  const digest = createHash('sha256').update(`${seed}|${what}|${index}`).digest();
  return createRng(digest.readUInt32LE(0));
}

/**
 * The speed factor of simulated worker `index`: log-uniform in [1, 1 + spread], so half the
 * workers are within a factor √(1 + spread) of the fastest.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a negative or non-finite spread.
 */
export function speedFactor(heterogeneity: Heterogeneity, index: number): number {
  const { speedSpread } = heterogeneity;
  if (!(Number.isFinite(speedSpread) && speedSpread >= 0))
    throw new SiloError('ERR_BAD_CONFIG', `the speed spread must be a number ≥ 0, got ${speedSpread}`);
  if (speedSpread === 0) return 1;
  return Math.pow(1 + speedSpread, workerRng(heterogeneity.seed, 'speed', index)());
}

/** Events of a {@link SimulatedTrainer}, for the host's progress counters. */
export interface SimulatedTrainerEvents {
  /** A round was given to this worker (it fetched the model and is about to train). */
  started?(): void;
  /** The worker dropped out of the round it was given. */
  dropped?(): void;
  /** Training finished, after `trainingMs`; a straggler then waits `extraMs` more. */
  trained?(trainingMs: number, extraMs: number): void;
}

/** Options of {@link SimulatedTrainer}. */
export interface SimulatedTrainerOptions {
  data: TrainingData;
  heldOut?: TrainingData | undefined;
  /** The process's shared models; see {@link ModelCache}. */
  models: ModelCache;
  /** The worker's position among all simulated workers, which seeds its draws. */
  index: number;
  heterogeneity: Heterogeneity;
  events?: SimulatedTrainerEvents;
}

/**
 * SIMULATION ONLY: a {@link Trainer} that behaves like a device of its own. Given a round, it
 * drops out with the configured probability (the round fails with {@link SIMULATED_DROPOUT_CODE}
 * before training, so the worker sends nothing and the coordinator's deadline and quorum rules
 * decide), and after training a slow device waits (factor − 1) × its training time outside the
 * shared model's queue, so stragglers delay their own updates and nobody else's training.
 */
export class SimulatedTrainer extends Trainer {
  /** The worker's speed factor, ≥ 1. */
  readonly speedFactor: number;
  readonly #dropout: number;
  readonly #draws: () => number;
  readonly #events: SimulatedTrainerEvents;

  constructor(options: SimulatedTrainerOptions) {
    super(options.data, options.heldOut, options.models);
    const { heterogeneity, index } = options;
    if (!(heterogeneity.dropout >= 0 && heterogeneity.dropout < 1))
      throw new SiloError('ERR_BAD_CONFIG', `dropout must be in [0, 1), got ${heterogeneity.dropout}`);
    this.speedFactor = speedFactor(heterogeneity, index);
    this.#dropout = heterogeneity.dropout;
    this.#draws = workerRng(heterogeneity.seed, 'dropout', index);
    this.#events = options.events ?? {};
  }

  override async train(
    base: Float32Array,
    layout: Layout,
    options: LocalTraining,
    attack?: Attack,
  ): Promise<TrainedDelta> {
    this.#events.started?.();
    // One draw per round given, in the order rounds come: the same seed drops the same rounds.
    if (this.#draws() < this.#dropout) {
      this.#events.dropped?.();
      throw new SiloError(SIMULATED_DROPOUT_CODE, 'simulated dropout: this worker skips the round');
    }
    const trained = await super.train(base, layout, options, attack);
    const extraMs = (this.speedFactor - 1) * trained.trainingMs;
    this.#events.trained?.(trained.trainingMs, extraMs);
    if (extraMs > 0) await sleep(extraMs);
    return trained;
  }
}
