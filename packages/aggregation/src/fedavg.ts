import { SiloError } from '@silo/common';
import { assertFinite } from '@silo/tensors';
import type { AggregateResult, ClientUpdate, Strategy } from './strategy.js';
import { WeightedMeanAccumulator, applyDelta } from './weighted-mean.js';

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

  /**
   * @throws SiloError `ERR_BAD_INPUT` for no updates, a repeated key id, an example count
   *   that is not a positive integer, or non-finite values; `ERR_SHAPE_MISMATCH` for a delta
   *   whose length differs from the base weights.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[]): AggregateResult {
    if (updates.length === 0) throw new SiloError('ERR_BAD_INPUT', 'fedavg needs at least one update');
    assertFinite(base, 'base weights');
    const accumulator = new WeightedMeanAccumulator(base.length);
    for (const update of sortedByKeyId(updates)) {
      checkUpdate(update, base.length);
      try {
        accumulator.add(update.delta, update.numExamples);
      } catch (err) {
        // Name the worker: the accumulator only knows it was handed a bad vector.
        if (err instanceof SiloError) {
          throw new SiloError(err.code, `update from ${update.keyId}: ${err.message}`, { cause: err });
        }
        throw err;
      }
    }
    return {
      weights: applyDelta(base, accumulator.mean()),
      totalExamples: accumulator.totalWeight,
      numUpdates: accumulator.count,
    };
  }
}

function checkUpdate(update: ClientUpdate, length: number): void {
  const { keyId, numExamples, delta } = update;
  if (!Number.isSafeInteger(numExamples) || numExamples <= 0) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `update from ${keyId} has numExamples ${numExamples}; it must be a positive integer`,
    );
  }
  if (delta.length !== length) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `update from ${keyId} has ${delta.length} values; the model has ${length}`,
    );
  }
}

/**
 * Updates in code-unit order of key id (not `localeCompare`, whose order depends on the
 * host's locale). A repeated key id would count one worker twice, so it is refused.
 */
function sortedByKeyId(updates: readonly ClientUpdate[]): ClientUpdate[] {
  const sorted = [...updates].sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const keyId = sorted[i]?.keyId;
    if (keyId === sorted[i - 1]?.keyId) {
      throw new SiloError('ERR_BAD_INPUT', `two updates from ${keyId} in one aggregation`);
    }
  }
  return sorted;
}
