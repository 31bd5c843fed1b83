import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { MemoryCollector, v8Collection, type CollectGarbage } from './memory-collector.js';

const MIB = 1024 * 1024;

/** A collection that records what it was asked for. */
function recording(): { collect: CollectGarbage; calls: string[] } {
  const calls: string[] = [];
  return { collect: (options) => calls.push(options?.type ?? 'full'), calls };
}

describe('MemoryCollector', () => {
  it('collects the young generation once per everyBytes of chunks, carrying nothing over', () => {
    const { collect, calls } = recording();
    const collector = new MemoryCollector(16 * MIB, collect);
    for (let i = 0; i < 255; i++) collector.noteChunk(64 * 1024);
    expect(calls).toEqual([]);
    collector.noteChunk(64 * 1024); // 256 chunks of 64 KiB: 16 MiB
    expect(calls).toEqual(['minor']);
    collector.noteChunk(20 * MIB); // one large chunk: one collection
    collector.noteChunk(15 * MIB);
    expect(calls).toEqual(['minor', 'minor']);
    expect(collector.collections).toBe(2);
  });

  it('collects the whole heap on collectAll', () => {
    const { collect, calls } = recording();
    new MemoryCollector(MIB, collect).collectAll();
    expect(calls).toEqual(['full']);
  });

  it('does nothing when everyBytes is 0 or the runtime offers no collection', () => {
    const { collect, calls } = recording();
    const off = new MemoryCollector(0, collect);
    off.noteChunk(100 * MIB);
    off.collectAll();
    const none = new MemoryCollector(MIB, null);
    none.noteChunk(100 * MIB);
    none.collectAll();
    expect(calls).toEqual([]);
    expect(off.collections + none.collections).toBe(0);
  });

  it("runs V8's young collection per chunk budget and its full one on collectAll", async () => {
    const collect = v8Collection();
    expect(collect).toBeTypeOf('function');
    const collector = new MemoryCollector(MIB, collect);
    const kinds: number[] = [];
    const seen = new Promise<void>((resolve) => {
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) kinds.push((entry.detail as { kind: number }).kind);
        if (
          kinds.includes(constants.NODE_PERFORMANCE_GC_MINOR) &&
          kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR)
        ) {
          observer.disconnect();
          resolve();
        }
      });
      observer.observe({ entryTypes: ['gc'] });
    });
    collector.noteChunk(MIB);
    collector.collectAll();
    await seen;
    expect(collector.collections).toBe(2);
  });
});
