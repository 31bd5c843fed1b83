import { SiloError } from '@silo/common';
import { Bulyan } from './bulyan.js';
import { NormClipping } from './clipping.js';
import { parseStrategyConfig, type StrategyConfig, type StrategyConfigInput } from './config.js';
import { FedAdagrad } from './fedadagrad.js';
import { FedAdam } from './fedadam.js';
import { FedAvg } from './fedavg.js';
import { FedAvgM } from './fedavgm.js';
import { FedProx } from './fedprox.js';
import { FedYogi } from './fedyogi.js';
import { Krum } from './krum.js';
import { CoordinateMedian } from './median.js';
import { MultiKrum } from './multi-krum.js';
import type { StrategyState } from './state.js';
import { TrimmedMean } from './trimmed-mean.js';
import { checkUpdateCount } from './updates.js';

export type { StrategyConfig, StrategyConfigInput } from './config.js';

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
  /**
   * Σ numExamples over every update of the round, including those a robust rule left out (it
   * weights the round's reported metrics, and the ledger records it).
   */
  totalExamples: number;
  /** Updates in the round. */
  numUpdates: number;
  /** Key ids of the updates a selecting rule (Krum, Multi-Krum, Bulyan) kept, in key-id order. */
  selected?: readonly string[];
  /**
   * The server state after this round, from a stateful strategy: pass it to the next round's
   * `aggregate` (store it with {@link encodeState}). Absent for stateless strategies.
   */
  state?: StrategyState;
}

/** The fewest updates a strategy can aggregate in one round, and the rule that sets it. */
export interface UpdateCountRule {
  readonly min: number;
  /** The rule in words, for messages: `'n > 2f + 2 with f = 2'`. */
  readonly rule: string;
}

/** A rule that turns a round's base weights and updates into the next global weights. */
export interface Strategy {
  /** Stable name, as written in config and in the ledger. */
  readonly name: string;
  /** True when `aggregate` returns a state that the next round must be given. */
  readonly stateful: boolean;
  /** How many updates one round needs, e.g. Krum's n > 2f + 2. */
  readonly updateCount: UpdateCountRule;
  /**
   * Must be deterministic and independent of the order of `updates`, because auditors
   * recompute every aggregate from the ledger and compare digests.
   *
   * @param state - for a stateful strategy, the `state` of the previous round's result;
   *   `undefined` in round 1. A stateless strategy refuses one.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult;
}

/**
 * The strategy a run's config names, wrapped in {@link NormClipping} when the config sets
 * `clipNorm`. The config is validated here and its defaults filled in, because configs come
 * from files and ledger records, where the type alone guarantees nothing.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for an unknown name (listing the known ones) or a bad
 *   parameter.
 */
export function createStrategy(config: StrategyConfigInput): Strategy {
  const parsed = parseStrategyConfig(config);
  const strategy = build(parsed);
  return parsed.clipNorm === undefined ? strategy : new NormClipping(strategy, parsed.clipNorm);
}

/**
 * Checks, before a run starts, that its strategy can aggregate rounds of `n` updates (Krum needs
 * n > 2f + 2, Bulyan n ≥ 4f + 3, a trimmed mean must trim something); the coordinator checks its
 * quorum with it. Rounds with more updates than the quorum are then fine too: every rule is a
 * minimum.
 *
 * @throws SiloError `ERR_BAD_CONFIG` saying why `n` is too few, or for a bad config;
 *   `ERR_BAD_INPUT` when `n` is not a non-negative integer.
 */
export function validateForRound(config: StrategyConfigInput, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new SiloError('ERR_BAD_INPUT', `an update count must be a non-negative integer, got ${n}`);
  }
  const strategy = createStrategy(config);
  checkUpdateCount(strategy.name, strategy.updateCount, n, 'ERR_BAD_CONFIG');
}

function build(config: StrategyConfig): Strategy {
  switch (config.name) {
    case 'fedavg':
      return new FedAvg();
    case 'fedavgm':
      return new FedAvgM(config);
    case 'fedprox':
      return new FedProx(config);
    case 'fedadam':
      return new FedAdam(config);
    case 'fedyogi':
      return new FedYogi(config);
    case 'fedadagrad':
      return new FedAdagrad(config);
    case 'median':
      return new CoordinateMedian();
    case 'trimmed-mean':
      return new TrimmedMean(config);
    case 'krum':
      return new Krum(config);
    case 'multi-krum':
      return new MultiKrum(config);
    case 'bulyan':
      return new Bulyan(config);
  }
}
