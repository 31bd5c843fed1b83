import { adaptiveAggregate, adaptiveParams, type AdaptiveParams } from './adaptive.js';
import { configOf, type OptionsOf } from './config.js';
import type { StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy } from './strategy.js';
import { AT_LEAST_ONE } from './updates.js';

/**
 * FedAdam (Reddi et al., 2021): the server treats FedAvg's mean delta as a pseudo-gradient and
 * applies Adam to it: `v ← β₂·v + (1 − β₂)·Δ²`, `w ← w + η·m / (√v + τ)` (see `adaptiveStep`).
 *
 * State: `[m, v]`, from m = 0, v = τ² in round 1.
 */
export class FedAdam implements Strategy {
  readonly name = 'fedadam';
  readonly stateful = true;
  readonly updateCount = AT_LEAST_ONE;
  /** η, β₁, β₂ and τ, defaults filled in. */
  readonly params: AdaptiveParams;

  /** @throws SiloError `ERR_BAD_CONFIG` for a parameter out of range. */
  constructor(options: OptionsOf<'fedadam'> = {}) {
    this.params = adaptiveParams(configOf('fedadam', options));
  }

  /**
   * @throws SiloError as `FedAvg.aggregate`, and `ERR_BAD_INPUT` for a state that is not a
   *   FedAdam state of this model or a result that overflows float32.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    return adaptiveAggregate(this.name, 'adam', this.params, base, updates, state);
  }
}
