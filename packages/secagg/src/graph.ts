import { hkdfSync } from 'node:crypto';
import { SiloError } from '@silo/common';
import { expandMask, SEED_BYTES } from './prg.js';

/** Fewest seed bytes a neighbour graph is drawn from. */
export const MIN_GRAPH_SEED_BYTES = 16;

const GRAPH_INFO = 'silo/secagg/graph/v1';

/**
 * The SecAgg+ neighbour graph: a Harary graph H(k, n) — the circulant graph joining each position
 * to the k/2 positions on either side — over a permutation of `ids` drawn from `seed`. The seed
 * (≥ 16 bytes, e.g. from the coordinator's CSPRNG, logged with the round) is turned into a PRG key
 * with HKDF-SHA256 and the permutation is a Fisher–Yates shuffle of the sorted ids with unbiased
 * draws from {@link expandMask}, so the graph depends only on the seed and the set of ids.
 *
 * k ≥ n − 1 gives the complete graph; otherwise k must be even and every worker has exactly k
 * neighbours. The graph is symmetric: v ∈ N(u) ⇔ u ∈ N(v).
 *
 * @returns id → its neighbour ids, sorted.
 * @throws SiloError `ERR_BAD_INPUT` for duplicate ids or a short seed; `ERR_BAD_CONFIG` for k
 *   negative, fractional, or odd below n − 1.
 */
export function neighbourGraph(ids: readonly string[], k: number, seed: Uint8Array): Map<string, string[]> {
  if (seed.length < MIN_GRAPH_SEED_BYTES)
    throw new SiloError(
      'ERR_BAD_INPUT',
      `a neighbour-graph seed needs at least ${MIN_GRAPH_SEED_BYTES} random bytes, got ${seed.length}`,
    );
  const sorted = [...ids].sort();
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i] === sorted[i - 1])
      throw new SiloError(
        'ERR_BAD_INPUT',
        `worker ${sorted[i]} appears twice in a secure-aggregation cohort`,
      );
  const n = sorted.length;
  if (!Number.isSafeInteger(k) || k < 0)
    throw new SiloError('ERR_BAD_CONFIG', `neighbours k must be a non-negative integer, got ${k}`);
  if (k < n - 1 && k % 2 !== 0)
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `neighbours k = ${k} must be even for a cohort of ${n} (or at least ${n - 1} for the complete graph)`,
    );
  const graph = new Map<string, string[]>(sorted.map((id) => [id, []]));
  if (k >= n - 1) {
    for (const id of sorted)
      graph.set(
        id,
        sorted.filter((other) => other !== id),
      );
    return graph;
  }
  const order = shuffle(sorted, new Uint8Array(hkdfSync('sha256', seed, '', GRAPH_INFO, SEED_BYTES)));
  for (let i = 0; i < n; i++) {
    for (let step = 1; step <= k / 2; step++) {
      const u = order[i]!;
      const v = order[(i + step) % n]!;
      graph.get(u)!.push(v);
      graph.get(v)!.push(u);
    }
  }
  for (const neighbours of graph.values()) neighbours.sort();
  return graph;
}

/** A Fisher–Yates shuffle driven by the PRG under `key`. */
function shuffle(items: readonly string[], key: Uint8Array): string[] {
  const out = [...items];
  let words = expandMask(key, 2 * out.length + 16);
  let at = 0;
  const next = (): number => {
    // The keystream is a prefix of any longer one, so growing it keeps the draws deterministic.
    if (at === words.length) words = expandMask(key, 2 * words.length);
    return words[at++]!;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = below(i + 1, next);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A uniform integer in [0, bound) by rejection, so no id is likelier at any position. */
function below(bound: number, next: () => number): number {
  const limit = 2 ** 32 - (2 ** 32 % bound);
  for (;;) {
    const word = next();
    if (word < limit) return word % bound;
  }
}
