import { SiloError } from '@silo/common';
import { clipDelta } from '@silo/aggregation';
import { addGaussianNoise } from './gaussian-noise.js';
import { epsilonFromRdp } from './rdp-conversion.js';
import { DEFAULT_ORDERS, rdpSampledGaussian } from './rdp-sampled-gaussian.js';
import type { DpConfig } from './dp-fedavg.js';

/** One worker's delta, as a DP round sees it: who sent it and what it is. */
export interface DpUpdate {
  readonly keyId: string;
  readonly delta: Float32Array;
}

/** How a DP round combines its updates. */
export interface DpMeanOptions {
  /** C: each delta's L2 norm is clipped to this (central mode only). */
  readonly clipNorm: number;
  /** `central`: clip here and add `noise`; `local`: the workers clipped and noised already. */
  readonly mode: DpConfig['mode'];
  /**
   * The fixed denominator of DP-FedAvg's estimator: the number of workers sampled for the round,
   * fixed before any update arrives, so the average does not depend on who showed up.
   */
  readonly denominator: number;
}

/**
 * The noised mean delta of a DP-FedAvg round, (Σ clip(Δ_k, C) + noise) / denominator, with every
 * worker weighted equally (weighting by example counts would let one worker's weight exceed the
 * sensitivity the noise is calibrated to).
 *
 * Deterministic for given inputs and independent of the order of `updates` (summed in key-id
 * order, in float64), so an auditor holding the update blobs and the logged noise recomputes the
 * same float32 result, bit for bit. In `local` mode the workers clipped and noised their own
 * updates; clipping again here would shrink their noise, so the deltas are summed as they are and
 * `noise` must be absent.
 *
 * @throws SiloError `ERR_BAD_INPUT` for no updates, a repeated key id, deltas or noise of
 *   different lengths, a non-finite value, noise given in local mode or missing in central mode,
 *   or a denominator that is not a positive integer.
 */
export function dpMeanDelta(
  updates: readonly DpUpdate[],
  options: DpMeanOptions,
  noise: Float32Array | undefined,
): Float32Array {
  const { clipNorm, mode, denominator } = options;
  if (updates.length === 0) throw new SiloError('ERR_BAD_INPUT', 'a DP round needs at least one update');
  if (!Number.isSafeInteger(denominator) || denominator < 1)
    throw new SiloError('ERR_BAD_INPUT', `DP denominator must be a positive integer, got ${denominator}`);
  if (mode === 'local' && noise !== undefined)
    throw new SiloError('ERR_BAD_INPUT', 'local DP: the workers add the noise, the coordinator adds none');
  if (mode === 'central' && noise === undefined)
    throw new SiloError('ERR_BAD_INPUT', 'central DP: the noise to add is missing');
  const length = updates[0]!.delta.length;
  const ordered = [...updates].sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  const sum = new Float64Array(length);
  ordered.forEach((update, i) => {
    if (i > 0 && ordered[i - 1]!.keyId === update.keyId)
      throw new SiloError('ERR_BAD_INPUT', `two updates from ${update.keyId} in one DP round`);
    if (update.delta.length !== length)
      throw new SiloError(
        'ERR_BAD_INPUT',
        `update of ${update.keyId} has ${update.delta.length} values, expected ${length}`,
      );
    const delta = mode === 'central' ? clipDelta(update.delta, clipNorm) : update.delta;
    for (let j = 0; j < length; j++) sum[j]! += delta[j]!;
  });
  if (noise !== undefined) {
    if (noise.length !== length)
      throw new SiloError('ERR_BAD_INPUT', `noise has ${noise.length} values, expected ${length}`);
    for (let j = 0; j < length; j++) sum[j]! += noise[j]!;
  }
  const mean = new Float32Array(length);
  for (let j = 0; j < length; j++) {
    const value = sum[j]! / denominator;
    if (!Number.isFinite(value))
      throw new SiloError('ERR_BAD_INPUT', `DP mean is not finite at coordinate ${j}`);
    mean[j] = value;
  }
  return mean;
}

/** What the accountant needs of one released round. */
export interface DpRoundParameters {
  /** q: the share of the population sampled for the round, in (0, 1]. */
  readonly samplingRate: number;
  /** z: the noise standard deviation on the sum divided by C; positive. */
  readonly noiseMultiplier: number;
}

/**
 * ε at `delta` after releasing the aggregates of `rounds`, which may differ in sampling rate and
 * noise: their Rényi DP adds up order by order (composition), and ε is read off the total at the
 * best order. 0 for no rounds.
 *
 * @throws SiloError `ERR_BAD_INPUT` for a bad rate, multiplier or δ (see {@link rdpSampledGaussian}).
 */
export function epsilonOfRounds(rounds: readonly DpRoundParameters[], delta: number): number {
  if (rounds.length === 0) return 0;
  const total = new Array<number>(DEFAULT_ORDERS.length).fill(0);
  // Rounds with the same parameters share one RDP curve.
  const curves = new Map<string, number[]>();
  for (const { samplingRate, noiseMultiplier } of rounds) {
    const key = `${samplingRate}|${noiseMultiplier}`;
    let curve = curves.get(key);
    if (curve === undefined) {
      curve = rdpSampledGaussian(samplingRate, noiseMultiplier, DEFAULT_ORDERS);
      curves.set(key, curve);
    }
    curve.forEach((rho, i) => (total[i]! += rho));
  }
  return epsilonFromRdp(total, DEFAULT_ORDERS, delta).epsilon;
}

/** What a worker applies of a round's differential privacy (the instruction's `privacy`). */
export interface WorkerPrivacy {
  readonly mode: DpConfig['mode'];
  readonly clipNorm: number;
  readonly noiseMultiplier: number;
  /** Local mode: among how many workers the noise is shared; default 1 (the whole noise). */
  readonly shares?: number | undefined;
}

/**
 * A worker's delta as DP-FedAvg has it sent: clipped to `clipNorm` (L2) in either mode, so the
 * owner's bound holds whatever the coordinator does, and in `local` mode with the worker's share
 * of the noise, N(0, (zC)²/shares) per coordinate from the operating system's CSPRNG. `delta`
 * itself is never changed.
 *
 * @throws SiloError `ERR_BAD_INPUT` for a clip norm or noise that is not positive and finite, or
 *   shares that are not a positive integer.
 */
export function privatizeDelta(delta: Float32Array, privacy: WorkerPrivacy): Float32Array {
  const { clipNorm, noiseMultiplier, mode, shares = 1 } = privacy;
  if (!(clipNorm > 0 && Number.isFinite(clipNorm)))
    throw new SiloError('ERR_BAD_INPUT', `clip norm must be positive and finite, got ${clipNorm}`);
  if (!(noiseMultiplier > 0 && Number.isFinite(noiseMultiplier)))
    throw new SiloError(
      'ERR_BAD_INPUT',
      `noise multiplier must be positive and finite, got ${noiseMultiplier}`,
    );
  if (!Number.isSafeInteger(shares) || shares < 1)
    throw new SiloError('ERR_BAD_INPUT', `noise shares must be a positive integer, got ${shares}`);
  const clipped = clipDelta(delta, clipNorm);
  if (mode === 'central') return clipped;
  const noised = clipped === delta ? Float32Array.from(delta) : clipped;
  addGaussianNoise(noised, (noiseMultiplier * clipNorm) / Math.sqrt(shares));
  return noised;
}
