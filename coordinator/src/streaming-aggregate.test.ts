import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStrategy, type ClientUpdate } from '@silo/aggregation';
import { decodeUpdate, encodeUpdate, sha256Hex, toCanonicalBytes, type Layout } from '@silo/tensors';
import { DiskBlobStore } from './blob-store.js';
import { streamingFedAvg } from './streaming-aggregate.js';

/** A layout of one tensor of `length` values. */
const flat = (length: number): Layout => [{ name: 'w', shape: [length] }];

/** Deterministic pseudo-random floats spread over a few orders of magnitude. */
function vector(length: number, seed: number, scale: number): Float32Array {
  let x = seed * 2654435761;
  return Float32Array.from({ length }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return ((x / 2147483648) * 2 - 1) * scale;
  });
}

describe('streamingFedAvg', () => {
  let dir: string;
  let store: DiskBlobStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'silo-stream-'));
    store = new DiskBlobStore(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function round(length: number, count: number) {
    const base = vector(length, 1, 1);
    const updates: ClientUpdate[] = Array.from({ length: count }, (_, k) => ({
      keyId: `worker-${count - 1 - k}`,
      numExamples: 3 + k * 5,
      delta: vector(length, k + 2, 10 ** (k % 3) / 10),
    }));
    const stored = [];
    for (const u of updates)
      stored.push({
        keyId: u.keyId,
        numExamples: u.numExamples,
        updateDigest: await store.put(toCanonicalBytes(u.delta)),
      });
    return { base, baseDigest: await store.put(toCanonicalBytes(base)), updates, stored };
  }

  it.each([
    { length: 1000, count: 5, block: 64, clipNorm: undefined },
    { length: 1000, count: 5, block: 1 << 20, clipNorm: undefined },
    { length: 999, count: 7, block: 100, clipNorm: 3 },
    { length: 10, count: 1, block: 3, clipNorm: 0.01 },
  ])(
    'gives the in-memory strategy result bit for bit ($length values, $count updates, blocks of $block, clip $clipNorm)',
    async ({ length, count, block, clipNorm }) => {
      const { base, baseDigest, updates, stored } = await round(length, count);
      const config =
        clipNorm === undefined ? { name: 'fedavg' as const } : { name: 'fedavg' as const, clipNorm };
      const expected = createStrategy(config).aggregate(base, updates);
      const result = await streamingFedAvg(
        store,
        baseDigest,
        [...stored].reverse(),
        flat(length),
        clipNorm,
        block,
      );
      expect(result.totalExamples).toBe(expected.totalExamples);
      expect(result.checkpoint).toBe(sha256Hex(toCanonicalBytes(expected.weights)));
      expect(await store.get(result.checkpoint)).toEqual(toCanonicalBytes(expected.weights));
    },
  );

  it.each(['float16', 'int8'] as const)(
    'reads %s updates block by block as the strategy reads them decoded',
    async (encoding) => {
      const layout: Layout = [
        { name: 'w', shape: [30, 20] },
        { name: 'b', shape: [20] },
        { name: 'c', shape: [7] },
      ];
      const length = 627;
      const base = vector(length, 1, 1);
      const updates: ClientUpdate[] = [];
      const stored = [];
      for (let k = 0; k < 4; k++) {
        const bytes = encodeUpdate(vector(length, k + 5, 0.1 * (k + 1)), layout, encoding);
        updates.push({ keyId: `w${k}`, numExamples: 10 + k, delta: decodeUpdate(bytes, layout, encoding) });
        stored.push({ keyId: `w${k}`, numExamples: 10 + k, updateDigest: await store.put(bytes), encoding });
      }
      const baseDigest = await store.put(toCanonicalBytes(base));
      const expected = createStrategy({ name: 'fedavg', clipNorm: 1 }).aggregate(base, updates);
      const result = await streamingFedAvg(store, baseDigest, stored, layout, 1, 50);
      expect(result.checkpoint).toBe(sha256Hex(toCanonicalBytes(expected.weights)));
    },
  );

  it('refuses an update blob changed on disk, and stores nothing', async () => {
    const { baseDigest, stored } = await round(100, 3);
    const tampered = stored[1]!.updateDigest;
    await writeFile(join(dir, tampered), toCanonicalBytes(vector(100, 99, 1)));
    const before = (await readdir(dir)).sort();
    await expect(streamingFedAvg(store, baseDigest, stored, flat(100), undefined, 16)).rejects.toMatchObject({
      code: 'ERR_DIGEST_MISMATCH',
    });
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('refuses a round without updates, a repeated worker and a bad example count', async () => {
    const { baseDigest, stored } = await round(10, 2);
    await expect(streamingFedAvg(store, baseDigest, [], flat(10), undefined)).rejects.toThrow(
      /at least one update/,
    );
    await expect(
      streamingFedAvg(store, baseDigest, [stored[0]!, stored[0]!], flat(10), undefined),
    ).rejects.toThrow(/two updates from/);
    await expect(
      streamingFedAvg(store, baseDigest, [{ ...stored[0]!, numExamples: 0 }], flat(10), undefined),
    ).rejects.toThrow(/positive integer/);
  });
});

describe('StreamingBlobWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'silo-writer-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const bytes = toCanonicalBytes(Float32Array.from([1, -2, 3.5, 1e-30, 7]));

  /** Writes `data` in chunks of `size` bytes, so float32 values straddle chunk boundaries. */
  async function stream(
    data: Uint8Array,
    digest: string | undefined,
    size: number,
    declared = data.byteLength,
  ) {
    const writer = await new DiskBlobStore(dir).openWriter(declared, digest, { float32: true });
    try {
      for (let at = 0; at < data.byteLength; at += size) await writer.write(data.subarray(at, at + size));
      return await writer.commit();
    } finally {
      await writer.abort();
    }
  }

  it('stores a blob that arrives in uneven chunks under its digest', async () => {
    expect(await stream(bytes, sha256Hex(bytes), 3)).toBe(sha256Hex(bytes));
    expect(await readdir(dir)).toEqual([sha256Hex(bytes)]);
  });

  it('leaves nothing behind for a wrong digest, a short or long stream, or a value that is not finite', async () => {
    await expect(stream(bytes, 'a'.repeat(64), 5)).rejects.toMatchObject({ code: 'ERR_DIGEST_MISMATCH' });
    await expect(stream(bytes.subarray(0, 12), sha256Hex(bytes), 5, bytes.byteLength)).rejects.toMatchObject({
      code: 'ERR_STREAM',
    });
    await expect(stream(bytes, sha256Hex(bytes), 5, 8)).rejects.toMatchObject({ code: 'ERR_TOO_LARGE' });
    const nan = toCanonicalBytes(Float32Array.from([1, 2, Number.NaN, 4]));
    // The NaN's four bytes arrive split over two chunks.
    await expect(stream(nan, sha256Hex(nan), 7)).rejects.toThrow(/update\[2\] is NaN/);
    expect(await readdir(dir)).toEqual([]);
  });
});
