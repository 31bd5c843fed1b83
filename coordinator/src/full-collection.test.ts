import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { fullCollection } from './full-collection.js';

describe('fullCollection', () => {
  it("runs V8's full collection, the same function every time", async () => {
    const collect = fullCollection();
    expect(collect).toBeTypeOf('function');
    expect(fullCollection()).toBe(collect);
    const major = new Promise<void>((resolve) => {
      const observer = new PerformanceObserver((list) => {
        const kinds = list
          .getEntries()
          .map((entry) => (entry as unknown as { detail: { kind: number } }).detail.kind);
        if (kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR)) {
          observer.disconnect();
          resolve();
        }
      });
      observer.observe({ entryTypes: ['gc'] });
    });
    collect?.();
    await major;
  });
});
