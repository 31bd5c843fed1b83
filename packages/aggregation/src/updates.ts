import { SiloError, type SiloErrorCode } from '@silo/common';
import { assertFinite } from '@silo/tensors';
import type { ClientUpdate, UpdateCountRule } from './strategy.js';

/** The rule of strategies that aggregate any non-empty round. */
export const AT_LEAST_ONE: UpdateCountRule = { min: 1, rule: 'at least one update' };

/** A round's updates, checked and in key-id order. */
export interface PreparedRound {
  readonly sorted: readonly ClientUpdate[];
  readonly deltas: readonly Float32Array[];
  /** Σ numExamples over every update. */
  readonly totalExamples: number;
}

/**
 * Checks a round for a strategy that does its own arithmetic (everything but the FedAvg family)
 * and puts it in key-id order, so that every later step is independent of arrival order.
 *
 * @throws SiloError `ERR_BAD_INPUT` for too few updates for `rule`, a repeated key id, an example
 *   count that is not a positive integer, or non-finite values; `ERR_SHAPE_MISMATCH` for a
 *   delta whose length differs from the base.
 */
export function prepareRound(
  strategy: string,
  rule: UpdateCountRule,
  base: Float32Array,
  updates: readonly ClientUpdate[],
): PreparedRound {
  const problem = updateCountProblem(strategy, rule, updates.length);
  if (problem !== undefined) throw new SiloError('ERR_BAD_INPUT', problem);
  assertFinite(base, 'base weights');
  const sorted = sortedByKeyId(updates);
  let totalExamples = 0;
  for (const update of sorted) {
    checkUpdate(update, base.length);
    assertFinite(update.delta, `update from ${update.keyId}: delta`);
    totalExamples += update.numExamples;
  }
  return { sorted, deltas: sorted.map((u) => u.delta), totalExamples };
}

/**
 * Why `strategy` cannot aggregate `n` updates under `rule`, or `undefined` when it can.
 */
export function updateCountProblem(strategy: string, rule: UpdateCountRule, n: number): string | undefined {
  if (n >= rule.min) return undefined;
  const atLeast = rule.min === 1 ? '' : `, so at least ${rule.min}`;
  return `${strategy} cannot aggregate ${n} update${n === 1 ? '' : 's'}: it needs ${rule.rule}${atLeast}`;
}

/**
 * Throws `code` with {@link updateCountProblem}'s message when `n` updates are too few.
 *
 * @throws SiloError `code`.
 */
export function checkUpdateCount(
  strategy: string,
  rule: UpdateCountRule,
  n: number,
  code: SiloErrorCode,
): void {
  const problem = updateCountProblem(strategy, rule, n);
  if (problem !== undefined) throw new SiloError(code, problem);
}

/**
 * Checks an update's example count and length.
 *
 * @throws SiloError `ERR_BAD_INPUT` for an example count that is not a positive integer;
 *   `ERR_SHAPE_MISMATCH` for a delta of another length than the model.
 */
export function checkUpdate(update: ClientUpdate, length: number): void {
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
 *
 * @throws SiloError `ERR_BAD_INPUT` for a repeated key id.
 */
export function sortedByKeyId(updates: readonly ClientUpdate[]): ClientUpdate[] {
  const sorted = [...updates].sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const keyId = sorted[i]?.keyId;
    if (keyId === sorted[i - 1]?.keyId) {
      throw new SiloError('ERR_BAD_INPUT', `two updates from ${keyId} in one aggregation`);
    }
  }
  return sorted;
}

/**
 * The unweighted mean of `deltas`, summed in float64 in the order given (key-id order), for
 * the rules that average the updates they selected.
 */
export function meanOf(deltas: readonly Float32Array[], length: number): Float64Array {
  const sum = new Float64Array(length);
  for (const delta of deltas) {
    for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) + (delta[i] as number);
  }
  const count = deltas.length;
  for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) / count;
  return sum;
}

/**
 * Refuses results that overflowed float32: the next round (and the auditor) would refuse them
 * as input anyway, and the round that caused it is the one to report.
 *
 * @throws SiloError `ERR_BAD_INPUT`.
 */
export function assertNoOverflow(strategy: string, ...vectors: Float32Array[]): void {
  for (const vector of vectors) {
    for (let i = 0; i < vector.length; i++) {
      if (!Number.isFinite(vector[i])) {
        throw new SiloError(
          'ERR_BAD_INPUT',
          `${strategy} result overflows float32 at index ${i}; the updates are too large`,
        );
      }
    }
  }
}
