import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's `gc` as `--expose-gc` gives it: a young-generation collection with `{ type: 'minor' }`, a
 * full one without options (Node 20's V8 takes `{ type: 'major' }` for a young one too).
 */
export type CollectGarbage = (options?: { type: 'minor' }) => void;

/**
 * Garbage collection at the two points where the coordinator knows better than V8's heuristics
 * that much memory has just died.
 *
 * - **Chunk traffic.** Every model or update chunk on the wire leaves buffers behind (grpc-js
 *   frames each message in a buffer of its own; reads arrive in buffers of their own), held by
 *   small JavaScript objects. The young generation fills with those objects slowly, so V8
 *   collects on external-memory growth instead, which it lets reach 64 MiB past the level of its
 *   last full collection. {@link noteChunk} collects the young generation (a scavenge, a fraction
 *   of a millisecond here: it copies only the few live objects) after every `everyBytes` of chunks.
 * - **A run's initial model.** Building it leaves several model sizes of arrays in the old
 *   generation, which only a full collection frees, and V8 may not run one for the whole first
 *   round while a hundred downloads add their own garbage on top. {@link collectAll} runs one.
 *
 * Where the runtime does not offer collection, both do nothing.
 */
export class MemoryCollector {
  readonly #everyBytes: number;
  readonly #collect: CollectGarbage | undefined;
  #pending = 0;
  #collections = 0;

  /**
   * @param everyBytes - chunk bytes between young collections; 0 leaves collection to V8
   *   (for chunks and initial models alike).
   * @param collect - the collection; by default V8's own, or none (`null`) where it cannot be had.
   */
  constructor(everyBytes: number, collect: CollectGarbage | null = everyBytes > 0 ? v8Collection() : null) {
    this.#everyBytes = everyBytes;
    this.#collect = everyBytes > 0 && collect !== null ? collect : undefined;
  }

  /** Counts `bytes` of chunk traffic, collecting the young generation once `everyBytes` have passed. */
  noteChunk(bytes: number): void {
    if (this.#collect === undefined) return;
    this.#pending += bytes;
    if (this.#pending < this.#everyBytes) return;
    this.#pending = 0;
    this.#run({ type: 'minor' });
  }

  /** Collects the whole heap, after something large has died (a run's initial model built and stored). */
  collectAll(): void {
    if (this.#collect !== undefined) this.#run(undefined);
  }

  /** Collections run so far. */
  get collections(): number {
    return this.#collections;
  }

  #run(options: { type: 'minor' } | undefined): void {
    this.#collections += 1;
    if (options === undefined) this.#collect?.();
    else this.#collect?.(options);
  }
}

let cached: CollectGarbage | null | undefined;

/**
 * V8's collection, or `null` where this runtime does not offer it. `--expose-gc` is set at
 * run time rather than on the command line, so the coordinator's memory does not depend on how
 * it was started; the flag adds `gc` to contexts created after it, so a fresh one provides it.
 */
export function v8Collection(): CollectGarbage | null {
  if (cached === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      cached = typeof gc === 'function' ? (gc as CollectGarbage) : null;
    } catch {
      cached = null;
    }
  }
  return cached;
}
