import { SiloError } from '@silo/common';
import { assertFinite } from '@silo/tensors';
import { refuseState, type StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy } from './strategy.js';
import { AT_LEAST_ONE, checkUpdate, sortedByKeyId } from './updates.js';
import type { SimdSumKernel } from './simd-sum.js';
import { forEachWeightedSumBlock } from './weighted-mean.js';

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
    return averagedWeights(this.name, base, updates);
  }
}

/**
 * FedAvg's new weights, `base + Σ nᵢ·δᵢ / Σ nᵢ`, block by block and rounded to float32 once:
 * bit for bit the mean of {@link weightedMeanDelta} followed by `applyDelta`, without a float64
 * array of the model's size. FedProx's aggregate too.
 *
 * @param strategy - name for messages.
 * @throws SiloError as {@link FedAvg.aggregate}; `ERR_BAD_INPUT` also for a result that
 *   overflows float32.
 */
export function averagedWeights(
  strategy: string,
  base: Float32Array,
  updates: readonly ClientUpdate[],
): AggregateResult {
  const round = weightedRound(strategy, base, updates);
  const { totalExamples } = round;
  const weights = new Float32Array(base.length);
  let probe = 0;
  round.sumBlocks((sums, start, kernel) => {
    if (kernel === undefined) {
      probe += addMeanBlock(weights, base, sums, start, totalExamples);
      return;
    }
    const mean = kernel.mean(sums.length, weights, base, start, totalExamples);
    probe += mean.probe;
    if (mean.done < sums.length)
      probe += addMeanBlock(weights, base, sums.subarray(mean.done), start + mean.done, totalExamples);
  });
  // The base is checked here rather than up front, so the common case reads it once.
  if (probe !== 0) {
    assertFinite(base, 'base weights');
    const at = weights.findIndex((value) => !Number.isFinite(value));
    throw new SiloError(
      'ERR_BAD_INPUT',
      `the aggregate is ${weights[at]} at value ${at}: it overflows float32`,
    );
  }
  return { weights, totalExamples, numUpdates: round.numUpdates };
}

/**
 * `out[i] = base[i] + sums[j] / total` over one block, `i = start + j`, rounded to float32.
 * A function of its own, not the closure's body, so its loop keeps its locals in registers.
 *
 * @returns 0 when every value written is finite, NaN otherwise (x − x is 0 only for finite x).
 */
function addMeanBlock(
  out: Float32Array,
  base: Float32Array,
  sums: Float64Array,
  start: number,
  total: number,
): number {
  let probe = 0;
  for (let j = 0, i = start; j < sums.length; j++, i++) {
    const value = Math.fround((base[i] as number) + (sums[j] as number) / total);
    out[i] = value;
    probe += value - value;
  }
  return probe;
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
  assertFinite(base, 'base weights');
  const round = weightedRound(strategy, base, updates);
  const mean = new Float64Array(base.length);
  round.sumBlocks((sums, start) => {
    for (let j = 0; j < sums.length; j++) mean[start + j] = (sums[j] as number) / round.totalExamples;
  });
  return { mean, totalExamples: round.totalExamples, numUpdates: round.numUpdates };
}

/** A round's updates checked and in key-id order, ready to be summed block by block. */
interface WeightedRound {
  /** Σ nᵢ, summed in key-id order. */
  readonly totalExamples: number;
  readonly numUpdates: number;
  /** Runs `Σ nᵢ·δᵢ` in float64 in key-id order, a block at a time (see `forEachWeightedSumBlock`). */
  sumBlocks(onBlock: (sums: Float64Array, start: number, kernel: SimdSumKernel | undefined) => void): void;
}

function weightedRound(
  strategy: string,
  base: Float32Array,
  updates: readonly ClientUpdate[],
): WeightedRound {
  if (updates.length === 0) throw new SiloError('ERR_BAD_INPUT', `${strategy} needs at least one update`);
  const sorted = sortedByKeyId(updates);
  for (const update of sorted) checkUpdate(update, base.length);
  const weights = sorted.map((u) => u.numExamples);
  const deltas = sorted.map((u) => u.delta);
  return {
    totalExamples: weights.reduce((total, n) => total + n, 0),
    numUpdates: sorted.length,
    sumBlocks: (onBlock) =>
      forEachWeightedSumBlock(
        deltas,
        weights,
        base.length,
        onBlock,
        (i) => `update from ${sorted[i]?.keyId}: vector`,
      ),
  };
}
