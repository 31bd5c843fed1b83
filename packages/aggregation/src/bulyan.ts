import { configOf, type OptionsOf } from './config.js';
import { krumScores, lowestScores, pairwiseSquaredDistances } from './krum-scores.js';
import { gather, nearestMedianMeanOf } from './order-statistics.js';
import { refuseState, type StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy, UpdateCountRule } from './strategy.js';
import { prepareRound } from './updates.js';

/**
 * Bulyan (El Mhamdi et al., 2018, "The Hidden Vulnerability of Distributed Learning in
 * Byzantium"), for n ≥ 4f + 3:
 *
 * 1. Select θ = n − 2f updates by Krum applied recursively: score the n' remaining updates by
 *    their max(1, n' − f − 2) nearest neighbours among them, move the best to the selection,
 *    repeat.
 * 2. For each coordinate, average the β = θ − 2f selected values nearest their median.
 *
 * Step 1 bounds how far a selected update can be from the honest ones in L2; step 2 bounds each
 * coordinate, which Krum alone does not. Averages are unweighted, in float64, in key-id order;
 * ties (equal scores, equal distances to the median) go to the earlier key id.
 */
export class Bulyan implements Strategy {
  readonly name = 'bulyan';
  readonly stateful = false;
  readonly updateCount: UpdateCountRule;
  /** f: Byzantine updates tolerated. */
  readonly f: number;

  /** @throws SiloError `ERR_BAD_CONFIG` for an `f` that is not a non-negative integer. */
  constructor(options: OptionsOf<'bulyan'>) {
    this.f = configOf('bulyan', options).f;
    this.updateCount = { min: 4 * this.f + 3, rule: `n ≥ 4f + 3 with f = ${this.f}` };
  }

  /**
   * @throws SiloError `ERR_BAD_INPUT` for n < 4f + 3, a repeated key id, an example count that is
   *   not a positive integer, non-finite values, or a `state`; `ERR_SHAPE_MISMATCH` for a delta
   *   whose length differs from the base weights.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    refuseState(this.name, state);
    const { sorted, deltas, totalExamples } = prepareRound(this.name, this.updateCount, base, updates);
    const chosen = recursiveKrum(deltas, this.f, deltas.length - 2 * this.f);
    const selectedDeltas = chosen.map((k) => deltas[k] as Float32Array);
    return {
      weights: nearestMedianMean(base, selectedDeltas, selectedDeltas.length - 2 * this.f),
      totalExamples,
      numUpdates: sorted.length,
      selected: chosen.map((k) => (sorted[k] as ClientUpdate).keyId),
    };
  }
}

/**
 * Bulyan's step 1: positions of `count` updates chosen one at a time by Krum over those not yet
 * chosen, returned in increasing position (key-id) order. The distances are computed once.
 */
export function recursiveKrum(deltas: readonly Float32Array[], f: number, count: number): number[] {
  const n = deltas.length;
  const distances = pairwiseSquaredDistances(deltas);
  const remaining = Array.from(deltas.keys());
  const chosen: number[] = [];
  while (chosen.length < count) {
    // n' − f − 2 falls below 1 in the last picks; with 0 neighbours every score would be 0 and
    // the pick would go to the first key id, which an attacker might hold. At least one
    // neighbour keeps each pick a matter of distance (as Flower does).
    const neighbours = Math.min(remaining.length - 1, Math.max(1, remaining.length - f - 2));
    const [best] = lowestScores(krumScores(distances, n, remaining, neighbours), 1);
    chosen.push(...remaining.splice(best as number, 1));
  }
  return chosen.sort((a, b) => a - b);
}

/**
 * Bulyan's step 2: `base` plus, per coordinate, the mean of the `keep` values of `deltas`
 * nearest their median, rounded to float32 once. `deltas` in key-id order.
 */
export function nearestMedianMean(
  base: Float32Array,
  deltas: readonly Float32Array[],
  keep: number,
): Float32Array {
  const n = deltas.length;
  const values = new Float64Array(n);
  const work = new Float64Array(n);
  const distances = new Float64Array(n);
  const out = new Float32Array(base.length);
  for (let i = 0; i < out.length; i++) {
    gather(deltas, i, values);
    out[i] = (base[i] as number) + nearestMedianMeanOf(values, n, keep, work, distances);
  }
  return out;
}
