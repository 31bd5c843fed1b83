import { configOf, type OptionsOf } from './config.js';
import { gather, trimmedMeanOf } from './order-statistics.js';
import { refuseState, type StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy, UpdateCountRule } from './strategy.js';
import { prepareRound } from './updates.js';

/**
 * Coordinate-wise trimmed mean (Yin et al., 2018): for each weight, the ⌊β·n⌋ largest and
 * ⌊β·n⌋ smallest deltas are dropped and the rest averaged, unweighted, in float64 in a fixed
 * order (see `trimmedMeanOf`). Up to ⌊β·n⌋ poisoned updates cannot move a coordinate beyond the
 * honest range.
 *
 * A β > 0 that trims nothing from a round (⌊β·n⌋ = 0) is refused: the run would believe itself
 * protected and average everything. β = 0 is an explicit plain unweighted mean.
 */
export class TrimmedMean implements Strategy {
  readonly name = 'trimmed-mean';
  readonly stateful = false;
  readonly updateCount: UpdateCountRule;
  /** β: fraction of the updates trimmed from each end, in [0, 0.5). */
  readonly beta: number;

  /** @throws SiloError `ERR_BAD_CONFIG` for a β outside [0, 0.5). */
  constructor(options: OptionsOf<'trimmed-mean'> = {}) {
    this.beta = configOf('trimmed-mean', options).beta;
    this.updateCount = trimmedMeanRule(this.beta);
  }

  /** Updates trimmed from each end of a round of `n`. */
  trimCount(n: number): number {
    return Math.floor(this.beta * n);
  }

  /**
   * @throws SiloError `ERR_BAD_INPUT` for too few updates to trim one from each end (β > 0), a
   *   repeated key id, an example count that is not a positive integer, non-finite values, or a
   *   `state`; `ERR_SHAPE_MISMATCH` for a delta whose length differs from the base weights.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    refuseState(this.name, state);
    const { deltas, totalExamples } = prepareRound(this.name, this.updateCount, base, updates);
    const weights = coordinateTrimmedMean(base, deltas, this.trimCount(deltas.length));
    return { weights, totalExamples, numUpdates: deltas.length };
  }
}

/**
 * `base + trimmed mean(δ)` per coordinate with `trim` values dropped from each end, rounded to
 * float32 once. `deltas` in key-id order; `trim` < n / 2.
 */
export function coordinateTrimmedMean(
  base: Float32Array,
  deltas: readonly Float32Array[],
  trim: number,
): Float32Array {
  const n = deltas.length;
  const values = new Float64Array(n);
  const work = new Float64Array(n);
  const out = new Float32Array(base.length);
  for (let i = 0; i < out.length; i++) {
    gather(deltas, i, values);
    out[i] = (base[i] as number) + trimmedMeanOf(values, n, trim, work);
  }
  return out;
}

/** The smallest round a trimmed mean with `beta` trims at least one update from each end of. */
function trimmedMeanRule(beta: number): UpdateCountRule {
  if (beta === 0) return { min: 1, rule: 'at least one update' };
  let min = Math.max(1, Math.floor(1 / beta) - 1);
  while (Math.floor(beta * min) < 1) min++;
  return { min, rule: `⌊β·n⌋ ≥ 1 with β = ${beta}, to trim at least one update from each end` };
}
