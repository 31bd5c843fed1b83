import { describe, it, expect } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { FedAdagrad } from './fedadagrad.js';
import { FedAdam } from './fedadam.js';
import { FedYogi } from './fedyogi.js';
import { decodeState, encodeState, type StrategyState } from './state.js';
import type { AggregateResult } from './strategy.js';
import { permutations, randomUpdates } from './strategy.fixture.js';

// The three server optimizers of Reddi et al. (2021) differ only in how v moves, so they share
// these tests. All run the same two rounds with η = 1, β₁ = 0.5, β₂ = 0.5, τ = 1 (so v starts at
// τ² = 1):
// round 1 from base [0, 0], a (n=1) δ=[3, 7] and b (n=1) δ=[-1, 7]: Δ₁ = [1, 7];
// round 2 from round 1's weights, a (n=3) δ=[4, -1] and b (n=1) δ=[0, -1]: Δ₂ = [12/4, -4/4] = [3, -1].
// In both rounds m' = 0.5·m + 0.5·Δ: m₁ = [0.5, 3.5], m₂ = [0.25 + 1.5, 1.75 - 0.5] = [1.75, 1.25].
//
// FedAdam, v' = 0.5·v + 0.5·Δ²: v₁ = [0.5 + 0.5, 0.5 + 24.5] = [1, 25]; v₂ = [0.5 + 4.5, 12.5 + 0.5] = [5, 13].
// w₁ = [0.5 / (1 + 1), 3.5 / (5 + 1)] = [0.25, 0.583333]
// w₂ = w₁ + [1.75 / (√5 + 1), 1.25 / (√13 + 1)] = w₁ + [1.75 / 3.236068, 1.25 / 4.605551]
//    = [0.25 + 0.540780, 0.583333 + 0.271412] = [0.790780, 0.854745]
//
// FedYogi, v' = v − 0.5·Δ²·sign(v − Δ²):
// v₁ = [1 − 0.5·1·sign(0), 1 − 0.5·49·sign(−48)] = [1, 25.5]
// v₂ = [1 − 0.5·9·sign(−8), 25.5 − 0.5·1·sign(24.5)] = [5.5, 25]
// w₁ = [0.5 / (1 + 1), 3.5 / (√25.5 + 1)] = [0.25, 3.5 / 6.049752] = [0.25, 0.578536]
// w₂ = w₁ + [1.75 / (√5.5 + 1), 1.25 / (5 + 1)] = w₁ + [1.75 / 3.345208, 0.208333]
//    = [0.25 + 0.523136, 0.578536 + 0.208333] = [0.773136, 0.786869]
//
// FedAdagrad, v' = v + Δ²: v₁ = [1 + 1, 1 + 49] = [2, 50]; v₂ = [2 + 9, 50 + 1] = [11, 51].
// w₁ = [0.5 / (√2 + 1), 3.5 / (√50 + 1)] = [0.5 / 2.414214, 3.5 / 8.071068] = [0.207107, 0.433648]
// w₂ = w₁ + [1.75 / (√11 + 1), 1.25 / (√51 + 1)] = w₁ + [1.75 / 4.316625, 1.25 / 8.141428]
//    = [0.207107 + 0.405409, 0.433648 + 0.153536] = [0.612516, 0.587183]
const CASES = [
  {
    name: 'fedadam',
    Strategy: FedAdam,
    other: 'fedyogi',
    v1: [1, 25],
    w1: [0.25, 0.583333],
    v2: [5, 13],
    w2: [0.79078, 0.854745],
  },
  {
    name: 'fedyogi',
    Strategy: FedYogi,
    other: 'fedadam',
    v1: [1, 25.5],
    w1: [0.25, 0.578536],
    v2: [5.5, 25],
    w2: [0.773136, 0.786869],
  },
  {
    name: 'fedadagrad',
    Strategy: FedAdagrad,
    other: 'fedyogi',
    v1: [2, 50],
    w1: [0.207107, 0.433648],
    v2: [11, 51],
    w2: [0.612516, 0.587183],
  },
];

const params = { serverLearningRate: 1, beta1: 0.5, beta2: 0.5, tau: 1 };
const round1 = [
  { keyId: 'a', numExamples: 1, delta: Float32Array.from([3, 7]) },
  { keyId: 'b', numExamples: 1, delta: Float32Array.from([-1, 7]) },
];
const round2 = [
  { keyId: 'a', numExamples: 3, delta: Float32Array.from([4, -1]) },
  { keyId: 'b', numExamples: 1, delta: Float32Array.from([0, -1]) },
];

function expectClose(actual: Float32Array, expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 5));
}

function stateOf(result: AggregateResult): StrategyState {
  expect(result.state).toBeDefined();
  return result.state as StrategyState;
}

describe.each(CASES)('$name', ({ name, Strategy, other, v1, w1, v2, w2 }) => {
  const strategy = new Strategy(params);

  it('matches two hand-computed rounds with the state carried through its bytes', () => {
    const first = strategy.aggregate(new Float32Array(2), round1);
    expectClose(first.weights, w1);
    const state1 = stateOf(first);
    expect(state1.strategy).toBe(name);
    expect(state1.vectors.map((v) => Array.from(v))).toEqual([[0.5, 3.5], v1]);
    expect(first.totalExamples).toBe(2);

    const carried = decodeState(encodeState(state1), 2);
    expect(carried).toEqual(state1);
    const second = strategy.aggregate(first.weights, round2, carried);
    expectClose(second.weights, w2);
    expect(stateOf(second).vectors.map((v) => Array.from(v))).toEqual([[1.75, 1.25], v2]);
    // The state object itself and its decoded bytes give the same bits.
    expect(digestWeights(strategy.aggregate(first.weights, round2, state1).weights)).toBe(
      digestWeights(second.weights),
    );
  });

  it('starts from m = 0, v = τ² without a state, so round 2 without one differs', () => {
    const first = strategy.aggregate(new Float32Array(2), round1);
    const restarted = strategy.aggregate(first.weights, round2);
    expect(digestWeights(restarted.weights)).not.toBe(
      digestWeights(strategy.aggregate(first.weights, round2, first.state).weights),
    );
  });

  it('is bit-identical for every arrival order', () => {
    const updates = randomUpdates(4, 100, 7);
    const base = new Float32Array(100).fill(0.5);
    const state = strategy.aggregate(base, randomUpdates(4, 100, 8)).state;
    const reference = strategy.aggregate(base, updates, state);
    for (const order of permutations(updates)) {
      const result = strategy.aggregate(base, order, state);
      expect(digestWeights(result.weights)).toBe(digestWeights(reference.weights));
      expect(encodeState(stateOf(result))).toEqual(encodeState(stateOf(reference)));
    }
  });

  it('refuses the state of another strategy or another model', () => {
    const state = stateOf(strategy.aggregate(new Float32Array(2), round1));
    expect(() => strategy.aggregate(new Float32Array(2), round1, { ...state, strategy: other })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    expect(() =>
      strategy.aggregate(new Float32Array(2), round1, {
        ...state,
        vectors: [state.vectors[0] as Float32Array],
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() =>
      strategy.aggregate(
        new Float32Array(3),
        [{ keyId: 'a', numExamples: 1, delta: new Float32Array(3) }],
        state,
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }));
  });

  it('refuses a NaN in an update, naming the worker', () => {
    const updates = [{ keyId: 'w7', numExamples: 1, delta: Float32Array.from([0, Number.NaN]) }];
    expect(() => strategy.aggregate(new Float32Array(2), updates)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT', message: expect.stringContaining('w7') as unknown }),
    );
  });

  it('refuses a result that overflows float32', () => {
    const huge = new Strategy({ ...params, serverLearningRate: 1e39 });
    expect(() =>
      huge.aggregate(Float32Array.from([3e38]), [
        { keyId: 'a', numExamples: 1, delta: Float32Array.from([1]) },
      ]),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('overflows') as unknown,
      }),
    );
  });

  it('fills in defaults and refuses parameters out of range', () => {
    expect(new Strategy().params).toEqual({ serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 0.001 });
    for (const bad of [{ beta1: 1 }, { beta2: -0.1 }, { tau: 0 }, { serverLearningRate: Number.NaN }]) {
      expect(() => new Strategy(bad)).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    }
  });
});
