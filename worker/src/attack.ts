import { createRng, SiloError } from '@silo/common';
import type { TrainingData } from '@silo/model';

/**
 * How a malicious worker corrupts its update. A simulation and testing knob only: it lets a run
 * (`silo simulate --attackers F --attack MODE`) or a benchmark check that a robust strategy copes
 * with workers that are enrolled, sign validly, and lie.
 *
 * - `sign-flip`: sends −delta.
 * - `scale`: sends `factor`·delta.
 * - `gaussian`: sends N(0, `sigma`²) noise of the delta's length instead of the delta.
 * - `label-flip`: trains on labels mapped y → (classes − 1) − y (9 − y for digits), then sends
 *   the honest delta of that training.
 */
export type Attack =
  | { kind: 'sign-flip' }
  | { kind: 'scale'; factor: number }
  | { kind: 'gaussian'; sigma: number }
  | { kind: 'label-flip' };

const ACCEPTED_FORMS =
  "'sign-flip', 'scale:K' (K a finite number), 'gaussian:SIGMA' (SIGMA > 0) or 'label-flip'";

/**
 * Parses an attack written as `sign-flip`, `scale:K`, `gaussian:σ` or `label-flip`.
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming the value and the accepted forms.
 */
export function parseAttack(text: string): Attack {
  const trimmed = text.trim();
  if (trimmed === 'sign-flip' || trimmed === 'label-flip') return { kind: trimmed };
  const colon = trimmed.indexOf(':');
  const kind = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const arg = colon < 0 ? '' : trimmed.slice(colon + 1).trim();
  const value = arg === '' ? Number.NaN : Number(arg);
  if (kind === 'scale' && Number.isFinite(value)) return { kind: 'scale', factor: value };
  if (kind === 'gaussian' && Number.isFinite(value) && value > 0) return { kind: 'gaussian', sigma: value };
  throw new SiloError('ERR_BAD_CONFIG', `unknown attack ${JSON.stringify(text)}; use ${ACCEPTED_FORMS}`);
}

/** The attack as {@link parseAttack} reads it: `scale:-10`, `gaussian:1`. */
export function formatAttack(attack: Attack): string {
  switch (attack.kind) {
    case 'scale':
      return `scale:${attack.factor}`;
    case 'gaussian':
      return `gaussian:${attack.sigma}`;
    default:
      return attack.kind;
  }
}

/**
 * The update a worker running `attack` sends in place of its honest `delta`: a new array, or
 * `delta` itself for `label-flip`, whose harm was done in training (see {@link flipLabels}).
 * `seed` draws the `gaussian` noise; give each worker and round its own ({@link attackSeed}).
 */
export function attackDelta(attack: Attack, delta: Float32Array, seed: number): Float32Array {
  switch (attack.kind) {
    case 'sign-flip':
      return delta.map((v) => -v);
    case 'scale':
      return delta.map((v) => attack.factor * v);
    case 'gaussian':
      return gaussianNoise(delta.length, attack.sigma, seed);
    case 'label-flip':
      return delta;
  }
}

/** `data` with every label y replaced by (numClasses − 1) − y; features are shared, not copied. */
export function flipLabels<T extends TrainingData>(data: T): T {
  const last = data.numClasses - 1;
  return { ...data, y: data.y.map((label) => last - label) };
}

/** A 32-bit seed for one worker's noise in one round, so attackers do not send the same vector. */
export function attackSeed(keyId: string, runId: string, round: number): number {
  // FNV-1a: spreads similar strings apart; not for anything secret.
  let hash = 0x811c9dc5;
  for (const char of `${keyId}/${runId}/${round}`) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** `length` draws of N(0, sigma²), by Box–Muller from a seeded generator. */
function gaussianNoise(length: number, sigma: number, seed: number): Float32Array {
  const random = createRng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += 2) {
    const radius = sigma * Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}
