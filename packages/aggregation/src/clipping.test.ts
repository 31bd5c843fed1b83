import { describe, it, expect } from 'vitest';
import { l2Norm } from '@silo/tensors';
import { NormClipping, clipDelta } from './clipping.js';
import { FedAdam } from './fedadam.js';
import { FedAvg } from './fedavg.js';
import type { AggregateResult, ClientUpdate, Strategy } from './strategy.js';
import { randomUpdates, updatesOf } from './strategy.fixture.js';
import { AT_LEAST_ONE } from './updates.js';

/** A strategy that records what it was given. */
class Recorder implements Strategy {
  readonly name = 'recorder';
  readonly stateful = false;
  readonly updateCount = AT_LEAST_ONE;
  seen: readonly ClientUpdate[] = [];
  aggregate(base: Float32Array, updates: readonly ClientUpdate[]): AggregateResult {
    this.seen = updates;
    return { weights: base, totalExamples: 0, numUpdates: updates.length };
  }
}

describe('clipDelta', () => {
  it('scales a delta over the bound onto it', () => {
    // ‖[3, 4]‖ = 5; to norm 1: [0.6, 0.8]
    const clipped = clipDelta(Float32Array.from([3, 4]), 1);
    expect(clipped[0]).toBeCloseTo(0.6, 7);
    expect(clipped[1]).toBeCloseTo(0.8, 7);
  });

  it('returns a delta within the bound unchanged, as the same array', () => {
    const delta = Float32Array.from([3, 4]);
    expect(clipDelta(delta, 5)).toBe(delta);
    expect(clipDelta(delta, 6)).toBe(delta);
  });

  it('leaves non-finite deltas for the strategy to refuse', () => {
    const delta = Float32Array.from([Number.POSITIVE_INFINITY, 1]);
    expect(clipDelta(delta, 1)).toBe(delta);
  });
});

describe('NormClipping', () => {
  it('bounds the norm of every delta the strategy sees', () => {
    const recorder = new Recorder();
    const updates = randomUpdates(6, 500, 71).map((u, k) => ({
      ...u,
      delta: u.delta.map((x) => x * 10 ** (k - 2)), // norms from ~0.1 to ~1000
    }));
    new NormClipping(recorder, 3).aggregate(new Float32Array(500), updates);
    expect(recorder.seen).toHaveLength(6);
    let clipped = 0;
    recorder.seen.forEach((seen, k) => {
      const original = updates[k] as ClientUpdate;
      expect(seen.keyId).toBe(original.keyId);
      expect(seen.numExamples).toBe(original.numExamples);
      expect(l2Norm(seen.delta)).toBeLessThanOrEqual(3 * (1 + 1e-6));
      if (l2Norm(original.delta) > 3) {
        clipped++;
        expect(l2Norm(seen.delta)).toBeCloseTo(3, 5);
      } else {
        expect(seen.delta).toBe(original.delta);
      }
    });
    expect(clipped).toBeGreaterThan(0);
    expect(clipped).toBeLessThan(6);
  });

  it('matches a hand-computed clipped FedAvg', () => {
    // clip 1: a [3, 4] → [0.6, 0.8]; b [0, 0.5] stays. Mean (n = 1 each): [0.3, 0.65].
    const result = new NormClipping(new FedAvg(), 1).aggregate(
      Float32Array.from([1, 1]),
      updatesOf([3, 4], [0, 0.5]),
    );
    expect(result.weights[0]).toBeCloseTo(1.3, 6);
    expect(result.weights[1]).toBeCloseTo(1.65, 6);
  });

  it('passes state through a stateful strategy', () => {
    const clipped = new NormClipping(new FedAdam(), 1);
    expect(clipped.stateful).toBe(true);
    expect(clipped.name).toBe('fedadam');
    const first = clipped.aggregate(new Float32Array(2), updatesOf([3, 4]));
    expect(first.state?.strategy).toBe('fedadam');
    expect(() => clipped.aggregate(first.weights, updatesOf([1, 1]), first.state)).not.toThrow();
  });

  it('lets the strategy refuse NaN, naming the worker', () => {
    expect(() =>
      new NormClipping(new FedAvg(), 1).aggregate(new Float32Array(2), updatesOf([1, 1], [0, Number.NaN])),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('from b') as unknown,
      }),
    );
  });

  it('refuses a bound that is not positive and finite', () => {
    for (const bound of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new NormClipping(new FedAvg(), bound)).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
      );
    }
  });
});
