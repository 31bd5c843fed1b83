import { createRng } from '@silo/common';
import type { ClientUpdate } from './strategy.js';

// Helpers for the tests of this package; not exported from it.

/** Updates `a`, `b`, `c`, … of one example each, from plain arrays. */
export function updatesOf(...deltas: readonly (readonly number[])[]): ClientUpdate[] {
  return deltas.map((delta, k) => ({
    keyId: String.fromCharCode(97 + k),
    numExamples: 1,
    delta: Float32Array.from(delta),
  }));
}

/** `count` updates of `length` values in [-1, 1), spread around a per-update offset. */
export function randomUpdates(count: number, length: number, seed: number): ClientUpdate[] {
  const random = createRng(seed);
  return Array.from({ length: count }, (_, k) => {
    const offset = random() - 0.5;
    return {
      keyId: `worker-${String(k).padStart(3, '0')}`,
      numExamples: 1 + Math.floor(random() * 100),
      delta: Float32Array.from({ length }, () => offset + (random() - 0.5)),
    };
  });
}

/** Every ordering of `items` (n! of them: keep n small). */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** `count` pseudo-random orderings of `items` (Fisher–Yates), the first one reversed. */
export function shuffles<T>(items: readonly T[], count: number, seed: number): T[][] {
  const random = createRng(seed);
  const out: T[][] = [[...items].reverse()];
  while (out.length < count) {
    const order = [...items];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as T, order[i] as T];
    }
    out.push(order);
  }
  return out;
}

/**
 * Five 2-D deltas a..e for the Krum family. With f = 1 each is scored over its n − f − 2 = 2
 * nearest neighbours. Squared distances: ab 1, ac 4, ad 2, ae 200, bc 5, bd 1, be 181, cd 2,
 * ce 164, de 162. Scores: a 1 + 2 = 3; b 1 + 1 = 2; c 2 + 4 = 6; d 1 + 2 = 3; e 162 + 164 = 326.
 */
export const FIVE: readonly (readonly number[])[] = [
  [0, 0],
  [1, 0],
  [0, 2],
  [1, 1],
  [10, 10],
];
