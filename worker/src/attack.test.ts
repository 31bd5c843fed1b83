import { describe, expect, it } from 'vitest';
import { attackDelta, attackSeed, flipLabels, formatAttack, parseAttack } from './attack.js';

describe('parseAttack', () => {
  it('reads every accepted form and formats it back', () => {
    for (const [text, attack] of [
      ['sign-flip', { kind: 'sign-flip' }],
      ['label-flip', { kind: 'label-flip' }],
      ['scale:-10', { kind: 'scale', factor: -10 }],
      ['scale:2.5', { kind: 'scale', factor: 2.5 }],
      ['gaussian:1', { kind: 'gaussian', sigma: 1 }],
      ['gaussian:0.25', { kind: 'gaussian', sigma: 0.25 }],
    ] as const) {
      expect(parseAttack(text)).toEqual(attack);
      expect(formatAttack(parseAttack(text))).toBe(text);
    }
    expect(parseAttack(' sign-flip ')).toEqual({ kind: 'sign-flip' });
  });

  it('refuses anything else with ERR_BAD_CONFIG naming the value', () => {
    for (const text of [
      '',
      'flip',
      'scale',
      'scale:',
      'scale:x',
      'scale:Infinity',
      'gaussian:0',
      'gaussian:-1',
      'sign-flip:2',
      'label-flip:1',
    ]) {
      expect(() => parseAttack(text)).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
      expect(() => parseAttack(text)).toThrow(JSON.stringify(text));
    }
  });
});

describe('attackDelta', () => {
  const delta = Float32Array.from([1, -2, 0.5, 0]);

  it('sign-flip negates every value, leaving the input alone', () => {
    expect(Array.from(attackDelta({ kind: 'sign-flip' }, delta, 0))).toEqual([-1, 2, -0.5, -0]);
    expect(Array.from(delta)).toEqual([1, -2, 0.5, 0]);
  });

  it('scale multiplies by its factor', () => {
    expect(Array.from(attackDelta({ kind: 'scale', factor: -10 }, delta, 0))).toEqual([-10, 20, -5, -0]);
  });

  it('label-flip sends the delta it trained, unchanged', () => {
    expect(attackDelta({ kind: 'label-flip' }, delta, 0)).toBe(delta);
  });

  it('gaussian sends seeded N(0, σ²) noise of the same length instead of the delta', () => {
    const sigma = 2;
    const long = new Float32Array(20_001);
    const noise = attackDelta({ kind: 'gaussian', sigma }, long, 7);
    expect(noise.length).toBe(long.length);
    expect(Array.from(attackDelta({ kind: 'gaussian', sigma }, long, 7))).toEqual(Array.from(noise));
    expect(attackDelta({ kind: 'gaussian', sigma }, long, 8)[0]).not.toBe(noise[0]);
    const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
    const variance = noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.sqrt(variance)).toBeCloseTo(sigma, 1);
    expect(
      Array.from(attackDelta({ kind: 'gaussian', sigma: 1 }, Float32Array.from([5, 5, 5]), 1)),
    ).not.toEqual([5, 5, 5]);
  });
});

describe('flipLabels', () => {
  it('maps y to 9 − y for digits and keeps the features', () => {
    const data = {
      x: new Float32Array(6),
      y: Int32Array.from([0, 3, 9]),
      size: 3,
      featureShape: [2],
      numClasses: 10,
    };
    const flipped = flipLabels(data);
    expect(Array.from(flipped.y)).toEqual([9, 6, 0]);
    expect(flipped.x).toBe(data.x);
    expect(Array.from(data.y)).toEqual([0, 3, 9]);
  });
});

describe('attackSeed', () => {
  it('differs between workers and rounds and is stable', () => {
    const seed = attackSeed('key-a', 'run-1', 1);
    expect(attackSeed('key-a', 'run-1', 1)).toBe(seed);
    expect(attackSeed('key-b', 'run-1', 1)).not.toBe(seed);
    expect(attackSeed('key-a', 'run-1', 2)).not.toBe(seed);
    expect(Number.isSafeInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
  });
});
