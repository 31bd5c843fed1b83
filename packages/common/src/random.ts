/**
 * Creates a small deterministic pseudo-random generator (mulberry32) returning floats in [0, 1).
 *
 * For shuffling, partitioning and sampling only: it is fast and reproducible, so every process
 * derives the same split from the same seed, but it is NOT cryptographically secure and its
 * 32-bit state is trivially predictable. Never use it for keys, nonces or masks.
 *
 * @param seed - any finite number; it is reduced to 32 bits, so seeds equal modulo 2^32 collide.
 */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
