import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { sha256Hex, digestWeights } from './digest.js';

describe('digestWeights', () => {
  it('is SHA-256 of the float32 little-endian bytes (known answer)', () => {
    const handBuilt = Buffer.alloc(12);
    [1, 2, 3].forEach((v, i) => handBuilt.writeFloatLE(v, i * 4));
    const independent = createHash('sha256').update(handBuilt).digest('hex');

    const digest = digestWeights(Float32Array.from([1, 2, 3]));
    expect(digest).toBe(independent);
    // Also computed with Python: hashlib.sha256(struct.pack('<3f', 1, 2, 3)).hexdigest()
    expect(digest).toBe('8e628779e6a74ee0b36991c10158f63cafec7d340ad4e075592502c8708524dd');
  });

  it('changes when one value changes', () => {
    expect(digestWeights(Float32Array.from([1, 2, 3.0000002]))).not.toBe(
      digestWeights(Float32Array.from([1, 2, 3])),
    );
  });
});

describe('sha256Hex', () => {
  it('hashes the empty input to the FIPS 180-4 empty-message digest', () => {
    expect(sha256Hex(new Uint8Array(0))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('hashes parts as their concatenation', () => {
    const whole = new TextEncoder().encode('abcdef');
    expect(sha256Hex([whole.subarray(0, 2), whole.subarray(2)])).toBe(sha256Hex(whole));
    // FIPS 180-2 example "abc".
    expect(sha256Hex([new TextEncoder().encode('ab'), new TextEncoder().encode('c')])).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
