import type { ConfigOf } from './config.js';
import { weightedMeanDelta } from './fedavg.js';
import { stateVectors, type StrategyState } from './state.js';
import type { AggregateResult, ClientUpdate } from './strategy.js';
import { assertNoOverflow } from './updates.js';

/** How the second moment follows the squared mean delta: the one thing FedAdam, FedYogi and FedAdagrad differ in. */
export type SecondMomentRule = 'adam' | 'yogi' | 'adagrad';

/** The parameters of an adaptive server optimizer (see `strategyConfigSchema`). */
export type AdaptiveParams = Omit<ConfigOf<'fedadam'>, 'name' | 'clipNorm'>;

/** The result of {@link adaptiveStep}. */
export interface AdaptiveStep {
  readonly weights: Float32Array;
  /** First moment after the step. */
  readonly m: Float32Array;
  /** Second moment after the step. */
  readonly v: Float32Array;
}

/**
 * One server step of Algorithm 2 of Reddi et al. (2021), "Adaptive Federated Optimization", on
 * the mean delta Δ, element-wise in float64:
 *
 * ```
 * m' = β₁·m + (1 − β₁)·Δ
 * v' = v + Δ²                               (adagrad)
 * v' = β₂·v + (1 − β₂)·Δ²                   (adam)
 * v' = v − (1 − β₂)·Δ²·sign(v − Δ²)         (yogi)
 * w' = base + η·m' / (√v' + τ)
 * ```
 *
 * Round 1 (`m`, `v` undefined) starts from m = 0 and v = τ², as the paper's v₋₁ ≥ τ². There is no
 * bias correction, as in the paper. The new moments are rounded to float32 once, for storage; the
 * weights use their float64 values.
 *
 * @throws SiloError `ERR_BAD_INPUT` when a result overflows float32.
 */
export function adaptiveStep(
  rule: SecondMomentRule,
  base: Float32Array,
  delta: Float64Array,
  moments: readonly Float32Array[] | undefined,
  params: AdaptiveParams,
): AdaptiveStep {
  const { serverLearningRate: eta, beta1, beta2, tau } = params;
  const [m0, v0] = moments ?? [];
  const v1 = tau * tau;
  const length = base.length;
  const weights = new Float32Array(length);
  const m = new Float32Array(length);
  const v = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const d = delta[i] as number;
    const d2 = d * d;
    const mPrev = m0 === undefined ? 0 : (m0[i] as number);
    const vPrev = v0 === undefined ? v1 : (v0[i] as number);
    const mNext = beta1 * mPrev + (1 - beta1) * d;
    let vNext: number;
    if (rule === 'adam') vNext = beta2 * vPrev + (1 - beta2) * d2;
    else if (rule === 'yogi') vNext = vPrev - (1 - beta2) * d2 * Math.sign(vPrev - d2);
    else vNext = vPrev + d2;
    m[i] = mNext;
    v[i] = vNext;
    weights[i] = (base[i] as number) + (eta * mNext) / (Math.sqrt(vNext) + tau);
  }
  assertNoOverflow(`fed${rule}`, weights, m, v);
  return { weights, m, v };
}

/**
 * The whole `aggregate` of an adaptive strategy: FedAvg's mean delta, then {@link adaptiveStep}
 * from the previous state `[m, v]`.
 *
 * @throws SiloError as `FedAvg.aggregate`, and `ERR_BAD_INPUT` for a state that is not this
 *   strategy's or a result that overflows float32.
 */
export function adaptiveAggregate(
  strategy: string,
  rule: SecondMomentRule,
  params: AdaptiveParams,
  base: Float32Array,
  updates: readonly ClientUpdate[],
  state: StrategyState | undefined,
): AggregateResult {
  const previous = stateVectors(state, strategy, 2, base.length);
  const { mean, totalExamples, numUpdates } = weightedMeanDelta(strategy, base, updates);
  const { weights, m, v } = adaptiveStep(rule, base, mean, previous, params);
  return { weights, totalExamples, numUpdates, state: { strategy, vectors: [m, v] } };
}

/** The parameters of an adaptive strategy's validated config. */
export function adaptiveParams(config: AdaptiveParams): AdaptiveParams {
  const { serverLearningRate, beta1, beta2, tau } = config;
  return { serverLearningRate, beta1, beta2, tau };
}
