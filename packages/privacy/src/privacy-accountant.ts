import { SiloError } from '@silo/common';
import { epsilonFromRdp, type RdpConversion } from './rdp-conversion.js';
import { DEFAULT_ORDERS, rdpSampledGaussian } from './rdp-sampled-gaussian.js';

/** The most rounds {@link PrivacyAccountant.roundsWithin} reports. */
const MAX_ROUNDS = Number.MAX_SAFE_INTEGER;

/** What a {@link PrivacyAccountant} needs to know about every round it counts. */
export interface PrivacyAccountantOptions {
  /** z: the standard deviation of the noise on the sum of updates divided by the clip norm; positive. */
  noiseMultiplier: number;
  /**
   * q: the probability that any one worker's update is in a round, in (0, 1]. The analysis assumes
   * each worker is included independently with this probability (Poisson sampling); 1 when every
   * worker takes part in every round.
   */
  samplingRate: number;
  /** Target δ of the reported (ε, δ) guarantee, in (0, 1). */
  delta: number;
  /** Rényi orders to track. Default: {@link DEFAULT_ORDERS}. */
  orders?: readonly number[];
  /** RDP-to-(ε, δ) conversion. Default: `'classic'`. */
  conversion?: RdpConversion;
}

/**
 * Worker-level (ε, δ) spent by DP-FedAvg rounds that all use the same sampling rate and noise
 * multiplier, by Rényi-DP composition: the RDP of T rounds is T times that of one round, and ε is
 * read off that curve at the best order.
 *
 * A coordinator enforcing a budget asks {@link epsilonAfter}(`rounds + 1`) before starting a round
 * and stops if it exceeds the budget, then calls {@link step} once the noised aggregate is out.
 */
export class PrivacyAccountant {
  readonly noiseMultiplier: number;
  readonly samplingRate: number;
  readonly delta: number;
  readonly orders: readonly number[];
  readonly conversion: RdpConversion;
  readonly #rdpPerRound: readonly number[];
  #rounds = 0;

  /**
   * @throws SiloError `ERR_BAD_INPUT` for a bad noise multiplier, sampling rate, order or δ
   *   (see {@link rdpSampledGaussian} and {@link epsilonFromRdp}).
   */
  constructor(options: PrivacyAccountantOptions) {
    this.noiseMultiplier = options.noiseMultiplier;
    this.samplingRate = options.samplingRate;
    this.delta = options.delta;
    this.orders = Object.freeze([...(options.orders ?? DEFAULT_ORDERS)]);
    this.conversion = options.conversion ?? 'classic';
    this.#rdpPerRound = rdpSampledGaussian(this.samplingRate, this.noiseMultiplier, this.orders);
    epsilonFromRdp(this.#rdpPerRound, this.orders, this.delta, this.conversion); // validates delta now
  }

  /** Rounds counted so far. */
  get rounds(): number {
    return this.#rounds;
  }

  /**
   * Counts `rounds` more released aggregates.
   *
   * @throws SiloError `ERR_BAD_INPUT` unless `rounds` is a non-negative safe integer.
   */
  step(rounds = 1): void {
    checkRounds(rounds);
    const total = this.#rounds + rounds;
    checkRounds(total);
    this.#rounds = total;
  }

  /** ε spent by the rounds counted so far, at the accountant's δ. */
  get epsilon(): number {
    return this.epsilonAfter(this.#rounds);
  }

  /**
   * ε after `totalRounds` rounds IN ALL (not more rounds on top of those counted): 0 for none.
   * Non-decreasing in `totalRounds`.
   *
   * @throws SiloError `ERR_BAD_INPUT` unless `totalRounds` is a non-negative safe integer.
   */
  epsilonAfter(totalRounds: number): number {
    checkRounds(totalRounds);
    if (totalRounds === 0) return 0; // releasing nothing is (0, 0)-DP
    const rdp = this.#rdpPerRound.map((rho) => rho * totalRounds);
    return epsilonFromRdp(rdp, this.orders, this.delta, this.conversion).epsilon;
  }

  /**
   * The most rounds in all whose ε stays within `maxEpsilon`: the largest T with
   * `epsilonAfter(T) <= maxEpsilon` (0 when even one round exceeds it).
   *
   * @throws SiloError `ERR_BAD_INPUT` for a `maxEpsilon` that is not positive and finite.
   */
  roundsWithin(maxEpsilon: number): number {
    if (!(maxEpsilon > 0) || !Number.isFinite(maxEpsilon)) {
      throw new SiloError('ERR_BAD_INPUT', `maxEpsilon must be positive and finite, got ${maxEpsilon}`);
    }
    const fits = (rounds: number): boolean => this.epsilonAfter(rounds) <= maxEpsilon;
    // Doubling then bisection: ε(T) is non-decreasing in T, so the rounds that fit are a prefix.
    let fitting = 0;
    let failing = 1;
    while (fits(failing)) {
      if (failing === MAX_ROUNDS) return MAX_ROUNDS;
      fitting = failing;
      failing = Math.min(failing * 2, MAX_ROUNDS);
    }
    while (failing - fitting > 1) {
      const middle = fitting + Math.floor((failing - fitting) / 2);
      if (fits(middle)) fitting = middle;
      else failing = middle;
    }
    return fitting;
  }
}

function checkRounds(rounds: number): void {
  if (!Number.isSafeInteger(rounds) || rounds < 0) {
    throw new SiloError('ERR_BAD_INPUT', `rounds must be a non-negative integer, got ${rounds}`);
  }
}
