import { describe, expect, it } from 'vitest';
import { checkParams, defaultNeighbours, defaultThreshold, type SecAggParams } from './params.js';

const params = (threshold: number, quantizationBits = 16, clipRange = 1): SecAggParams => ({
  threshold,
  clipRange,
  quantizationBits,
});

/** Matches a SiloError with `code` whose message contains `text`. */
const siloError = (code: string, text: string): Error =>
  expect.objectContaining({ code, message: expect.stringContaining(text) as string }) as Error;

describe('checkParams', () => {
  it('accepts the defaults for cohorts up to 1000', () => {
    for (const n of [3, 4, 8, 9, 12, 20, 100, 1000]) {
      const k = defaultNeighbours(n);
      expect(() => checkParams(params(defaultThreshold(k)), n, k)).not.toThrow();
    }
  });

  it('rejects each broken rule with ERR_BAD_CONFIG naming it', () => {
    expect(() => checkParams(params(1), 5, 4)).toThrow(siloError('ERR_BAD_CONFIG', 't ≥ 2'));
    expect(() => checkParams(params(5), 6, 4)).toThrow(siloError('ERR_BAD_CONFIG', 't ≤ k'));
    expect(() => checkParams(params(2), 6, 4)).toThrow(siloError('ERR_BAD_CONFIG', '2t > k'));
    expect(() => checkParams(params(3), 4, 4)).toThrow(siloError('ERR_BAD_CONFIG', 'k ≤ cohort − 1'));
    expect(() => checkParams(params(200, 8), 1000, 256)).toThrow(siloError('ERR_BAD_CONFIG', 'k ≤ 254'));
    expect(() => checkParams(params(3), 10, 5)).toThrow(siloError('ERR_BAD_CONFIG', 'must be even'));
    expect(() => checkParams(params(2, 31), 3, 2)).toThrow(siloError('ERR_BAD_CONFIG', 'could wrap'));
    expect(() => checkParams(params(3, 0), 5, 4)).toThrow(siloError('ERR_BAD_CONFIG', 'quantizationBits'));
    expect(() => checkParams(params(3, 32), 5, 4)).toThrow(siloError('ERR_BAD_CONFIG', 'quantizationBits'));
    expect(() => checkParams(params(3, 16, 0), 5, 4)).toThrow(siloError('ERR_BAD_CONFIG', 'clipRange'));
    expect(() => checkParams(params(3, 16, Infinity), 5, 4)).toThrow(
      siloError('ERR_BAD_CONFIG', 'clipRange'),
    );
    expect(() => checkParams(params(2.5), 5, 4)).toThrow(siloError('ERR_BAD_CONFIG', 'integer'));
  });

  it('puts the wrap limit exactly at cohort · (2^b − 1) = 2^32 − 1', () => {
    // 2^32 − 1 = 65537 · (2^16 − 1): the largest cohort at 16 bits sums to exactly the top word.
    expect(() => checkParams(params(2, 16), 65_537, 2)).not.toThrow();
    expect(() => checkParams(params(2, 16), 65_538, 2)).toThrow(siloError('ERR_BAD_CONFIG', 'at most 15'));
    expect(() => checkParams(params(2, 17), 65_537, 2)).toThrow(siloError('ERR_BAD_CONFIG', 'at most 16'));
    expect(() => checkParams(params(2, 31), 2, 1)).toThrow(siloError('ERR_BAD_CONFIG', 't ≤ k'));
    expect(() => checkParams(params(2, 31), 3, 2)).toThrow(siloError('ERR_BAD_CONFIG', 'could wrap'));
    expect(() => checkParams(params(2, 30), 3, 2)).not.toThrow();
  });
});

describe('defaults', () => {
  it('uses the complete graph up to 8 workers, then 2·ceil(1.5·log2 n)', () => {
    expect([2, 3, 8].map(defaultNeighbours)).toEqual([1, 2, 7]);
    expect(defaultNeighbours(9)).toBe(8); // 2·⌈4.75⌉ = 10 > 8 = n − 1
    expect(defaultNeighbours(20)).toBe(14); // 2·⌈6.48⌉
    expect(defaultNeighbours(100)).toBe(20); // 2·⌈9.97⌉
    expect(defaultNeighbours(1024)).toBe(30); // 2·15
    expect(() => defaultNeighbours(1)).toThrow(siloError('ERR_BAD_INPUT', 'at least 2'));
  });

  it('picks the smallest threshold with 2t > k', () => {
    expect([2, 3, 4, 7, 14].map(defaultThreshold)).toEqual([2, 2, 3, 4, 8]);
    expect(() => defaultThreshold(1)).toThrow(siloError('ERR_BAD_INPUT', 'at least 2'));
  });
});
