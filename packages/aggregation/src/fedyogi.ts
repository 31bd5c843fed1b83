import { adaptiveAggregate, adaptiveParams, type AdaptiveParams } from './adaptive.js';
import { configOf, type OptionsOf } from './config.js';
import type { StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy } from './strategy.js';
import { AT_LEAST_ONE } from './updates.js';

/**
 * FedYogi (Reddi et al., 2021): like FedAdam, but the second moment moves towards Δ² by
 * `(1 − β₂)·Δ²` each round, `v ← v − (1 − β₂)·Δ²·sign(v − Δ²)`, rather than by a fraction of
 * `v − Δ²`: when the deltas turn small, the effective step grows gradually instead of at once
 * (see `adaptiveStep`).
 *
 * State: `[m, v]`, from m = 0, v = τ² in round 1.
 */
export class FedYogi implements Strategy {
  readonly name = 'fedyogi';
  readonly stateful = true;
  readonly updateCount = AT_LEAST_ONE;
  /** η, β₁, β₂ and τ, defaults filled in. */
  readonly params: AdaptiveParams;

  /** @throws SiloError `ERR_BAD_CONFIG` for a parameter out of range. */
  constructor(options: OptionsOf<'fedyogi'> = {}) {
    this.params = adaptiveParams(configOf('fedyogi', options));
  }

  /**
   * @throws SiloError as `FedAvg.aggregate`, and `ERR_BAD_INPUT` for a state that is not a
   *   FedYogi state of this model or a result that overflows float32.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    return adaptiveAggregate(this.name, 'yogi', this.params, base, updates, state);
  }
}
