import { describe, expect, it } from 'vitest';
import { childPeakRssBytes, measurePeakRss } from './memory.js';

const MIB = 1024 * 1024;

describe('measurePeakRss', () => {
  it('sees memory held only during synchronous work', async () => {
    const before = process.memoryUsage.rss();
    const { result, peakRssBytes } = await measurePeakRss(() => {
      // Touched, held for 100 ms while the event loop is blocked, then dropped.
      const block = Buffer.alloc(128 * MIB, 1);
      const until = performance.now() + 100;
      while (performance.now() < until);
      return Promise.resolve(block.length);
    });
    expect(result).toBe(128 * MIB);
    expect(peakRssBytes).toBeGreaterThan(before + 96 * MIB);
  });

  it('stops its sampler when the work fails', async () => {
    await expect(measurePeakRss(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});

describe('childPeakRssBytes', () => {
  it.runIf(process.platform === 'linux')('reads VmHWM of a live process', async () => {
    const hwm = await childPeakRssBytes(process.pid);
    expect(hwm).toBeGreaterThanOrEqual(process.memoryUsage.rss() * 0.5);
  });

  it('is undefined for a process that does not exist', async () => {
    expect(await childPeakRssBytes(2 ** 30)).toBeUndefined();
  });
});
