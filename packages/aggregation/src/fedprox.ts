import { SiloError } from '@silo/common';
import { configOf, type OptionsOf } from './config.js';
import { averagedWeights } from './fedavg.js';
import { refuseState, type StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy } from './strategy.js';
import { AT_LEAST_ONE } from './updates.js';

/**
 * FedProx (Li et al., 2020, "Federated Optimization in Heterogeneous Networks"). The server
 * side is FedAvg, bit for bit. What differs is the workers' local objective: each worker
 * minimises its loss plus the proximal term `(μ/2)·‖w − w_base‖²` ({@link proximalTerm}), whose
 * gradient `μ·(w − w_base)` ({@link proximalGradient}) pulls local training back towards the
 * round's base weights, so that workers with very different data drift less. The worker reads
 * `mu` from the run's strategy config; μ = 0 is plain FedAvg training.
 */
export class FedProx implements Strategy {
  readonly name = 'fedprox';
  readonly stateful = false;
  readonly updateCount = AT_LEAST_ONE;
  /** μ: weight of the proximal term in the workers' local loss. */
  readonly mu: number;

  /** @throws SiloError `ERR_BAD_CONFIG` for a negative `mu`. */
  constructor(options: OptionsOf<'fedprox'> = {}) {
    this.mu = configOf('fedprox', options).mu;
  }

  /** FedAvg's aggregate. @throws SiloError as `FedAvg.aggregate`. */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    refuseState(this.name, state);
    return averagedWeights(this.name, base, updates);
  }
}

/**
 * The proximal term `(μ/2)·‖weights − base‖²` a FedProx worker adds to its local loss, summed in
 * float64.
 *
 * @throws SiloError `ERR_SHAPE_MISMATCH` when the lengths differ; `ERR_BAD_INPUT` for a `mu` that
 *   is negative or not finite.
 */
export function proximalTerm(weights: Float32Array, base: Float32Array, mu: number): number {
  checkProximal(weights, base, mu);
  let sumOfSquares = 0;
  for (let i = 0; i < weights.length; i++) {
    const d = (weights[i] as number) - (base[i] as number);
    sumOfSquares += d * d;
  }
  return (mu / 2) * sumOfSquares;
}

/**
 * The gradient of {@link proximalTerm} with respect to `weights`, `μ·(weights − base)`: what a
 * FedProx worker adds to each step's loss gradient.
 *
 * @throws SiloError as {@link proximalTerm}.
 */
export function proximalGradient(weights: Float32Array, base: Float32Array, mu: number): Float32Array {
  checkProximal(weights, base, mu);
  const out = new Float32Array(weights.length);
  for (let i = 0; i < out.length; i++) out[i] = mu * ((weights[i] as number) - (base[i] as number));
  return out;
}

function checkProximal(weights: Float32Array, base: Float32Array, mu: number): void {
  if (weights.length !== base.length) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `weights have ${weights.length} values; base weights have ${base.length}`,
    );
  }
  if (!Number.isFinite(mu) || mu < 0) {
    throw new SiloError('ERR_BAD_INPUT', `mu must be a non-negative finite number, got ${mu}`);
  }
}
