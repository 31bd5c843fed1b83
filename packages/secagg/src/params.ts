import { SiloError } from '@silo/common';

/** The numbers a SecAgg+ session is configured with. */
export interface SecAggParams {
  /** t: shares needed to reconstruct a secret, and the fewest survivors a sum may have. ≥ 2. */
  threshold: number;
  /** c: each coordinate is clipped to [-c, c] before quantization. > 0, finite. */
  clipRange: number;
  /** b: bits of fixed point per coordinate, 1..31. */
  quantizationBits: number;
}

/** Most neighbours a worker may have: Shamir shares over GF(2⁸) have 255 distinct x-coordinates. */
export const MAX_NEIGHBOURS = 254;

const MAX_WORD = 2 ** 32 - 1;

/**
 * Validates `params` for a cohort of `cohort` workers with `neighbours` (k) each:
 *
 * - 2 ≤ t ≤ k: a secret needs at least two shares, and no more than there are holders;
 * - 2t > k: two disjoint sets of t neighbours cannot both answer, so a coordinator cannot collect
 *   a worker's self-mask seed from one half and its mask key from the other;
 * - k ≤ cohort − 1 and k ≤ 254;
 * - k even unless k = cohort − 1 (the Harary graph of {@link neighbourGraph});
 * - cohort · (2ᵇ − 1) ≤ 2³² − 1, so a sum of the whole cohort cannot wrap.
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming the rule broken.
 */
export function checkParams(params: SecAggParams, cohort: number, neighbours: number): void {
  checkEncoding(params);
  const { threshold: t, quantizationBits: b } = params;
  const k = neighbours;
  if (!Number.isSafeInteger(t)) badConfig(`threshold t must be an integer, got ${t}`);
  if (!Number.isSafeInteger(cohort) || cohort < 1)
    badConfig(`cohort must be a positive integer, got ${cohort}`);
  if (!Number.isSafeInteger(k) || k < 1) badConfig(`neighbours k must be a positive integer, got ${k}`);
  if (t < 2) badConfig(`threshold t = ${t} breaks t ≥ 2: one share alone would reveal a secret`);
  if (t > k) badConfig(`threshold t = ${t} breaks t ≤ k = ${k}: lower t or give each worker more neighbours`);
  if (2 * t <= k)
    badConfig(
      `threshold t = ${t} breaks 2t > k = ${k}: two disjoint sets of t neighbours could both answer; ` +
        `use t ≥ ${Math.floor(k / 2) + 1}`,
    );
  if (k > cohort - 1)
    badConfig(
      `neighbours k = ${k} breaks k ≤ cohort − 1 = ${cohort - 1}: a worker has no more peers than that`,
    );
  if (k > MAX_NEIGHBOURS)
    badConfig(`neighbours k = ${k} breaks k ≤ ${MAX_NEIGHBOURS}, the most Shamir shares over GF(2⁸)`);
  if (k < cohort - 1 && k % 2 !== 0)
    badConfig(`neighbours k = ${k} must be even unless it is cohort − 1 = ${cohort - 1} (complete graph)`);
  if (cohort * (2 ** b - 1) > MAX_WORD)
    badConfig(
      `cohort ${cohort} × (2^${b} − 1) exceeds 2³² − 1: the sum could wrap; ` +
        `use at most ${Math.floor(Math.log2(MAX_WORD / cohort + 1))} quantization bits`,
    );
}

/**
 * The default number of neighbours k for a cohort of n: everyone (n − 1) up to n = 8, else
 * min(n − 1, 2·⌈1.5·log₂ n⌉), the even degree SecAgg+ (Bell et al. 2020) shows to keep the graph
 * connected after dropouts with high probability.
 *
 * @throws SiloError `ERR_BAD_INPUT` for n that is not an integer ≥ 2.
 */
export function defaultNeighbours(n: number): number {
  if (!Number.isSafeInteger(n) || n < 2)
    throw new SiloError('ERR_BAD_INPUT', `a secure-aggregation cohort needs at least 2 workers, got ${n}`);
  if (n <= 8) return n - 1;
  return Math.min(n - 1, 2 * Math.ceil(1.5 * Math.log2(n)));
}

/**
 * The default threshold t for k neighbours: ⌊k/2⌋ + 1, the smallest t with 2t > k, so the most
 * dropouts are tolerated while a coordinator still cannot get both secrets of one worker.
 *
 * @throws SiloError `ERR_BAD_INPUT` for k that is not an integer ≥ 2.
 */
export function defaultThreshold(k: number): number {
  if (!Number.isSafeInteger(k) || k < 2)
    throw new SiloError('ERR_BAD_INPUT', `secure aggregation needs at least 2 neighbours, got ${k}`);
  return Math.floor(k / 2) + 1;
}

/** Checks the parts of `params` that encoding needs: c and b. */
export function checkEncoding(params: SecAggParams): void {
  const { clipRange: c, quantizationBits: b } = params;
  if (!(Number.isFinite(c) && c > 0)) badConfig(`clipRange c must be finite and > 0, got ${c}`);
  if (!(Number.isInteger(b) && b >= 1 && b <= 31))
    badConfig(`quantizationBits b must be an integer in 1..31, got ${b}`);
}

/** Checks a threshold passed on its own (server side). */
export function checkThreshold(threshold: number): void {
  if (!(Number.isSafeInteger(threshold) && threshold >= 2))
    badConfig(`threshold t must be an integer ≥ 2, got ${threshold}`);
}

function badConfig(message: string): never {
  throw new SiloError('ERR_BAD_CONFIG', `secure aggregation: ${message}`);
}
