import { randomFillSync } from 'node:crypto';
import { SiloError } from '@silo/common';

/** Normal pairs drawn per `randomFillSync` call: 64 KiB of random bytes. */
const PAIRS_PER_FILL = 4096;

/** Largest σ whose samples stay finite in float32 (|N(0,1)| from 53-bit uniforms is below 8.6). */
const MAX_SIGMA = 3.4e38 / 9;

/**
 * `length` independent N(0, σ²) samples, from the operating system's CSPRNG.
 *
 * Deliberately not seedable: DP-FedAvg's guarantee rests on nobody being able to predict or
 * replay the noise, so there is no seed to log or reuse. The coordinator stores the noise it drew
 * as a blob beside the update blobs, readable by those who may read updates (auditors), so an
 * audit recomputes the noised aggregate and checks the noise's scale; it must never be published
 * with the model, which anyone holding the noise could de-noise. Each sample uses 2 × 53 random bits through the Box–Muller transform and is rounded to
 * float32 once; the tails are cut at about 8.6σ (the smallest uniform is 2⁻⁵³).
 *
 * Like every floating-point Gaussian sampler, this is not an exact sampler of the real Gaussian
 * (Mironov 2012 shows how float artefacts can leak); a discrete Gaussian (Canonne, Kamath, Steinke
 * 2020) would be the formally exact choice.
 *
 * @throws SiloError `ERR_BAD_INPUT` for a `length` that is not a non-negative integer or a `sigma`
 *   that is negative, non-finite, or too large for float32.
 */
export function gaussianNoise(length: number, sigma: number): Float32Array {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new SiloError('ERR_BAD_INPUT', `noise length must be a non-negative integer, got ${length}`);
  }
  checkSigma(sigma);
  const out = new Float32Array(length);
  fill(out, sigma, false);
  return out;
}

/**
 * Adds independent N(0, σ²) samples to every element of `target`, in place; see
 * {@link gaussianNoise} for the source of randomness.
 *
 * @throws SiloError `ERR_BAD_INPUT` for a bad `sigma`, as {@link gaussianNoise}.
 */
export function addGaussianNoise(target: Float32Array, sigma: number): void {
  checkSigma(sigma);
  fill(target, sigma, true);
}

function checkSigma(sigma: number): void {
  if (!(sigma >= 0 && sigma <= MAX_SIGMA)) {
    throw new SiloError('ERR_BAD_INPUT', `noise sigma must be in [0, ${MAX_SIGMA}], got ${sigma}`);
  }
}

/** Writes (or adds) σ-scaled standard normals into `target`, two per Box–Muller pair. */
function fill(target: Float32Array, sigma: number, add: boolean): void {
  if (sigma === 0) return;
  const words = new Uint32Array(4 * Math.min(PAIRS_PER_FILL, Math.ceil(target.length / 2)));
  let i = 0;
  while (i < target.length) {
    randomFillSync(words);
    for (let w = 0; w < words.length && i < target.length; w += 4) {
      // 1 − u lies in (0, 1], so the logarithm is finite.
      const radius = sigma * Math.sqrt(-2 * Math.log(1 - uniform53(words, w)));
      const angle = 2 * Math.PI * uniform53(words, w + 2);
      put(target, i++, radius * Math.cos(angle), add);
      if (i < target.length) put(target, i++, radius * Math.sin(angle), add);
    }
  }
}

function put(target: Float32Array, at: number, sample: number, add: boolean): void {
  target[at] = add ? (target[at] as number) + sample : sample;
}

/** A uniform double in [0, 1) from 53 random bits: the top 27 bits of one word, 26 of the next. */
function uniform53(words: Uint32Array, at: number): number {
  const high = (words[at] as number) >>> 5;
  const low = (words[at + 1] as number) >>> 6;
  return (high * 67108864 + low) / 9007199254740992; // (high·2²⁶ + low) / 2⁵³
}
