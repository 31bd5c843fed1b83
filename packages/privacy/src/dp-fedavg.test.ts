import { describe, expect, it } from 'vitest';
import { dpConfigSchema, noiseStdForSum, parseDpConfig } from './dp-fedavg.js';

describe('parseDpConfig', () => {
  it('fills in mode = central and keeps the fields given', () => {
    expect(parseDpConfig({ clipNorm: 1, noiseMultiplier: 1.1, delta: 1e-5 })).toEqual({
      clipNorm: 1,
      noiseMultiplier: 1.1,
      delta: 1e-5,
      mode: 'central',
    });
    expect(dpConfigSchema.parse({ clipNorm: 0.5, noiseMultiplier: 0, delta: 1e-2, mode: 'local' }).mode).toBe(
      'local',
    );
  });

  it('refuses bad fields with ERR_BAD_CONFIG, naming them', () => {
    const base = { clipNorm: 1, noiseMultiplier: 1, delta: 1e-5 };
    const bad: [object, string][] = [
      [{ ...base, clipNorm: 0 }, 'clipNorm'],
      [{ ...base, clipNorm: Infinity }, 'clipNorm'],
      [{ ...base, noiseMultiplier: -0.1 }, 'noiseMultiplier'],
      [{ ...base, delta: 0 }, 'delta'],
      [{ ...base, delta: 0.02 }, 'delta'],
      [{ ...base, maxEpsilon: 0 }, 'maxEpsilon'],
      [{ ...base, mode: 'global' }, 'mode'],
      [{ ...base, clipnorm: 1 }, 'clipnorm'],
      [{ ...base, noiseMultiplier: 0, maxEpsilon: 8 }, 'noiseMultiplier'],
    ];
    for (const [raw, field] of bad) {
      expect(() => parseDpConfig(raw)).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
      expect(() => parseDpConfig(raw)).toThrow(field);
    }
  });
});

describe('noiseStdForSum', () => {
  it('is zC once in central mode and zC/√n per worker in local mode', () => {
    const config = parseDpConfig({ clipNorm: 2, noiseMultiplier: 1.5, delta: 1e-5 });
    expect(noiseStdForSum(config, 1)).toBe(3);
    expect(noiseStdForSum(config, 100)).toBe(3);
    const local = { ...config, mode: 'local' as const };
    expect(noiseStdForSum(local, 100)).toBeCloseTo(0.3, 12);
    // n local draws add up to the central noise: n·(zC/√n)² = (zC)².
    expect(25 * noiseStdForSum(local, 25) ** 2).toBeCloseTo(noiseStdForSum(config, 25) ** 2, 12);
  });

  it('refuses an expectedUpdates that is not a positive integer', () => {
    const config = parseDpConfig({ clipNorm: 1, noiseMultiplier: 1, delta: 1e-5 });
    for (const n of [0, -1, 2.5, Number.NaN]) {
      expect(() => noiseStdForSum(config, n)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    }
  });
});
