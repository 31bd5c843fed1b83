import type { BlobStore } from './blob-store.js';

/** Checkpoints held at once: the round's base, and the one before while stragglers finish. */
export const MODEL_CACHE_ENTRIES = 2;

/**
 * Small checkpoints in memory for model downloads. Every sampled worker downloads the same base
 * at the start of a round; read from disk per download, a thousand workers cost a thousand
 * opens, reads and SHA-256 passes of one blob. Here the blob is read and checked against its
 * digest once (by {@link BlobStore.get}), and downloads are served from views of those bytes.
 *
 * Only checkpoints of at most `maxBytes` are held, so a large model keeps the streamed path, whose
 * memory is two or three chunks per download rather than the model.
 */
export class ModelCache {
  readonly #blobs: Pick<BlobStore, 'get'>;
  readonly #maxBytes: number;
  /** Loads by digest, least recently used first. */
  readonly #entries = new Map<string, Promise<Uint8Array>>();

  constructor(blobs: Pick<BlobStore, 'get'>, maxBytes: number) {
    this.#blobs = blobs;
    this.#maxBytes = maxBytes;
  }

  /**
   * The verified bytes of checkpoint `digest`, which is `size` bytes long, or `undefined` when it
   * is too large to hold (the caller streams it from disk). Concurrent calls share one read.
   *
   * @throws SiloError from {@link BlobStore.get}: ERR_NOT_FOUND, ERR_DIGEST_MISMATCH. A failed
   *   read is not kept; the next call reads again.
   */
  get(digest: string, size: number): Promise<Uint8Array> | undefined {
    if (size > this.#maxBytes) return undefined;
    let entry = this.#entries.get(digest);
    if (entry !== undefined) {
      this.#entries.delete(digest);
      this.#entries.set(digest, entry);
      return entry;
    }
    entry = this.#blobs.get(digest);
    this.#entries.set(digest, entry);
    entry.catch(() => {
      if (this.#entries.get(digest) === entry) this.#entries.delete(digest);
    });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= MODEL_CACHE_ENTRIES) break;
      this.#entries.delete(oldest);
    }
    return entry;
  }
}
