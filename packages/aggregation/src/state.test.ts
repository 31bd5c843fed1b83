import { describe, it, expect } from 'vitest';
import { decodeState, encodeState, refuseState, stateVectors } from './state.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('encodeState', () => {
  it('writes the documented little-endian layout', () => {
    const bytes = encodeState({ strategy: 'fedavgm', vectors: [Float32Array.from([1, -2])] });
    expect(hex(bytes)).toBe(
      '534c5331' + // "SLS1"
        '6665646176676d0000000000' + // "fedavgm", NUL-padded to 12 bytes
        '01000000' + // one vector
        '02000000' + // of two values
        '0000803f' + // 1.0f
        '000000c0', // -2.0f
    );
  });

  it('round-trips through decodeState into copies', () => {
    const state = {
      strategy: 'fedadagrad',
      vectors: [Float32Array.from([0.1, 2e-30]), Float32Array.from([-0, 7])],
    };
    const bytes = encodeState(state);
    const decoded = decodeState(bytes, 2);
    expect(decoded).toEqual(state);
    expect(Object.is(decoded.vectors[1]?.[0], -0)).toBe(true);
    bytes.fill(0, 24);
    expect(decoded.vectors[0]?.[0]).toBeCloseTo(0.1, 7);
  });

  it('decodes from an unaligned offset', () => {
    const bytes = encodeState({
      strategy: 'fedadam',
      vectors: [Float32Array.from([3]), Float32Array.from([4])],
    });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeState(shifted.subarray(1), 1).vectors.map((v) => Array.from(v))).toEqual([[3], [4]]);
  });

  it.each([
    ['a bad name', { strategy: 'FedAdam!', vectors: [new Float32Array(1)] }, 'ERR_BAD_INPUT'],
    [
      'a name over 12 bytes',
      { strategy: 'a-very-long-name', vectors: [new Float32Array(1)] },
      'ERR_BAD_INPUT',
    ],
    ['no vectors', { strategy: 'fedadam', vectors: [] }, 'ERR_BAD_INPUT'],
    ['a NaN', { strategy: 'fedadam', vectors: [Float32Array.from([Number.NaN])] }, 'ERR_BAD_INPUT'],
    [
      'ragged vectors',
      { strategy: 'fedadam', vectors: [new Float32Array(1), new Float32Array(2)] },
      'ERR_SHAPE_MISMATCH',
    ],
  ])('refuses %s', (_, state, code) => {
    expect(() => encodeState(state)).toThrow(expect.objectContaining({ code }));
  });
});

describe('decodeState', () => {
  const good = encodeState({
    strategy: 'fedyogi',
    vectors: [Float32Array.from([1, 2]), Float32Array.from([3, 4])],
  });

  it('refuses bytes that are not a state', () => {
    expect(() => decodeState(new Uint8Array(10), 2)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    const wrongMagic = good.slice();
    wrongMagic[0] = 0x58;
    expect(() => decodeState(wrongMagic, 2)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    const badName = good.slice();
    badName[4] = 0x41; // 'A'
    expect(() => decodeState(badName, 2)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    const junkAfterName = good.slice();
    junkAfterName[14] = 0x61;
    expect(() => decodeState(junkAfterName, 2)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });

  it('refuses the wrong model length, truncation and trailing bytes', () => {
    expect(() => decodeState(good, 3)).toThrow(expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }));
    expect(() => decodeState(good.subarray(0, good.length - 4), 2)).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expect(() => decodeState(longer, 2)).toThrow(expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }));
  });

  it('refuses non-finite values', () => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setFloat32(24 + 4, Number.POSITIVE_INFINITY, true);
    expect(() => decodeState(bytes, 2)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });
});

describe('stateVectors and refuseState', () => {
  it('accept what matches and refuse what does not', () => {
    const state = { strategy: 'fedadam', vectors: [new Float32Array(2), new Float32Array(2)] };
    expect(stateVectors(undefined, 'fedadam', 2, 2)).toBeUndefined();
    expect(stateVectors(state, 'fedadam', 2, 2)).toBe(state.vectors);
    expect(() => stateVectors(state, 'fedyogi', 2, 2)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
    expect(() => refuseState('median', state)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => refuseState('median', undefined)).not.toThrow();
  });
});
