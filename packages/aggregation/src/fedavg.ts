import { SiloError } from '@silo/common';
import { assertFinite } from '@silo/tensors';
import { refuseState, type StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy } from './strategy.js';
import { AT_LEAST_ONE, checkUpdate, sortedByKeyId } from './updates.js';
import { applyDelta, weightedSum } from './weighted-mean.js';

/**
 * Federated averaging (McMahan et al., 2017): the new weights are
 * `base + Σ nᵢ·δᵢ / Σ nᵢ`, where `nᵢ` is worker i's example count and `δᵢ` its delta.
 *
 * Sums run in float64 and updates are added in key-id order: floating-point addition is not
 * associative, so a fixed order is what makes the result bit-identical however the updates
 * arrived, and lets an auditor reproduce the published digest.
 */
export class FedAvg implements Strategy {
  /** Name used in config and the ledger. */
  readonly name = 'fedavg';
  /** FedAvg keeps nothing between rounds. */
  readonly stateful = false;
  /** Any non-empty round. */
  readonly updateCount = AT_LEAST_ONE;

  /**
   * @throws SiloError `ERR_BAD_INPUT` for no updates, a repeated key id, an example count
   *   that is not a positive integer, non-finite values, or a `state` (FedAvg keeps none);
   *   `ERR_SHAPE_MISMATCH` for a delta whose length differs from the base weights.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    refuseState(this.name, state);
    const { mean, totalExamples, numUpdates } = weightedMeanDelta(this.name, base, updates);
    return { weights: applyDelta(base, mean), totalExamples, numUpdates };
  }
}

/** The example-weighted mean of a round's deltas, still in float64, and what went into it. */
export interface MeanDelta {
  readonly mean: Float64Array;
  readonly totalExamples: number;
  readonly numUpdates: number;
}

/**
 * FedAvg's step without the final addition: `Σ nᵢ·δᵢ / Σ nᵢ` in float64, updates added in
 * key-id order. FedAvgM, FedProx and the adaptive server optimizers start from it.
 *
 * @param strategy - name for messages.
 * @throws SiloError as {@link FedAvg.aggregate}.
 */
export function weightedMeanDelta(
  strategy: string,
  base: Float32Array,
  updates: readonly ClientUpdate[],
): MeanDelta {
  if (updates.length === 0) throw new SiloError('ERR_BAD_INPUT', `${strategy} needs at least one update`);
  assertFinite(base, 'base weights');
  const sorted = sortedByKeyId(updates);
  for (const update of sorted) checkUpdate(update, base.length);
  const weights = sorted.map((u) => u.numExamples);
  const sum = weightedSum(
    sorted.map((u) => u.delta),
    weights,
    base.length,
    (i) => `update from ${sorted[i]?.keyId}: vector`,
  );
  // Σ nᵢ in the same order as before, so the mean divides by the same float64.
  const totalExamples = weights.reduce((total, n) => total + n, 0);
  for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) / totalExamples;
  return { mean: sum, totalExamples, numUpdates: sorted.length };
}
