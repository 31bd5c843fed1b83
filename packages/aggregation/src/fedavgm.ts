import { configOf, type OptionsOf } from './config.js';
import { weightedMeanDelta } from './fedavg.js';
import { stateVectors, type StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate, Strategy } from './strategy.js';
import { AT_LEAST_ONE, assertNoOverflow } from './updates.js';

/**
 * FedAvg with server momentum (Hsu et al., 2019, "Measuring the Effects of Non-Identical Data
 * Distribution"): with Δ the FedAvg mean delta, the server keeps a velocity
 * `u ← β·u + Δ` and moves `w ← w + η·u`. With β = 0 and η = 1 it is FedAvg, bit for bit.
 *
 * State: `[u]`, starting from zero in round 1.
 */
export class FedAvgM implements Strategy {
  readonly name = 'fedavgm';
  readonly stateful = true;
  readonly updateCount = AT_LEAST_ONE;
  /** η: step size of the server update. */
  readonly serverLearningRate: number;
  /** β: fraction of the previous velocity kept each round. */
  readonly serverMomentum: number;

  /** @throws SiloError `ERR_BAD_CONFIG` for a parameter out of range. */
  constructor(options: OptionsOf<'fedavgm'> = {}) {
    const config = configOf('fedavgm', options);
    this.serverLearningRate = config.serverLearningRate;
    this.serverMomentum = config.serverMomentum;
  }

  /**
   * @throws SiloError as `FedAvg.aggregate`, and `ERR_BAD_INPUT` for a state that is not a
   *   FedAvgM state of this model or a result that overflows float32.
   */
  aggregate(base: Float32Array, updates: readonly ClientUpdate[], state?: StrategyState): AggregateResult {
    const previous = stateVectors(state, this.name, 1, base.length);
    const { mean, totalExamples, numUpdates } = weightedMeanDelta(this.name, base, updates);
    const { weights, velocity } = momentumStep(
      base,
      mean,
      previous?.[0],
      this.serverLearningRate,
      this.serverMomentum,
    );
    return { weights, totalExamples, numUpdates, state: { strategy: this.name, vectors: [velocity] } };
  }
}

/**
 * One server momentum step: `u' = β·u + Δ`, `w' = base + η·u'`, in float64, each rounded to
 * float32 once. `u` undefined means zero.
 *
 * @throws SiloError `ERR_BAD_INPUT` when a result overflows float32.
 */
export function momentumStep(
  base: Float32Array,
  delta: Float64Array,
  velocity: Float32Array | undefined,
  serverLearningRate: number,
  serverMomentum: number,
): { weights: Float32Array; velocity: Float32Array } {
  const weights = new Float32Array(base.length);
  const next = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const u = serverMomentum * (velocity === undefined ? 0 : (velocity[i] as number)) + (delta[i] as number);
    next[i] = u;
    weights[i] = (base[i] as number) + serverLearningRate * u;
  }
  assertNoOverflow('fedavgm', weights, next);
  return { weights, velocity: next };
}
