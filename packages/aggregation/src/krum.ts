import { configOf, type OptionsOf } from './config.js';
import { krumScores, lowestScores, pairwiseSquaredDistances } from './krum-scores.js';
import { refuseState, type StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy, UpdateCountRule } from './strategy.js';
import { prepareRound } from './updates.js';
import { applyDelta } from './weighted-mean.js';

/**
 * Krum (Blanchard et al., 2017, "Machine Learning with Adversaries: Byzantine Tolerant Gradient
 * Descent"): each update is scored by the sum of squared distances to its n − f − 2 nearest
 * neighbours, and the round applies the single update with the lowest score (ties to the
 * earlier key id). With at most f Byzantine updates among n > 2f + 2, the chosen one lies
 * close to a majority of honest ones.
 *
 * It costs n(n − 1)/2 · P multiply-adds for the distances, against n·P for FedAvg.
 */
export class Krum implements Strategy {
  readonly name = 'krum';
  readonly stateful = false;
  readonly updateCount: UpdateCountRule;
  /** f: Byzantine updates tolerated. */
  readonly f: number;

  /** @throws SiloError `ERR_BAD_CONFIG` for an `f` that is not a non-negative integer. */
  constructor(options: OptionsOf<'krum'>) {
    this.f = configOf('krum', options).f;
    this.updateCount = krumRule(this.f);
  }

  /**
   * @throws SiloError `ERR_BAD_INPUT` for n ≤ 2f + 2, a repeated key id, an example count that is
   *   not a positive integer, non-finite values, or a `state`; `ERR_SHAPE_MISMATCH` for a delta
   *   whose length differs from the base weights.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    refuseState(this.name, state);
    const { sorted, deltas, totalExamples } = prepareRound(this.name, this.updateCount, base, updates);
    const [best] = krumSelect(deltas, this.f, 1);
    const chosen = sorted[best as number] as ClientUpdate;
    return {
      weights: applyDelta(base, Float64Array.from(chosen.delta)),
      totalExamples,
      numUpdates: sorted.length,
      selected: [chosen.keyId],
    };
  }
}

/** Krum's n > 2f + 2, which Multi-Krum shares. */
export function krumRule(f: number): UpdateCountRule {
  return { min: 2 * f + 3, rule: `n > 2f + 2 with f = ${f}` };
}

/**
 * Positions (in `deltas`) of the `count` updates with the lowest Krum scores, in increasing
 * position order. Scores use the n − f − 2 nearest neighbours.
 */
export function krumSelect(deltas: readonly Float32Array[], f: number, count: number): number[] {
  const n = deltas.length;
  const distances = pairwiseSquaredDistances(deltas);
  const all = Array.from(deltas.keys());
  const scores = krumScores(distances, n, all, n - f - 2);
  return lowestScores(scores, count).sort((a, b) => a - b);
}
