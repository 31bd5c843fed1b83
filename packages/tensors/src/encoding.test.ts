import { describe, expect, it } from 'vitest';
import { toCanonicalBytes } from './canonical.js';
import { BlockDecoder, decodeUpdate, encodeUpdate, encodedSize } from './encoding.js';
import type { Layout } from './layout.js';

const LAYOUT: Layout = [
  { name: 'w', shape: [10, 30] },
  { name: 'empty', shape: [0] },
  { name: 'b', shape: [30] },
  { name: 'tiny', shape: [1] },
];
const delta = Float32Array.from({ length: 331 }, (_, i) => Math.sin(i * 1.7) * (i < 300 ? 0.01 : 3));

describe('update encodings', () => {
  it('has the stated sizes', () => {
    expect(encodedSize(LAYOUT, 'float32')).toBe(331 * 4);
    expect(encodedSize(LAYOUT, 'float16')).toBe(331 * 2);
    expect(encodedSize(LAYOUT, 'int8')).toBe(4 * 4 + 331);
  });

  it('float32 is lossless; float16 within half precision; int8 within half a step of each tensor', () => {
    expect(decodeUpdate(encodeUpdate(delta, LAYOUT, 'float32'), LAYOUT, 'float32')).toEqual(delta);
    const half = decodeUpdate(encodeUpdate(delta, LAYOUT, 'float16'), LAYOUT, 'float16');
    delta.forEach((x, i) =>
      expect(Math.abs(half[i]! - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 2 ** -24),
    );
    const int8 = decodeUpdate(encodeUpdate(delta, LAYOUT, 'int8'), LAYOUT, 'int8');
    const step = (from: number, to: number): number =>
      Math.max(...Array.from(delta.subarray(from, to), Math.abs)) / 127;
    delta.forEach((x, i) => {
      const s = i < 300 ? step(0, 300) : i < 330 ? step(300, 330) : step(330, 331);
      expect(Math.abs(int8[i]! - x)).toBeLessThanOrEqual(s / 2 + 1e-9);
    });
    expect(int8[330]).toBeCloseTo(delta[330]!, 6); // a one-value tensor is exact up to float32
  });

  it('float32 is the canonical bytes, on little-endian hosts without a copy', () => {
    const bytes = encodeUpdate(delta, LAYOUT, 'float32');
    expect(bytes).toEqual(toCanonicalBytes(Float32Array.from(delta)));
    const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
    expect(bytes.buffer === delta.buffer).toBe(littleEndian);
  });

  it('is deterministic, and a block decoder gives the whole decode from any block boundaries', () => {
    for (const encoding of ['float32', 'float16', 'int8'] as const) {
      const bytes = encodeUpdate(delta, LAYOUT, encoding);
      expect(encodeUpdate(delta, LAYOUT, encoding)).toEqual(bytes);
      const whole = decodeUpdate(bytes, LAYOUT, encoding);
      const decoder = new BlockDecoder(LAYOUT, encoding);
      decoder.setHeader(bytes.subarray(0, decoder.headerBytes));
      const pieces = new Float32Array(331);
      for (let first = 0; first < 331; first += 37) {
        const n = Math.min(37, 331 - first);
        const at = decoder.headerBytes + first * decoder.bytesPerValue;
        decoder.decode(
          bytes.subarray(at, at + n * decoder.bytesPerValue),
          first,
          pieces.subarray(first, first + n),
        );
      }
      expect(pieces).toEqual(whole);
    }
  });

  it('decodes float32 blocks at any byte offset alike, and names the first value not finite', () => {
    const bytes = encodeUpdate(delta, LAYOUT, 'float32');
    const bad = Uint8Array.from(bytes);
    new DataView(bad.buffer).setFloat32(4 * 40, Number.NEGATIVE_INFINITY, true);
    new DataView(bad.buffer).setFloat32(4 * 41, Number.NaN, true);
    // At offset 0 the block is read as float32 directly; at offset 1 value by value.
    for (const offset of [0, 1]) {
      const decoder = new BlockDecoder(LAYOUT, 'float32');
      const shifted = new Uint8Array(bytes.byteLength + offset);
      shifted.set(bytes, offset);
      const out = new Float32Array(331);
      decoder.decode(shifted.subarray(offset), 0, out);
      expect(out).toEqual(decodeUpdate(bytes, LAYOUT, 'float32'));
      shifted.set(bad.subarray(4 * 32), offset + 4 * 32);
      const block = shifted.subarray(offset + 4 * 32, offset + 4 * 64);
      expect(() => decoder.decode(block, 32, new Float32Array(32))).toThrow(/update\[40\] is -Infinity/);
    }
  });

  it('refuses values it cannot carry and bytes that are not an update', () => {
    const bad = Float32Array.from(delta);
    bad[5] = Number.NaN;
    for (const encoding of ['float32', 'float16', 'int8'] as const)
      expect(() => encodeUpdate(bad, LAYOUT, encoding)).toThrow(/update\[5\] is NaN/);
    const huge = Float32Array.from(delta);
    huge[3] = 1e6;
    expect(() => encodeUpdate(huge, LAYOUT, 'float16')).toThrow(/does not fit in float16/);
    expect(() => decodeUpdate(new Uint8Array(10), LAYOUT, 'int8')).toThrow(/the layout needs 347/);
    const bytes = encodeUpdate(delta, LAYOUT, 'int8');
    new DataView(bytes.buffer).setFloat32(4, -1, true);
    expect(() => decodeUpdate(bytes, LAYOUT, 'int8')).toThrow(/int8 scale of tensor 1 is -1/);
    const halves = encodeUpdate(delta, LAYOUT, 'float16');
    halves[9] = 0x7c; // exponent all ones: infinity
    halves[8] = 0x00;
    expect(() => decodeUpdate(halves, LAYOUT, 'float16')).toThrow(/update\[4\] is Infinity/);
  });
});
