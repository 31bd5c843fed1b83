import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskBlobStore } from './blob-store.js';
import { MODEL_CACHE_ENTRIES, ModelCache } from './model-cache.js';

describe('ModelCache', () => {
  let dir: string;
  let blobs: DiskBlobStore;
  let reads: string[];
  let counted: { get: (digest: string) => Promise<Uint8Array> };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'silo-model-cache-'));
    blobs = new DiskBlobStore(dir);
    reads = [];
    counted = {
      get: (digest) => {
        reads.push(digest);
        return blobs.get(digest);
      },
    };
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const model = (fill: number, bytes = 4096): Uint8Array => new Uint8Array(bytes).fill(fill);

  it('reads a checkpoint once for any number of concurrent downloads', async () => {
    const bytes = model(7);
    const digest = await blobs.put(bytes);
    const cache = new ModelCache(counted, 1 << 20);
    const load = (): Promise<Uint8Array> => {
      const pending = cache.get(digest, bytes.length);
      if (pending === undefined) throw new Error(`a ${bytes.length}-byte checkpoint was not cached`);
      return pending;
    };
    const served = await Promise.all(Array.from({ length: 50 }, load));
    expect(reads).toEqual([digest]);
    for (const view of served) expect(Buffer.from(view).equals(Buffer.from(bytes))).toBe(true);
  });

  it('leaves a checkpoint larger than its limit to the streamed path', async () => {
    const digest = await blobs.put(model(1, 2048));
    const cache = new ModelCache(counted, 2047);
    expect(cache.get(digest, 2048)).toBeUndefined();
    expect(reads).toEqual([]);
  });

  it('holds the most recently used checkpoints only', async () => {
    const digests = await Promise.all([1, 2, 3].map((fill) => blobs.put(model(fill))));
    const cache = new ModelCache(counted, 1 << 20);
    for (const digest of digests) await cache.get(digest, 4096);
    expect(MODEL_CACHE_ENTRIES).toBe(2);
    // The first was evicted by the third; the last two are still held.
    await cache.get(digests[2]!, 4096);
    await cache.get(digests[1]!, 4096);
    expect(reads).toEqual(digests);
    await cache.get(digests[0]!, 4096);
    expect(reads).toEqual([...digests, digests[0]]);
  });

  it('refuses a checkpoint corrupted on disk and does not keep the failure', async () => {
    const bytes = model(9);
    const digest = await blobs.put(bytes);
    await writeFile(join(dir, digest), model(8));
    const cache = new ModelCache(counted, 1 << 20);
    await expect(cache.get(digest, bytes.length)).rejects.toMatchObject({ code: 'ERR_DIGEST_MISMATCH' });
    await writeFile(join(dir, digest), bytes);
    const again = await cache.get(digest, bytes.length);
    expect(Buffer.from(again!).equals(Buffer.from(bytes))).toBe(true);
    expect(reads).toEqual([digest, digest]);
  });
});
