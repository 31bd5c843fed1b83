/**
 * The arithmetic Krum, Multi-Krum and Bulyan share: squared distances between every pair of
 * deltas, and Krum scores over them.
 */

/**
 * Coordinates per block of {@link pairwiseSquaredDistances}: each pair's squared distance is
 * summed in float64 within a block and the block sums are added in block order. This size is
 * part of the definition of the result (another size rounds differently), so it must not change
 * without a new strategy version. Blocks of 2048 floats of the eight deltas a tile reads (64 KiB)
 * stay in cache.
 */
export const DISTANCE_BLOCK = 2048;

/**
 * Squared Euclidean distances between every pair of `deltas`, as an n × n row-major matrix
 * (symmetric, zero diagonal). Each pair's sum runs over coordinates in order within blocks of
 * {@link DISTANCE_BLOCK}, in float64, from exact float64 differences; block sums are added in
 * block order.
 *
 * The cost is n(n − 1)/2 · P multiply-adds. Pairs are done in tiles of four deltas against four,
 * so each loaded value serves four pairs; the tiling changes no sum.
 */
export function pairwiseSquaredDistances(deltas: readonly Float32Array[]): Float64Array {
  const n = deltas.length;
  const length = deltas[0]?.length ?? 0;
  const distances = new Float64Array(n * n);
  const tiled = n - (n % 4);
  const at = (k: number): Float32Array => deltas[k] as Float32Array;
  for (let start = 0; start < length; start += DISTANCE_BLOCK) {
    const end = Math.min(length, start + DISTANCE_BLOCK);
    for (let i = 0; i < tiled; i += 4) {
      const [a0, a1, a2, a3] = [at(i), at(i + 1), at(i + 2), at(i + 3)];
      for (let j = i + 4; j < tiled; j += 4) {
        addTile(distances, i * n + j, n, a0, a1, a2, a3, at(j), at(j + 1), at(j + 2), at(j + 3), start, end);
      }
      // Pairs inside this group of four, and with the deltas left over after the last full group.
      for (let p = i; p < i + 4; p++) {
        for (let q = p + 1; q < i + 4; q++) addPair(distances, p * n + q, at(p), at(q), start, end);
        for (let q = tiled; q < n; q++) addPair(distances, p * n + q, at(p), at(q), start, end);
      }
    }
    for (let p = tiled; p < n; p++) {
      for (let q = p + 1; q < n; q++) addPair(distances, p * n + q, at(p), at(q), start, end);
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) distances[j * n + i] = distances[i * n + j] as number;
  }
  return distances;
}

/** Adds Σ (a − b)² over `[start, end)` to `distances[cell]`. */
function addPair(
  distances: Float64Array,
  cell: number,
  a: Float32Array,
  b: Float32Array,
  start: number,
  end: number,
): void {
  let sum = 0;
  for (let c = start; c < end; c++) {
    const d = (a[c] as number) - (b[c] as number);
    sum += d * d;
  }
  distances[cell] = (distances[cell] as number) + sum;
}

/**
 * {@link addPair} for the 16 pairs of `a0..a3` against `b0..b3`, whose cells are rows
 * `cell`, `cell + n`, … and columns `cell`, …, `cell + 3`.
 */
function addTile(
  distances: Float64Array,
  cell: number,
  n: number,
  a0: Float32Array,
  a1: Float32Array,
  a2: Float32Array,
  a3: Float32Array,
  b0: Float32Array,
  b1: Float32Array,
  b2: Float32Array,
  b3: Float32Array,
  start: number,
  end: number,
): void {
  let s00 = 0;
  let s01 = 0;
  let s02 = 0;
  let s03 = 0;
  let s10 = 0;
  let s11 = 0;
  let s12 = 0;
  let s13 = 0;
  let s20 = 0;
  let s21 = 0;
  let s22 = 0;
  let s23 = 0;
  let s30 = 0;
  let s31 = 0;
  let s32 = 0;
  let s33 = 0;
  for (let c = start; c < end; c++) {
    const x0 = a0[c] as number;
    const x1 = a1[c] as number;
    const x2 = a2[c] as number;
    const x3 = a3[c] as number;
    const y0 = b0[c] as number;
    const y1 = b1[c] as number;
    const y2 = b2[c] as number;
    const y3 = b3[c] as number;
    s00 += square(x0 - y0);
    s01 += square(x0 - y1);
    s02 += square(x0 - y2);
    s03 += square(x0 - y3);
    s10 += square(x1 - y0);
    s11 += square(x1 - y1);
    s12 += square(x1 - y2);
    s13 += square(x1 - y3);
    s20 += square(x2 - y0);
    s21 += square(x2 - y1);
    s22 += square(x2 - y2);
    s23 += square(x2 - y3);
    s30 += square(x3 - y0);
    s31 += square(x3 - y1);
    s32 += square(x3 - y2);
    s33 += square(x3 - y3);
  }
  const sums = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      const at = cell + r * n + c;
      distances[at] = (distances[at] as number) + (sums[r * 4 + c] as number);
    }
  }
}

const square = (x: number): number => x * x;

/**
 * Krum scores (Blanchard et al., 2017) of the `candidates` (indices into the n × n `distances`):
 * for each, the sum of its `neighbours` smallest squared distances to the other candidates,
 * added smallest first.
 */
export function krumScores(
  distances: Float64Array,
  n: number,
  candidates: readonly number[],
  neighbours: number,
): Float64Array {
  const scores = new Float64Array(candidates.length);
  const row = new Float64Array(Math.max(0, candidates.length - 1));
  candidates.forEach((i, at) => {
    let k = 0;
    for (const j of candidates) if (j !== i) row[k++] = distances[i * n + j] as number;
    row.sort();
    let score = 0;
    for (let r = 0; r < neighbours; r++) score += row[r] as number;
    scores[at] = score;
  });
  return scores;
}

/**
 * Positions of the `count` lowest scores, lowest first; ties go to the lower position (the
 * earlier key id), so the choice never depends on arrival order.
 */
export function lowestScores(scores: Float64Array, count: number): number[] {
  const order = Array.from(scores.keys());
  order.sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
  return order.slice(0, count);
}
