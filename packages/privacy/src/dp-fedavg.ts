import { z } from 'zod';
import { SiloError, validateConfig } from '@silo/common';

/**
 * Differential privacy for a run, DP-FedAvg style (McMahan, Ramage, Talwar, Zhang 2018,
 * "Learning Differentially Private Recurrent Language Models"): every worker's update is clipped
 * to L2 norm `clipNorm` (C), the clipped updates are summed, Gaussian noise N(0, (zC)²) per
 * coordinate is added to the sum, and the sum is divided by the expected number of updates
 * (the fixed-denominator estimator, so the average's sensitivity is C / expected whoever shows up).
 * The guarantee is worker-level: it covers everything one worker contributes.
 *
 * | field | meaning |
 * |---|---|
 * | `clipNorm` | C, the largest L2 norm a worker's update may have; positive |
 * | `noiseMultiplier` | z, noise standard deviation on the sum divided by C; ≥ 0 (0: no noise, no guarantee) |
 * | `delta` | target δ, in (0, 0.01]; pick it well below 1 / number of workers |
 * | `maxEpsilon` | optional budget: the run stops before a round that would take ε past it; needs z > 0 |
 * | `mode` | `'central'` (default): the coordinator adds the noise to the sum; `'local'`: each worker adds its share |
 *
 * Unknown fields are refused, so a misspelt parameter cannot silently fall back to its default.
 */
export const dpConfigSchema = z
  .strictObject({
    clipNorm: z.number().positive(),
    noiseMultiplier: z.number().min(0),
    delta: z.number().positive().max(1e-2),
    maxEpsilon: z.number().positive().optional(),
    mode: z.enum(['central', 'local']).default('central'),
  })
  .refine((config) => config.maxEpsilon === undefined || config.noiseMultiplier > 0, {
    message: 'a maxEpsilon budget needs a positive noiseMultiplier: without noise ε is infinite',
    path: ['noiseMultiplier'],
  });

/** A validated DP config with every default filled in. */
export type DpConfig = z.output<typeof dpConfigSchema>;

/** A DP config as written, before defaults are filled in. */
export type DpConfigInput = z.input<typeof dpConfigSchema>;

/**
 * Validates a DP config and fills in its defaults.
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming the bad field.
 */
export function parseDpConfig(raw: unknown): DpConfig {
  return validateConfig(dpConfigSchema, raw, 'differential privacy');
}

/**
 * The standard deviation of the Gaussian noise each noise-adding party draws per coordinate, so
 * that the noise in the sum of `expectedUpdates` clipped updates totals N(0, (zC)²):
 *
 * - `central`: zC, drawn once by the coordinator and added to the sum.
 * - `local`: zC/√n with n = `expectedUpdates`, drawn by each worker and added to its own clipped
 *   update; n independent draws sum to variance (zC)². If fewer than n updates arrive, the sum
 *   carries less noise than accounted for, so pass the fewest updates a round will accept. Each
 *   single update carries only 1/√n of the noise: local mode protects a worker from the
 *   coordinator only when the coordinator sees the sum alone (secure aggregation).
 *
 * @param expectedUpdates - n, the number of updates a round sums; a positive integer.
 * @throws SiloError `ERR_BAD_INPUT` unless `expectedUpdates` is a positive integer.
 */
export function noiseStdForSum(
  config: Pick<DpConfig, 'clipNorm' | 'noiseMultiplier' | 'mode'>,
  expectedUpdates: number,
): number {
  if (!Number.isSafeInteger(expectedUpdates) || expectedUpdates < 1) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `expectedUpdates must be a positive integer, got ${expectedUpdates}`,
    );
  }
  const sumStd = config.noiseMultiplier * config.clipNorm;
  return config.mode === 'central' ? sumStd : sumStd / Math.sqrt(expectedUpdates);
}
