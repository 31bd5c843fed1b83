import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addInto } from './prg.js';
import { decodeSum, encodeInput, quantizationError } from './quantize.js';

const clip = (x: number, c: number): number => Math.min(c, Math.max(-c, x));

describe('encodeInput / decodeSum', () => {
  it('round trips sums of clipped inputs within quantizationError', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 50 }),
        fc.infiniteStream(fc.double({ min: -3, max: 3, noNaN: true })),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (c, bits, count, length, xs, ws) => {
          const params = { threshold: 2, clipRange: c, quantizationBits: bits };
          const inputs = Array.from({ length: count }, () =>
            Float32Array.from(xs.take(length), (x) => x * c),
          );
          const weights = [...ws.take(count)];
          const sum = new Uint32Array(length + 1);
          inputs.forEach((input, i) => addInto(sum, encodeInput(input, weights[i]!, params)));
          const { total, weight } = decodeSum(sum, count, params);
          const bound = quantizationError(count, params);
          for (let j = 0; j < length; j++) {
            const expected = inputs.reduce((acc, input) => acc + clip(input[j]!, c), 0);
            expect(Math.abs(total[j]! - expected)).toBeLessThanOrEqual(bound * (1 + 1e-9) + 1e-6 * count * c);
          }
          const expectedWeight = weights.reduce((a, b) => a + b, 0);
          expect(Math.abs(weight - expectedWeight)).toBeLessThanOrEqual(
            count / (2 * (2 ** bits - 1)) + 1e-12,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('clips to [-c, c], maps the ends to 0 and 2^b − 1, and encodes the weight last', () => {
    const params = { threshold: 2, clipRange: 2, quantizationBits: 8 };
    const words = encodeInput(Float32Array.of(-2, 2, 0, -100, 100, -Infinity, Infinity, 1), 0.5, params);
    expect([...words]).toEqual([0, 255, 128, 0, 255, 0, 255, 191, 128]);
    const { total, weight } = decodeSum(words, 1, params);
    expect(total[3]).toBeCloseTo(-2, 6);
    expect(total[4]).toBeCloseTo(2, 6);
    expect(weight).toBeCloseTo(128 / 255, 9);
  });

  it('refuses bad weights, NaN, and words no sum of count inputs can have', () => {
    const params = { threshold: 2, clipRange: 1, quantizationBits: 4 };
    for (const weight of [-0.1, 1.1, Number.NaN])
      expect(() => encodeInput(new Float32Array(2), weight, params)).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
      );
    expect(() => encodeInput(Float32Array.of(Number.NaN), 1, params)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    expect(() => decodeSum(Uint32Array.of(31, 0), 2, params)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT', message: expect.stringContaining('mask') as string }),
    );
    expect(() => decodeSum(Uint32Array.of(30, 0), 2, params)).not.toThrow();
    expect(() => decodeSum(Uint32Array.of(0), 0, params)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    expect(() => encodeInput(new Float32Array(1), 1, { ...params, quantizationBits: 32 })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
  });

  it('states the error bound', () => {
    expect(quantizationError(10, { threshold: 2, clipRange: 0.5, quantizationBits: 16 })).toBeCloseTo(
      5 / 65535,
      15,
    );
  });
});
