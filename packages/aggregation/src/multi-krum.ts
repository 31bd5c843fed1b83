import { configOf, type OptionsOf } from './config.js';
import { krumRule, krumSelect } from './krum.js';
import { refuseState, type StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy, UpdateCountRule } from './strategy.js';
import { meanOf, prepareRound } from './updates.js';
import { applyDelta } from './weighted-mean.js';

/**
 * Multi-Krum (Blanchard et al., 2017): the m updates with the lowest Krum scores (n − f − 2
 * nearest neighbours, scored once over all n) are averaged, unweighted, in float64 in key-id
 * order. m defaults to n − f, every update but as many as may be Byzantine; m = 1 is Krum.
 * Example counts are ignored, so a selected update cannot buy weight by claiming many examples.
 */
export class MultiKrum implements Strategy {
  readonly name = 'multi-krum';
  readonly stateful = false;
  readonly updateCount: UpdateCountRule;
  /** f: Byzantine updates tolerated. */
  readonly f: number;
  /** m: updates averaged; `undefined` for n − f. */
  readonly m: number | undefined;

  /** @throws SiloError `ERR_BAD_CONFIG` for an `f` or `m` out of range. */
  constructor(options: OptionsOf<'multi-krum'>) {
    const config = configOf('multi-krum', options);
    this.f = config.f;
    this.m = config.m;
    const krum = krumRule(this.f);
    this.updateCount =
      this.m === undefined || this.m <= krum.min
        ? krum
        : { min: this.m, rule: `${krum.rule}, and n ≥ m = ${this.m}` };
  }

  /**
   * @throws SiloError `ERR_BAD_INPUT` for n ≤ 2f + 2 or n < m, a repeated key id, an example
   *   count that is not a positive integer, non-finite values, or a `state`;
   *   `ERR_SHAPE_MISMATCH` for a delta whose length differs from the base weights.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    refuseState(this.name, state);
    const { sorted, deltas, totalExamples } = prepareRound(this.name, this.updateCount, base, updates);
    const chosen = krumSelect(deltas, this.f, this.m ?? deltas.length - this.f);
    const mean = meanOf(
      chosen.map((k) => deltas[k] as Float32Array),
      base.length,
    );
    return {
      weights: applyDelta(base, mean),
      totalExamples,
      numUpdates: sorted.length,
      selected: chosen.map((k) => (sorted[k] as ClientUpdate).keyId),
    };
  }
}
