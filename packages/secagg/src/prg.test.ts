import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addInto, applyMask, expandMask } from './prg.js';

/** Typed-array equality by bytes: deep equality element by element is slow for long vectors. */
const sameWords = (a: Uint32Array, b: Uint32Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function reference(seed: Uint8Array, length: number): Uint32Array {
  const cipher = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16));
  const bytes = new Uint8Array(cipher.update(Buffer.alloc(4 * length)));
  return new Uint32Array(bytes.buffer, bytes.byteOffset, length);
}

describe('expandMask', () => {
  it('is AES-256-CTR keystream with a zero IV', () => {
    // FIPS-197-style known answer: AES-256 of the zero block under the zero key.
    const first = new Uint8Array(expandMask(new Uint8Array(32), 4).buffer);
    expect(Buffer.from(first).toString('hex')).toBe('dc95c078a2408989ad48a21492842087');
    // Across block boundaries (64 Ki words) and odd lengths.
    for (const length of [0, 1, 5, 65_536, 65_537, 200_003]) {
      const seed = randomBytes(32);
      const mask = expandMask(seed, length);
      expect(mask).toHaveLength(length);
      expect(sameWords(mask, reference(seed, length))).toBe(true);
    }
  });

  it('differs between seeds and is a prefix of longer expansions', () => {
    const a = randomBytes(32);
    const b = Buffer.from(a);
    b[31]! ^= 1;
    const maskA = expandMask(a, 1000);
    const maskB = expandMask(b, 1000);
    expect(maskA.filter((word, i) => word === maskB[i]).length).toBeLessThan(3);
    expect(expandMask(a, 10_000).subarray(0, 1000)).toEqual(maskA);
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => expandMask(new Uint8Array(16), 4)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    expect(() => expandMask(new Uint8Array(32), -1)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });
});

describe('applyMask', () => {
  it('adds and subtracts the keystream mod 2^32; +1 then -1 is the identity', () => {
    fc.assert(
      fc.property(
        fc.uint32Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (words, seed) => {
          const target = Uint32Array.from(words);
          applyMask(target, seed, 1);
          const mask = expandMask(seed, words.length);
          words.forEach((word, i) => expect(target[i]).toBe((word + mask[i]!) % 2 ** 32));
          applyMask(target, seed, -1);
          expect(target).toEqual(Uint32Array.from(words));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('round trips a vector longer than one block', () => {
    const seed = randomBytes(32);
    const target = new Uint32Array(150_000).map((_, i) => i * 2654435761);
    const copy = Uint32Array.from(target);
    applyMask(target, seed, -1);
    expect(sameWords(target, copy)).toBe(false);
    applyMask(target, seed, 1);
    expect(sameWords(target, copy)).toBe(true);
  });
});

describe('addInto', () => {
  it('adds mod 2^32 in place, also from a view over received bytes', () => {
    const sum = Uint32Array.of(1, 2 ** 32 - 1, 7);
    const blob = Buffer.from(Uint32Array.of(5, 3, 2 ** 32 - 7).buffer);
    addInto(sum, new Uint32Array(blob.buffer, blob.byteOffset, 3));
    expect([...sum]).toEqual([6, 2, 0]);
    expect(() => addInto(sum, new Uint32Array(2))).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
  });
});
