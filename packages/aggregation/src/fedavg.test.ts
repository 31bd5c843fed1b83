import { describe, it, expect } from 'vitest';
import { createRng } from '@silo/common';
import { digestWeights } from '@silo/tensors';
import { FedAvg, weightedMeanDelta } from './fedavg.js';
import { SUM_BLOCK, applyDelta } from './weighted-mean.js';
import type { ClientUpdate } from './strategy.js';

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('FedAvg', () => {
  const fedavg = new FedAvg();

  it('matches a hand-computed average', () => {
    // base = [1, 2, 3]; a: n=1, δ=[1, 0, -2]; b: n=3, δ=[-1, 4, 2]
    // Σn = 4; Σ n·δ = [1 - 3, 0 + 12, -2 + 6] = [-2, 12, 4]; / 4 = [-0.5, 3, 1]
    // new = base + mean = [0.5, 5, 4]
    const result = fedavg.aggregate(Float32Array.from([1, 2, 3]), [
      { keyId: 'b', numExamples: 3, delta: Float32Array.from([-1, 4, 2]) },
      { keyId: 'a', numExamples: 1, delta: Float32Array.from([1, 0, -2]) },
    ]);
    expect(Array.from(result.weights)).toEqual([0.5, 5, 4]);
    expect(result.totalExamples).toBe(4);
    expect(result.numUpdates).toBe(2);
    expect(fedavg.name).toBe('fedavg');
  });

  it('matches a hand-computed average with inexact values', () => {
    // base = [0.1]; a: n=2, δ=[0.3]; b: n=1, δ=[-0.6]; c: n=1, δ=[0.4]
    // {a, b}:    Σn = 3, Σ n·δ = 0.6 - 0.6 = 0,          mean 0   → new ≈ 0.1
    // {a, b, c}: Σn = 4, Σ n·δ = 0.6 - 0.6 + 0.4 = 0.4,  mean 0.1 → new ≈ 0.2
    // (≈ because 0.1, 0.3, 0.6 and 0.4 are rounded to float32 on the way in)
    const base = Float32Array.from([0.1]);
    const a = { keyId: 'a', numExamples: 2, delta: Float32Array.from([0.3]) };
    const b = { keyId: 'b', numExamples: 1, delta: Float32Array.from([-0.6]) };
    const c = { keyId: 'c', numExamples: 1, delta: Float32Array.from([0.4]) };
    expect(fedavg.aggregate(base, [a, b]).weights[0]).toBeCloseTo(0.1, 6);
    expect(fedavg.aggregate(base, [a, b, c]).weights[0]).toBeCloseTo(0.2, 6);
  });

  it('is bit-identical for every arrival order', () => {
    const random = createRng(42);
    const length = 257;
    const base = Float32Array.from({ length }, () => random() * 2 - 1);
    const updates: ClientUpdate[] = Array.from({ length: 5 }, (_, k) => ({
      keyId: `worker-${k}`,
      numExamples: 1 + Math.floor(random() * 1000),
      delta: Float32Array.from({ length }, () => (random() - 0.5) * 10 ** Math.floor(random() * 8 - 4)),
    }));
    // Element 0 cancels catastrophically: workers 0 and 1 contribute +n·2^60 and -n·2^60, the
    // others 1. Added in key-id order the large terms cancel first and the small
    // ones survive; in most other orders a small term is absorbed by a large one (spacing
    // 2^18 near 2^70) and lost. Ordinary data would not catch an order-dependent sum: float64
    // differences rarely survive the final rounding to float32.
    const [first, second, ...rest] = updates as [ClientUpdate, ClientUpdate, ...ClientUpdate[]];
    second.numExamples = first.numExamples;
    first.delta[0] = 2 ** 60;
    second.delta[0] = -(2 ** 60);
    for (const u of rest) u.delta[0] = 1;
    const restExamples = rest.reduce((sum, u) => sum + u.numExamples, 0);
    const totalExamples = updates.reduce((sum, u) => sum + u.numExamples, 0);

    const result = fedavg.aggregate(base, updates);
    expect(result.weights[0]).toBeCloseTo((base[0] as number) + restExamples / totalExamples, 6);

    // Equal SHA-256 digests of the canonical bytes mean bit-identical weights.
    const reference = digestWeights(result.weights);
    const orders = permutations(updates);
    expect(orders).toHaveLength(120);
    for (const order of orders) {
      expect(digestWeights(fedavg.aggregate(base, order).weights)).toBe(reference);
    }
  });

  it('equals the float64 mean added to the base, bit for bit, across sum blocks', () => {
    const random = createRng(11);
    const length = 2 * SUM_BLOCK + 999;
    const base = Float32Array.from({ length }, () => random() * 2 - 1);
    const updates: ClientUpdate[] = Array.from({ length: 6 }, (_, k) => ({
      keyId: `worker-${k}`,
      numExamples: 1 + Math.floor(random() * 1000),
      delta: Float32Array.from({ length }, () => (random() - 0.5) * 10 ** Math.floor(random() * 8 - 4)),
    }));
    const { mean } = weightedMeanDelta('fedavg', base, updates);
    const expected = applyDelta(base, mean);
    expect(digestWeights(fedavg.aggregate(base, updates).weights)).toBe(digestWeights(expected));
  });

  it('accumulates in float64', () => {
    // One update of 2^24 then 1000 updates of 1, all with n=1. In float32, 2^24 + 1 rounds back
    // to 2^24, so a float32 sum would stay 2^24 and give 2^24 / 1001 ≈ 16760.456. The true mean
    // is (2^24 + 1000) / 1001 ≈ 16761.455, one whole unit away.
    const updates: ClientUpdate[] = [{ keyId: 'a-big', numExamples: 1, delta: Float32Array.from([2 ** 24]) }];
    for (let i = 0; i < 1000; i++) {
      updates.push({
        keyId: `b-${String(i).padStart(4, '0')}`,
        numExamples: 1,
        delta: Float32Array.from([1]),
      });
    }
    const result = fedavg.aggregate(Float32Array.from([0]), updates);
    const expected = (2 ** 24 + 1000) / 1001;
    // float32 spacing near 16761 is 2^-9 ≈ 0.00195.
    expect(Math.abs((result.weights[0] as number) - expected)).toBeLessThan(0.002);
    expect(result.totalExamples).toBe(1001);
  });

  it('rejects no updates', () => {
    expect(() => fedavg.aggregate(new Float32Array(2), [])).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });

  it('rejects a delta whose length differs from the base', () => {
    expect(() =>
      fedavg.aggregate(new Float32Array(3), [
        { keyId: 'a', numExamples: 1, delta: new Float32Array(3) },
        { keyId: 'b', numExamples: 1, delta: new Float32Array(2) },
      ]),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_SHAPE_MISMATCH',
        message: expect.stringContaining('from b') as unknown,
      }),
    );
  });

  it.each([0, -5, 2.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects numExamples %s', (numExamples) => {
    expect(() =>
      fedavg.aggregate(new Float32Array(1), [{ keyId: 'a', numExamples, delta: new Float32Array(1) }]),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });

  it('rejects two updates from the same key', () => {
    const update = { keyId: 'a', numExamples: 1, delta: new Float32Array(1) };
    expect(() => fedavg.aggregate(new Float32Array(1), [update, { ...update }])).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });

  it('rejects non-finite values and names the worker', () => {
    expect(() =>
      fedavg.aggregate(new Float32Array(2), [
        { keyId: 'k1', numExamples: 1, delta: Float32Array.from([0, Number.NaN]) },
      ]),
    ).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT', message: expect.stringContaining('k1') as unknown }),
    );
    expect(() =>
      fedavg.aggregate(Float32Array.from([0, Number.POSITIVE_INFINITY]), [
        { keyId: 'k1', numExamples: 1, delta: new Float32Array(2) },
      ]),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: 'base weights[1] is Infinity; every value must be finite',
      }),
    );
  });

  it('rejects an aggregate that overflows float32', () => {
    // 3e38 + 1e38 is finite in float64 and past float32's largest value, about 3.4e38.
    const update = { keyId: 'k1', numExamples: 1, delta: Float32Array.from([0, 1e38]) };
    expect(() => fedavg.aggregate(Float32Array.from([1, 3e38]), [update])).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: 'the aggregate is Infinity at value 1: it overflows float32',
      }),
    );
  });

  it('rounds each value as Math.fround does on the SIMD path: ties, subnormals, float32 extremes', () => {
    // Values whose float64 result sits on or next to a float32 rounding boundary.
    const edges = [
      1 + 2 ** -24, // a tie: rounds to even (1)
      1 + 3 * 2 ** -24, // a tie: rounds to even (1 + 2^-22)
      1 + 2 ** -24 + 2 ** -50, // just past a tie: rounds up
      2 ** -149, // the smallest subnormal
      2 ** -150, // half of it: a tie, rounds to 0
      3 * 2 ** -151, // rounds up to the smallest subnormal
      -(2 ** -126) * 0.75, // a negative subnormal
      3.4028234663852886e38, // float32's largest
      -0,
      0.1,
      1 / 3,
      -123456.789,
    ];
    const length = 4 * 40 + 3; // whole groups of four for the kernel and a scalar tail
    const base = Float32Array.from({ length }, (_, i) => (i % 3 === 0 ? 0 : (i % 7) - 3));
    // Two updates of weights 3 and 7: the mean is (3·a + 7·b) / 10, divided as the auditor divides.
    const a = Float32Array.from({ length }, (_, i) => (edges[i % edges.length] as number) * (i % 2 ? 1 : -1));
    const b = Float32Array.from({ length }, (_, i) => (edges[(i * 5) % edges.length] as number) / 2);
    const updates = [
      { keyId: 'a', numExamples: 3, delta: a },
      { keyId: 'b', numExamples: 7, delta: b },
    ];
    const expected = base.map((x, i) => Math.fround(x + (3 * (a[i] as number) + 7 * (b[i] as number)) / 10));
    const got = fedavg.aggregate(base, updates).weights;
    expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it.each([5, 4 * 8 + 2, 4 * 10 + 1])('names the first value that overflows float32, at index %i', (at) => {
    const length = 4 * 10 + 3;
    const base = new Float32Array(length).fill(1);
    base[at] = 3e38;
    const delta = new Float32Array(length);
    delta[at] = 1e38;
    expect(() => fedavg.aggregate(base, [{ keyId: 'k1', numExamples: 1, delta }])).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: `the aggregate is Infinity at value ${at}: it overflows float32`,
      }),
    );
  });

  it('does not modify its inputs', () => {
    const base = Float32Array.from([1, 2]);
    const delta = Float32Array.from([1, 1]);
    fedavg.aggregate(base, [{ keyId: 'a', numExamples: 2, delta }]);
    expect(Array.from(base)).toEqual([1, 2]);
    expect(Array.from(delta)).toEqual([1, 1]);
  });
});
