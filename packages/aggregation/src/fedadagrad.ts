import { adaptiveAggregate, adaptiveParams, type AdaptiveParams } from './adaptive.js';
import { configOf, type OptionsOf } from './config.js';
import type { StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy } from './strategy.js';
import { AT_LEAST_ONE } from './updates.js';

/**
 * FedAdagrad (Reddi et al., 2021): the second moment sums every round's squared mean delta,
 * `v ← v + Δ²`, so the step of often-moved coordinates shrinks over the run (see
 * `adaptiveStep`). `beta2` is accepted for a uniform config and unused.
 *
 * State: `[m, v]`, from m = 0, v = τ² in round 1.
 */
export class FedAdagrad implements Strategy {
  readonly name = 'fedadagrad';
  readonly stateful = true;
  readonly updateCount = AT_LEAST_ONE;
  /** η, β₁, β₂ and τ, defaults filled in. */
  readonly params: AdaptiveParams;

  /** @throws SiloError `ERR_BAD_CONFIG` for a parameter out of range. */
  constructor(options: OptionsOf<'fedadagrad'> = {}) {
    this.params = adaptiveParams(configOf('fedadagrad', options));
  }

  /**
   * @throws SiloError as `FedAvg.aggregate`, and `ERR_BAD_INPUT` for a state that is not a
   *   FedAdagrad state of this model or a result that overflows float32.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    return adaptiveAggregate(this.name, 'adagrad', this.params, base, updates, state);
  }
}
