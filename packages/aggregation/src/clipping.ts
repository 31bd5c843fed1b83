import { SiloError } from '@silo/common';
import { l2Norm } from '@silo/tensors';
import type { StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy, UpdateCountRule } from './strategy.js';

/**
 * Update-norm clipping around any strategy: each delta is scaled to an L2 norm of at most
 * `clipNorm` before the wrapped strategy sees it, so no single update can move the model
 * further than `clipNorm`, whatever rule combines them. The config's `clipNorm` turns it on.
 *
 * A clipped delta is a new array; deltas already within the bound are passed on as they are, so
 * memory grows only by the clipped ones. Everything else (name, state, the update-count rule)
 * is the wrapped strategy's.
 */
export class NormClipping implements Strategy {
  readonly name: string;
  readonly stateful: boolean;
  readonly updateCount: UpdateCountRule;

  /**
   * @param inner - the strategy that aggregates the clipped updates.
   * @param clipNorm - the largest L2 norm a delta may have.
   * @throws SiloError `ERR_BAD_CONFIG` for a `clipNorm` that is not positive and finite.
   */
  constructor(
    readonly inner: Strategy,
    readonly clipNorm: number,
  ) {
    if (!Number.isFinite(clipNorm) || clipNorm <= 0) {
      throw new SiloError('ERR_BAD_CONFIG', `clipNorm must be positive and finite, got ${clipNorm}`);
    }
    this.name = inner.name;
    this.stateful = inner.stateful;
    this.updateCount = inner.updateCount;
  }

  /** The wrapped strategy's aggregate of the clipped updates. @throws SiloError as it does. */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    const clipped = updates.map((update) => ({ ...update, delta: clipDelta(update.delta, this.clipNorm) }));
    return this.inner.aggregate(base, clipped, state);
  }
}

/**
 * `delta` scaled by `maxNorm / ‖delta‖₂` when its norm exceeds `maxNorm` (a new array), else
 * `delta` itself. The norm is summed in float64 and each scaled value rounded to float32 once,
 * so the result's norm is `maxNorm` to within float32 rounding (a relative 2⁻²⁴).
 *
 * A delta holding NaN or Infinity is returned unchanged, for the strategy to refuse with the
 * worker's name; scaling would turn Infinity into NaN and hide what was sent.
 */
export function clipDelta(delta: Float32Array, maxNorm: number): Float32Array {
  const norm = l2Norm(delta);
  if (!(norm > maxNorm) || !Number.isFinite(norm)) return delta;
  const scale = maxNorm / norm;
  const out = new Float32Array(delta.length);
  for (let i = 0; i < out.length; i++) out[i] = (delta[i] as number) * scale;
  return out;
}
