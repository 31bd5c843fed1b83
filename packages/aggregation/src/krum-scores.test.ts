import { describe, it, expect } from 'vitest';
import { DISTANCE_BLOCK, krumScores, lowestScores, pairwiseSquaredDistances } from './krum-scores.js';
import { randomUpdates } from './strategy.fixture.js';

/** The definition, pair by pair: float64 sums within blocks, block sums added in order. */
function referenceDistance(a: Float32Array, b: Float32Array): number {
  let total = 0;
  for (let start = 0; start < a.length; start += DISTANCE_BLOCK) {
    let sum = 0;
    for (let c = start; c < Math.min(a.length, start + DISTANCE_BLOCK); c++) {
      const d = (a[c] as number) - (b[c] as number);
      sum += d * d;
    }
    total += sum;
  }
  return total;
}

describe('pairwiseSquaredDistances', () => {
  it('matches hand-computed distances', () => {
    // a = [0, 0], b = [1, 0], c = [0, 2]: |ab|² = 1, |ac|² = 4, |bc|² = 1 + 4 = 5
    const d = pairwiseSquaredDistances([
      Float32Array.from([0, 0]),
      Float32Array.from([1, 0]),
      Float32Array.from([0, 2]),
    ]);
    expect(Array.from(d)).toEqual([0, 1, 4, 1, 0, 5, 4, 5, 0]);
  });

  it.each([1, 2, 4, 5, 8, 9, 11])('is bit-identical to the pair-by-pair definition for %i deltas', (n) => {
    // Several blocks and a partial one; n covers whole tiles, leftovers and no tile at all.
    const length = 2 * DISTANCE_BLOCK + 37;
    const deltas = randomUpdates(n, length, 100 + n).map((u) => u.delta);
    const distances = pairwiseSquaredDistances(deltas);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const expected =
          i === j ? 0 : referenceDistance(deltas[i] as Float32Array, deltas[j] as Float32Array);
        expect(distances[i * n + j]).toBe(expected);
      }
    }
  });
});

describe('krumScores', () => {
  // 1-D points 0, 1, 2, 3, 100; squared distances from the matrix below.
  const points = [0, 1, 2, 3, 100];
  const n = points.length;
  const distances = Float64Array.from({ length: n * n }, (_, k) => {
    const d = (points[Math.floor(k / n)] as number) - (points[k % n] as number);
    return d * d;
  });

  it('sums the nearest neighbours among the candidates', () => {
    // 2 neighbours: 0 → 1 + 4 = 5; 1 → 1 + 1 = 2; 2 → 1 + 1 = 2; 3 → 1 + 4 = 5; 100 → 97² + 98² = 19013
    expect(Array.from(krumScores(distances, n, [0, 1, 2, 3, 4], 2))).toEqual([5, 2, 2, 5, 19013]);
    // Among {0, 3, 100} with 1 neighbour: 0 → 9; 3 → 9; 100 → 97² = 9409
    expect(Array.from(krumScores(distances, n, [0, 3, 4], 1))).toEqual([9, 9, 9409]);
    expect(Array.from(krumScores(distances, n, [4], 0))).toEqual([0]);
  });
});

describe('lowestScores', () => {
  it('orders by score, ties to the lower position', () => {
    expect(lowestScores(Float64Array.from([5, 2, 2, 5, 19013]), 3)).toEqual([1, 2, 0]);
    expect(lowestScores(Float64Array.from([0, 0, 0]), 2)).toEqual([0, 1]);
  });
});
