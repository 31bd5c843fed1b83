import { SiloError } from '@silo/common';
import { FedAvg } from './fedavg.js';

/** One worker's contribution to a round. */
export interface ClientUpdate {
  /** Key id of the worker that signed the update; unique within a round. */
  keyId: string;
  /** Examples the worker trained on; the update's weight in the average. */
  numExamples: number;
  /** Local weights minus the round's base weights. */
  delta: Float32Array;
}

/** The new global model and what went into it. */
export interface AggregateResult {
  weights: Float32Array;
  totalExamples: number;
  numUpdates: number;
}

/** A rule that turns a round's base weights and updates into the next global weights. */
export interface Strategy {
  /** Stable name, as written in config and in the ledger. */
  readonly name: string;
  /**
   * Must be deterministic and independent of the order of `updates`, because auditors
   * recompute every aggregate from the ledger and compare digests.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[]): AggregateResult;
}

/** Which strategy a run uses, from its config. */
export type StrategyConfig = { name: 'fedavg' };

/**
 * The strategy named in a run's config.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for an unknown name (configs are parsed from files, so
 *   the type alone does not guarantee it).
 */
export function createStrategy(config: StrategyConfig): Strategy {
  switch (config.name) {
    case 'fedavg':
      return new FedAvg();
    default: {
      const name: unknown = (config as { name?: unknown }).name;
      throw new SiloError('ERR_BAD_CONFIG', `unknown aggregation strategy '${String(name)}'; known: fedavg`);
    }
  }
}
