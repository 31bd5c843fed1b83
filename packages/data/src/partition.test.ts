import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.js';
import { loadMnist } from './mnist.js';
import type { PartitionScheme } from './partition.js';
import { parsePartitionScheme, partition } from './partition.js';

const mnist = loadMnist({ seed: 0 }).train;

/** A dataset of `size` examples with labels cycling through `numClasses` unevenly. */
function synthetic(size: number, numClasses: number): Dataset {
  const y = Int32Array.from({ length: size }, (_, i) => (i * i + i) % numClasses);
  return { x: new Float32Array(size), y, size, featureShape: [1], numClasses };
}

function expectDisjointCover(parts: Int32Array[], size: number): void {
  const seen = new Uint8Array(size);
  let unsorted = 0;
  let repeated = 0;
  for (const part of parts) {
    expect(part.length).toBeGreaterThan(0);
    part.forEach((index, i) => {
      if (i > 0 && index <= part[i - 1]!) unsorted++;
      if (seen[index] === 1) repeated++;
      seen[index] = 1;
    });
  }
  expect({ unsorted, repeated, missing: seen.filter((v) => v === 0).length }).toEqual({
    unsorted: 0,
    repeated: 0,
    missing: 0,
  });
}

function distinctLabels(ds: Dataset, part: Int32Array): Set<number> {
  return new Set(Array.from(part, (i) => ds.y[i]!));
}

const schemes: PartitionScheme[] = [
  { kind: 'iid' },
  { kind: 'label-shards', shardsPerWorker: 2 },
  { kind: 'label-shards', shardsPerWorker: 1 },
  { kind: 'dirichlet', alpha: 0.5 },
  { kind: 'dirichlet', alpha: 0.001 },
];

describe('parsePartitionScheme', () => {
  it('parses the three forms', () => {
    expect(parsePartitionScheme('iid')).toEqual({ kind: 'iid' });
    expect(parsePartitionScheme('label-shards:2')).toEqual({ kind: 'label-shards', shardsPerWorker: 2 });
    expect(parsePartitionScheme('dirichlet:0.3')).toEqual({ kind: 'dirichlet', alpha: 0.3 });
    expect(parsePartitionScheme(' dirichlet:1e-2 ')).toEqual({ kind: 'dirichlet', alpha: 0.01 });
  });

  it.each([
    '',
    'IID',
    'label-shards',
    'label-shards:0',
    'label-shards:1.5',
    'label-shards:-2',
    'dirichlet:0',
    'dirichlet:-1',
    'dirichlet:abc',
    'dirichlet:',
    'shards:2',
  ])('rejects %j naming the accepted forms', (text) => {
    expect(() => parsePartitionScheme(text)).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    expect(() => parsePartitionScheme(text)).toThrow(/'iid', 'label-shards:K'.*'dirichlet:ALPHA'/);
  });
});

describe('partition', () => {
  it.each(schemes)('gives disjoint, covering, non-empty parts for %j', (scheme) => {
    expectDisjointCover(partition(mnist, 10, scheme, 1), mnist.size);
    expectDisjointCover(partition(synthetic(37, 5), 4, scheme, 2), 37);
  });

  it.each(schemes)('is deterministic by seed for %j', (scheme) => {
    const a = partition(mnist, 10, scheme, 7);
    expect(partition(mnist, 10, scheme, 7)).toEqual(a);
    expect(partition(mnist, 10, scheme, 8)).not.toEqual(a);
  });

  it('splits iid into sizes differing by at most one, each with most labels', () => {
    const parts = partition(synthetic(103, 3), 10, { kind: 'iid' }, 0);
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const part of partition(mnist, 10, { kind: 'iid' }, 0)) {
      expect(part.length).toBe(800);
      expect(distinctLabels(mnist, part).size).toBe(10);
    }
  });

  it('gives each of 10 MNIST workers at most 2 labels, mostly exactly 2, with label-shards:2', () => {
    for (const seed of [0, 1, 2]) {
      const parts = partition(mnist, 10, { kind: 'label-shards', shardsPerWorker: 2 }, seed);
      const labelCounts = parts.map((p) => distinctLabels(mnist, p).size);
      expect(Math.max(...labelCounts)).toBeLessThanOrEqual(2);
      expect(labelCounts.filter((n) => n === 2).length).toBeGreaterThanOrEqual(7);
      // Shards are as equal as class sizes allow: MNIST classes are 800 ± 15 %.
      for (const part of parts) expect(Math.abs(part.length - 800)).toBeLessThan(200);
    }
  });

  it('falls back to mixed shards when there are fewer shards than classes', () => {
    const parts = partition(mnist, 3, { kind: 'label-shards', shardsPerWorker: 2 }, 0);
    expectDisjointCover(parts, mnist.size);
    for (const part of parts) expect(Math.abs(part.length - mnist.size / 3)).toBeLessThan(2);
    // Six label-ordered runs over ten classes: each worker sees only some of the digits.
    for (const part of parts) expect(distinctLabels(mnist, part).size).toBeLessThan(10);
  });

  it('skews class mixes with small dirichlet alpha and not with large alpha', () => {
    const meanDistinct = (alpha: number): number => {
      const parts = partition(mnist, 10, { kind: 'dirichlet', alpha }, 3);
      // Labels holding at least 5 % of a worker's data.
      const major = parts.map((p) => {
        const counts = new Map<number, number>();
        for (const i of p) counts.set(mnist.y[i]!, (counts.get(mnist.y[i]!) ?? 0) + 1);
        return [...counts.values()].filter((c) => c >= 0.05 * p.length).length;
      });
      return major.reduce((a, b) => a + b, 0) / major.length;
    };
    expect(meanDistinct(0.05)).toBeLessThan(4);
    expect(meanDistinct(1000)).toBeGreaterThan(9.5);
  });

  it('rejects labels outside 0..numClasses-1', () => {
    const ds = { ...synthetic(10, 3), numClasses: 2 };
    expect(() => partition(ds, 2, { kind: 'dirichlet', alpha: 1 }, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });

  it('rejects impossible splits', () => {
    const tiny = synthetic(5, 2);
    expect(() => partition(tiny, 6, { kind: 'iid' }, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => partition(tiny, 0, { kind: 'iid' }, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => partition(tiny, 3, { kind: 'label-shards', shardsPerWorker: 2 }, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => partition(tiny, 2, { kind: 'dirichlet', alpha: 0 }, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
  });
});
