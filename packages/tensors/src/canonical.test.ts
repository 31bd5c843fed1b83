import { describe, it, expect } from 'vitest';
import {
  toCanonicalBytes,
  fromCanonicalBytes,
  assertFinite,
  encodeFloat32LE,
  decodeFloat32LE,
} from './canonical.js';

/** Canonical bytes built by hand, independently of the code under test. */
function handBuiltLE(values: number[]): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf;
}

describe('toCanonicalBytes', () => {
  it('writes float32 little-endian', () => {
    const values = [1, -2.5, 3.1415927, 0, -0];
    expect(Buffer.from(toCanonicalBytes(Float32Array.from(values)))).toEqual(handBuiltLE(values));
  });

  it('respects the byte offset of a subarray', () => {
    const all = Float32Array.from([9, 1, 2, 9]);
    expect(Buffer.from(toCanonicalBytes(all.subarray(1, 3)))).toEqual(handBuiltLE([1, 2]));
  });

  it('matches the explicit byte-order-independent encoder', () => {
    const values = Float32Array.from([1e-30, -7, 65504, Number.POSITIVE_INFINITY, 123.456]);
    expect(encodeFloat32LE(values)).toEqual(new Uint8Array(toCanonicalBytes(values)));
  });
});

describe('fromCanonicalBytes', () => {
  it('round-trips values exactly, NaN and Infinity included', () => {
    const values = Float32Array.from([0.1, -3, Number.NaN, Number.NEGATIVE_INFINITY, 2 ** -149]);
    const back = fromCanonicalBytes(toCanonicalBytes(values).slice());
    expect(Array.from(back)).toEqual(Array.from(values));
  });

  it('copies input that starts at an unaligned offset', () => {
    const canonical = handBuiltLE([1.5, -2, 3]);
    const backing = new Uint8Array(canonical.length + 1);
    backing.set(canonical, 1);
    const unaligned = backing.subarray(1);
    expect(unaligned.byteOffset % 4).toBe(1);

    const values = fromCanonicalBytes(unaligned, 3);
    expect(Array.from(values)).toEqual([1.5, -2, 3]);
    expect(values.byteOffset % 4).toBe(0);
  });

  it('is a view of aligned input', () => {
    const bytes = new Uint8Array(handBuiltLE([4, 5]));
    const values = fromCanonicalBytes(bytes);
    expect(values.buffer).toBe(bytes.buffer);
    expect(Array.from(values)).toEqual([4, 5]);
  });

  it('matches the explicit byte-order-independent decoder', () => {
    const bytes = new Uint8Array(handBuiltLE([6.25, -1e20, 7]));
    expect(Array.from(decodeFloat32LE(bytes))).toEqual(Array.from(fromCanonicalBytes(bytes)));
  });

  it('rejects a length that is not a multiple of 4', () => {
    expect(() => fromCanonicalBytes(new Uint8Array(7))).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
  });

  it('rejects the wrong element count', () => {
    expect(() => fromCanonicalBytes(new Uint8Array(8), 3)).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH', message: 'expected 3 float32 values, got 2' }),
    );
  });

  it('accepts empty input', () => {
    expect(fromCanonicalBytes(new Uint8Array(0), 0)).toHaveLength(0);
  });
});

describe('assertFinite', () => {
  it('accepts finite values', () => {
    expect(() => assertFinite(Float32Array.from([0, -1, 3e38]), 'w')).not.toThrow();
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'names the first index holding %s',
    (bad) => {
      expect(() => assertFinite(Float32Array.from([1, 2, bad, bad]), 'delta')).toThrow(
        expect.objectContaining({
          code: 'ERR_BAD_INPUT',
          message: expect.stringContaining('delta[2]') as unknown,
        }),
      );
    },
  );
});
