import { refuseState, type StrategyState } from './state.js';
import { gather, medianOf } from './order-statistics.js';
import type { AggregateResult, ClientUpdate, Strategy } from './strategy.js';
import { AT_LEAST_ONE, prepareRound } from './updates.js';

/**
 * Coordinate-wise median (Yin et al., 2018, "Byzantine-Robust Distributed Learning"): each
 * weight moves by the median of the updates' deltas for that weight (the mean of the two middle
 * ones for an even count). Fewer than half the updates, however far off, cannot move a
 * coordinate beyond the range of the honest ones.
 *
 * Example counts are ignored: a worker could claim any count, and a robust rule must not let
 * it buy weight. Scratch memory is two arrays of n values; there is no copy of the deltas.
 */
export class CoordinateMedian implements Strategy {
  readonly name = 'median';
  readonly stateful = false;
  readonly updateCount = AT_LEAST_ONE;

  /**
   * @throws SiloError `ERR_BAD_INPUT` for no updates, a repeated key id, an example count that is
   *   not a positive integer, non-finite values, or a `state`; `ERR_SHAPE_MISMATCH` for a delta
   *   whose length differs from the base weights.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    refuseState(this.name, state);
    const { deltas, totalExamples } = prepareRound(this.name, this.updateCount, base, updates);
    return { weights: coordinateMedian(base, deltas), totalExamples, numUpdates: deltas.length };
  }
}

/** `base + median(δ)` per coordinate, rounded to float32 once. `deltas` in key-id order. */
export function coordinateMedian(base: Float32Array, deltas: readonly Float32Array[]): Float32Array {
  const n = deltas.length;
  const work = new Float64Array(n);
  const out = new Float32Array(base.length);
  for (let i = 0; i < out.length; i++) {
    gather(deltas, i, work);
    out[i] = (base[i] as number) + medianOf(work, n);
  }
  return out;
}
