import { describe, expect, it } from 'vitest';
import { dpMeanDelta, epsilonOfRounds, privatizeDelta } from './dp-round.js';
import { PrivacyAccountant } from './privacy-accountant.js';

const badInput = (): Error => expect.objectContaining({ code: 'ERR_BAD_INPUT' }) as Error;

describe('dpMeanDelta', () => {
  const a = { keyId: 'a', delta: Float32Array.from([3, 4]) }; // norm 5
  const b = { keyId: 'b', delta: Float32Array.from([1, 0]) }; // norm 1

  it('clips each delta, adds the noise and divides by the fixed denominator (central)', () => {
    const noise = Float32Array.from([0.5, -1]);
    const mean = dpMeanDelta([a, b], { clipNorm: 2, mode: 'central', denominator: 4 }, noise);
    // a clipped to norm 2 is (1.2, 1.6); b is within the bound.
    expect(Array.from(mean)).toEqual([Math.fround((1.2 + 1 + 0.5) / 4), Math.fround((1.6 + 0 - 1) / 4)]);
  });

  it('sums local-mode deltas as sent: the workers clipped and noised them', () => {
    const mean = dpMeanDelta([a, b], { clipNorm: 2, mode: 'local', denominator: 2 }, undefined);
    expect(Array.from(mean)).toEqual([2, 2]);
  });

  it('does not depend on the order of the updates', () => {
    const rows = Array.from({ length: 7 }, (_, k) => ({
      keyId: `w${k}`,
      delta: Float32Array.from({ length: 33 }, (_, i) => Math.sin(k * 33 + i) * 10 ** (k - 3)),
    }));
    const noise = Float32Array.from({ length: 33 }, (_, i) => Math.cos(i));
    const options = { clipNorm: 1, mode: 'central' as const, denominator: 7 };
    const forward = dpMeanDelta(rows, options, noise);
    const backward = dpMeanDelta([...rows].reverse(), options, noise);
    expect(Buffer.from(backward.buffer)).toEqual(Buffer.from(forward.buffer));
  });

  it('refuses what would break the guarantee or the recomputation', () => {
    const central = { clipNorm: 1, mode: 'central' as const, denominator: 2 };
    expect(() => dpMeanDelta([], central, new Float32Array(2))).toThrow(badInput());
    expect(() => dpMeanDelta([a, b], central, undefined)).toThrow(badInput());
    expect(() => dpMeanDelta([a, b], { ...central, mode: 'local' }, new Float32Array(2))).toThrow(badInput());
    expect(() => dpMeanDelta([a, a], central, new Float32Array(2))).toThrow(/two updates from a/);
    expect(() => dpMeanDelta([a, b], { ...central, denominator: 0 }, new Float32Array(2))).toThrow(
      badInput(),
    );
    expect(() => dpMeanDelta([a, b], central, new Float32Array(3))).toThrow(/noise has 3 values/);
    expect(() =>
      dpMeanDelta([a, { keyId: 'c', delta: new Float32Array(3) }], central, new Float32Array(2)),
    ).toThrow(/expected 2/);
    const infinite = { keyId: 'c', delta: Float32Array.from([Infinity, 0]) };
    expect(() => dpMeanDelta([a, infinite], central, new Float32Array(2))).toThrow(/not finite/);
  });
});

describe('epsilonOfRounds', () => {
  it('is 0 for no rounds and agrees with the accountant for equal rounds', () => {
    expect(epsilonOfRounds([], 1e-5)).toBe(0);
    const accountant = new PrivacyAccountant({ noiseMultiplier: 1.1, samplingRate: 0.1, delta: 1e-5 });
    accountant.step(20);
    const rounds = Array.from({ length: 20 }, () => ({ samplingRate: 0.1, noiseMultiplier: 1.1 }));
    expect(epsilonOfRounds(rounds, 1e-5)).toBeCloseTo(accountant.epsilon, 12);
  });

  it('grows with every round and with less noise', () => {
    const round = { samplingRate: 0.5, noiseMultiplier: 2 };
    const five = epsilonOfRounds(
      Array.from({ length: 5 }, () => round),
      1e-5,
    );
    const six = epsilonOfRounds(
      [...Array.from({ length: 5 }, () => round), { ...round, noiseMultiplier: 4 }],
      1e-5,
    );
    const sixLessNoise = epsilonOfRounds(
      [...Array.from({ length: 5 }, () => round), { ...round, noiseMultiplier: 1 }],
      1e-5,
    );
    expect(six).toBeGreaterThan(five);
    expect(sixLessNoise).toBeGreaterThan(six);
  });

  it('refuses a bad sampling rate', () => {
    expect(() => epsilonOfRounds([{ samplingRate: 0, noiseMultiplier: 1 }], 1e-5)).toThrow(badInput());
  });
});

/** The L2 norm, in float64. */
const l2Norm = (v: Float32Array): number => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));

describe('privatizeDelta', () => {
  const big = Float32Array.from({ length: 20_000 }, (_, i) => Math.sin(i));

  it('clips in central mode and leaves the input alone', () => {
    const copy = Float32Array.from(big);
    const out = privatizeDelta(big, { mode: 'central', clipNorm: 1, noiseMultiplier: 1 });
    expect(l2Norm(out)).toBeCloseTo(1, 5);
    expect(big).toEqual(copy);
    const small = Float32Array.from([0.1, 0.2]);
    expect(privatizeDelta(small, { mode: 'central', clipNorm: 1, noiseMultiplier: 1 })).toBe(small);
  });

  it("adds the worker's share of the noise in local mode: σ = zC/√shares", () => {
    const zero = new Float32Array(20_000);
    const out = privatizeDelta(zero, { mode: 'local', clipNorm: 2, noiseMultiplier: 1.5, shares: 4 });
    const rms = l2Norm(out) / Math.sqrt(out.length);
    expect(rms).toBeGreaterThan(1.5 * 0.97);
    expect(rms).toBeLessThan(1.5 * 1.03);
    expect(zero.every((x) => x === 0)).toBe(true);
  });

  it('refuses settings that give no guarantee', () => {
    const delta = new Float32Array(4);
    expect(() => privatizeDelta(delta, { mode: 'local', clipNorm: 0, noiseMultiplier: 1 })).toThrow(
      badInput(),
    );
    expect(() => privatizeDelta(delta, { mode: 'local', clipNorm: 1, noiseMultiplier: NaN })).toThrow(
      badInput(),
    );
    expect(() =>
      privatizeDelta(delta, { mode: 'local', clipNorm: 1, noiseMultiplier: 1, shares: 0.5 }),
    ).toThrow(badInput());
  });
});
