import { SiloError } from '@silo/common';
import type { SecAggParams } from './params.js';
import { decodeSum } from './quantize.js';

/**
 * The mean delta of a securely aggregated round from the unmasked sum of `count` inputs:
 * (total + noise) ÷ divisor per coordinate, in float64 and stored as float32, where the divisor is
 * the sum of the inputs' weights, or a fixed DP denominator when given. The coordinator and the
 * auditor both form the mean here, so a recomputed aggregate matches bit for bit.
 *
 * @throws SiloError `ERR_BAD_INPUT` when the divisor is not positive or the noise has another length.
 */
export function secureMean(
  sum: Uint32Array,
  count: number,
  params: SecAggParams,
  denominator: number | null,
  noise?: Float32Array,
): { mean: Float32Array; weight: number } {
  const { total, weight } = decodeSum(sum, count, params);
  const divisor = denominator ?? weight;
  if (!(divisor > 0))
    throw new SiloError('ERR_BAD_INPUT', `the secure sum has no weight to divide by (${divisor})`);
  if (noise !== undefined && noise.length !== total.length)
    throw new SiloError('ERR_BAD_INPUT', `noise has ${noise.length} values, the sum ${total.length}`);
  const mean = new Float32Array(total.length);
  for (let i = 0; i < total.length; i++) mean[i] = ((total[i] ?? 0) + (noise?.[i] ?? 0)) / divisor;
  return { mean, weight };
}
