import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { neighbourGraph } from './graph.js';

const idsOf = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `worker-${i.toString().padStart(3, '0')}`);

/** True when every worker reaches every other. */
function connected(graph: Map<string, string[]>): boolean {
  const [start] = graph.keys();
  if (start === undefined) return true;
  const seen = new Set([start]);
  const queue = [start];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const v of graph.get(id)!) {
      if (seen.has(v)) continue;
      seen.add(v);
      queue.push(v);
    }
  }
  return seen.size === graph.size;
}

describe('neighbourGraph', () => {
  it('is symmetric, k-regular and connected, without self-loops', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 60 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            half: fc.integer({ min: 1, max: Math.max(1, Math.floor((n - 2) / 2)) }),
          }),
        ),
        fc.uint8Array({ minLength: 16, maxLength: 32 }),
        ({ n, half }, seed) => {
          const k = Math.min(2 * half, n - 1);
          const graph = neighbourGraph(idsOf(n), k, seed);
          expect(graph.size).toBe(n);
          const broken = [...graph].filter(
            ([u, neighbours]) =>
              new Set(neighbours).size !== k ||
              neighbours.includes(u) ||
              neighbours.some((v, i) => i > 0 && neighbours[i - 1]! >= v) ||
              neighbours.some((v) => !graph.get(v)!.includes(u)),
          );
          expect(broken).toEqual([]);
          expect(connected(graph)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is deterministic per seed and independent of the order of ids; seeds give different graphs', () => {
    const ids = idsOf(40);
    const seed = randomBytes(16);
    const graph = neighbourGraph(ids, 6, seed);
    expect(neighbourGraph([...ids].reverse(), 6, Buffer.from(seed))).toEqual(graph);
    const other = neighbourGraph(ids, 6, randomBytes(16));
    expect(other).not.toEqual(graph);
  });

  it('does not follow the order of the ids (the permutation is drawn)', () => {
    const ids = idsOf(30);
    const graph = neighbourGraph(ids, 4, randomBytes(32));
    const ring = ids.filter((id, i) => graph.get(id)!.includes(ids[(i + 1) % ids.length]!));
    expect(ring.length).toBeLessThan(25);
  });

  it('gives the complete graph for k ≥ n − 1', () => {
    const ids = ['c', 'a', 'b', 'd'];
    const graph = neighbourGraph(ids, 3, randomBytes(16));
    expect(graph.get('a')).toEqual(['b', 'c', 'd']);
    expect(graph.get('d')).toEqual(['a', 'b', 'c']);
    expect(neighbourGraph(ids, 10, randomBytes(16))).toEqual(graph);
  });

  it('refuses duplicate ids, odd k below n − 1 and short seeds', () => {
    const seed = randomBytes(16);
    expect(() => neighbourGraph(['a', 'b', 'a'], 2, seed)).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('a appears twice') as string,
      }),
    );
    expect(() => neighbourGraph(idsOf(10), 3, seed)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => neighbourGraph(idsOf(10), 4, randomBytes(15))).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });
});
