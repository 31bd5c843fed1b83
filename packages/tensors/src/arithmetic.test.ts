import { describe, it, expect } from 'vitest';
import { add, subtract, l2Norm } from './arithmetic.js';

describe('add and subtract', () => {
  it('work element-wise', () => {
    const a = Float32Array.from([1, 2.5, -3]);
    const b = Float32Array.from([0.5, 2.5, 4]);
    expect(Array.from(subtract(a, b))).toEqual([0.5, 0, -7]);
    expect(Array.from(add(a, b))).toEqual([1.5, 5, 1]);
  });

  it('subtract writes into a given vector, which may be an operand', () => {
    const a = Float32Array.from([1, 2.5, -3]);
    const b = Float32Array.from([0.5, 2.5, 4]);
    const out = new Float32Array(3);
    expect(subtract(a, b, out)).toBe(out);
    expect(Array.from(out)).toEqual([0.5, 0, -7]);
    expect(subtract(a, b, a)).toBe(a);
    expect(Array.from(a)).toEqual([0.5, 0, -7]);
    expect(Array.from(b)).toEqual([0.5, 2.5, 4]);
    expect(() => subtract(a, b, new Float32Array(2))).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
  });

  it('undo each other', () => {
    const base = Float32Array.from([0.1, 0.2, 0.3]);
    const local = Float32Array.from([0.15, 0.1, 0.35]);
    const back = add(base, subtract(local, base));
    back.forEach((v, i) => expect(v).toBeCloseTo(local[i] as number, 6));
  });

  it('reject vectors of different lengths', () => {
    expect(() => add(new Float32Array(2), new Float32Array(3))).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
    expect(() => subtract(new Float32Array(3), new Float32Array(2))).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
  });
});

describe('l2Norm', () => {
  it('computes the Euclidean norm', () => {
    expect(l2Norm(Float32Array.from([3, 4]))).toBeCloseTo(5, 12);
    expect(l2Norm(new Float32Array(0))).toBe(0);
  });

  it('accumulates in float64', () => {
    // One large value then 2^20 ones: sum of squares 2^48 + 2^20 is exact in float64, but a
    // float32 running sum would stay at 2^48 because 1 is below half its spacing (2^24).
    const values = new Float32Array(2 ** 20 + 1).fill(1);
    values[0] = 2 ** 24;
    expect(l2Norm(values)).toBeCloseTo(Math.sqrt(2 ** 48 + 2 ** 20), 6);
  });
});
