import { describe, it, expect } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { FedAvg } from './fedavg.js';
import { FedAvgM } from './fedavgm.js';
import { decodeState, encodeState, type StrategyState } from './state.js';
import { permutations, randomUpdates } from './strategy.fixture.js';

describe('FedAvgM', () => {
  const strategy = new FedAvgM({ serverLearningRate: 0.5, serverMomentum: 0.5 });

  it('matches two hand-computed rounds with the velocity carried through its bytes', () => {
    // Round 1: base [1, 2]; a (n=1) δ=[2, 0], b (n=3) δ=[-2, 4]: Δ = [2 - 6, 0 + 12] / 4 = [-1, 3].
    // u₁ = 0.5·0 + Δ = [-1, 3]; w₁ = [1, 2] + 0.5·[-1, 3] = [0.5, 3.5].
    const first = strategy.aggregate(Float32Array.from([1, 2]), [
      { keyId: 'b', numExamples: 3, delta: Float32Array.from([-2, 4]) },
      { keyId: 'a', numExamples: 1, delta: Float32Array.from([2, 0]) },
    ]);
    expect(Array.from(first.weights)).toEqual([0.5, 3.5]);
    expect(first.totalExamples).toBe(4);
    const state = first.state as StrategyState;
    expect(state.strategy).toBe('fedavgm');
    expect(state.vectors.map((v) => Array.from(v))).toEqual([[-1, 3]]);

    // Round 2: a (n=1) δ=[1, 1], b (n=1) δ=[3, -1]: Δ = [2, 0].
    // u₂ = 0.5·[-1, 3] + [2, 0] = [1.5, 1.5]; w₂ = [0.5, 3.5] + 0.5·[1.5, 1.5] = [1.25, 4.25].
    const second = strategy.aggregate(
      first.weights,
      [
        { keyId: 'a', numExamples: 1, delta: Float32Array.from([1, 1]) },
        { keyId: 'b', numExamples: 1, delta: Float32Array.from([3, -1]) },
      ],
      decodeState(encodeState(state), 2),
    );
    expect(Array.from(second.weights)).toEqual([1.25, 4.25]);
    expect(second.state?.vectors.map((v) => Array.from(v))).toEqual([[1.5, 1.5]]);
  });

  it('is FedAvg, bit for bit, with no momentum and a unit server learning rate', () => {
    const base = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i));
    const updates = randomUpdates(5, 300, 3);
    const plain = new FedAvgM({ serverLearningRate: 1, serverMomentum: 0 });
    expect(digestWeights(plain.aggregate(base, updates).weights)).toBe(
      digestWeights(new FedAvg().aggregate(base, updates).weights),
    );
  });

  it('is bit-identical for every arrival order', () => {
    const base = new Float32Array(64).fill(-0.25);
    const updates = randomUpdates(4, 64, 11);
    const state = strategy.aggregate(base, randomUpdates(3, 64, 12)).state;
    const reference = digestWeights(strategy.aggregate(base, updates, state).weights);
    for (const order of permutations(updates)) {
      expect(digestWeights(strategy.aggregate(base, order, state).weights)).toBe(reference);
    }
  });

  it('refuses a state of another strategy or shape', () => {
    const update = [{ keyId: 'a', numExamples: 1, delta: Float32Array.from([1, 1]) }];
    const base = new Float32Array(2);
    const velocity = new Float32Array(2);
    expect(() => strategy.aggregate(base, update, { strategy: 'fedadam', vectors: [velocity] })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    expect(() =>
      strategy.aggregate(base, update, { strategy: 'fedavgm', vectors: [velocity, velocity] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() =>
      strategy.aggregate(base, update, { strategy: 'fedavgm', vectors: [new Float32Array(3)] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }));
    expect(() =>
      strategy.aggregate(base, update, {
        strategy: 'fedavgm',
        vectors: [Float32Array.from([0, Number.NaN])],
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });

  it('refuses a NaN in an update, naming the worker', () => {
    expect(() =>
      strategy.aggregate(new Float32Array(1), [
        { keyId: 'k9', numExamples: 1, delta: Float32Array.from([Number.NaN]) },
      ]),
    ).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT', message: expect.stringContaining('k9') as unknown }),
    );
  });

  it('fills in defaults and refuses parameters out of range', () => {
    const defaults = new FedAvgM();
    expect([defaults.serverLearningRate, defaults.serverMomentum]).toEqual([1, 0.9]);
    for (const bad of [{ serverMomentum: 1 }, { serverMomentum: -0.5 }, { serverLearningRate: 0 }]) {
      expect(() => new FedAvgM(bad)).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    }
  });
});
