import { addWeightedInto } from '@silo/aggregation';
import { SiloError } from '@silo/common';
import { layoutSize, type Layout, type UpdateEncoding } from '@silo/tensors';
import type { BlobBlockReader, BlobStore } from './blob-store.js';
import { DecodingBlockReader } from './update-decoding.js';
import type { RunConfig } from './config.js';

/**
 * Values per block: 1 MiB of float32. A pass holds the float64 sums of a block, the blocks of
 * {@link GROUP} updates and the output block, 7 MiB whatever the model and the round.
 */
const BLOCK_VALUES = 1 << 18;
/** Updates read at once and added in one pass (the SIMD kernel's four). */
const GROUP = 4;

/** An accepted update as the streaming pass reads it: from its blob. */
export interface StoredUpdate {
  readonly keyId: string;
  readonly numExamples: number;
  readonly updateDigest: string;
  /** How the blob encodes the values; default float32. */
  readonly encoding?: UpdateEncoding | undefined;
}

/**
 * Whether a run's rounds aggregate block by block over the stored blobs: FedAvg, and FedProx
 * (whose aggregate is FedAvg's), with or without `clipNorm`, and without differential privacy.
 * The other strategies, and DP rounds, combine the updates in memory.
 */
export function streamable(config: RunConfig): boolean {
  return (
    config.privacy === undefined && (config.strategy.name === 'fedavg' || config.strategy.name === 'fedprox')
  );
}

/**
 * FedAvg over blobs, block by block: new = base + Σ nₖ·clip(δₖ) / Σ nₖ, reading one block of
 * each update at a time, so memory is a few blocks whatever the number of updates and the model's
 * size. Every blob is hashed as it is read and checked against its name at the end.
 *
 * Bit for bit the arithmetic of `FedAvg.aggregate` (wrapped in `NormClipping` with a clip
 * norm): each coordinate sums nₖ·δₖ in float64 in key-id order, divides by Σ nₖ and adds to the
 * base once in float32, and a clipped delta's values are scaled and rounded to float32 first,
 * the norm summed in float64 in index order. So auditors recomputing in memory get the same
 * digest.
 *
 * @returns the checkpoint's digest (the blob is stored) and Σ nₖ.
 * @throws SiloError `ERR_BAD_INPUT` for no updates, a repeated key id, a bad example count or a
 *   non-finite base or result; `ERR_DIGEST_MISMATCH` for a blob that changed on disk.
 */
export async function streamingFedAvg(
  blobs: BlobStore,
  baseDigest: string,
  updates: readonly StoredUpdate[],
  layout: Layout,
  clipNorm: number | undefined,
  blockValues = BLOCK_VALUES,
): Promise<{ checkpoint: string; totalExamples: number }> {
  const length = layoutSize(layout);
  if (updates.length === 0) throw new SiloError('ERR_BAD_INPUT', 'fedavg needs at least one update');
  const ordered = [...updates].sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  let totalExamples = 0;
  ordered.forEach((u, i) => {
    if (i > 0 && ordered[i - 1]!.keyId === u.keyId)
      throw new SiloError('ERR_BAD_INPUT', `two updates from ${u.keyId} in one round`);
    if (!Number.isSafeInteger(u.numExamples) || u.numExamples < 1)
      throw new SiloError('ERR_BAD_INPUT', `update from ${u.keyId}: numExamples must be a positive integer`);
    totalExamples += u.numExamples;
  });
  const scales =
    clipNorm === undefined
      ? ordered.map(() => 1)
      : await clipScales(blobs, ordered, layout, clipNorm, blockValues);
  const block = Math.min(blockValues, Math.max(length, 1));
  const sum = new Float64Array(block);
  const groupValues = Array.from({ length: GROUP }, () => new Float32Array(block));
  const values = groupValues[0]!;
  const weights = ordered.map((u) => u.numExamples);
  const out = new Float32Array(block);
  const writer = await blobs.openWriter(length * 4, undefined);
  const readers: (BlobBlockReader | DecodingBlockReader)[] = [];
  try {
    const base = await blobs.openReader(baseDigest);
    readers.push(base);
    for (const u of ordered) readers.push(await updateReader(blobs, u, layout));
    for (let start = 0; start < length; start += block) {
      const size = Math.min(block, length - start);
      const s = sum.subarray(0, size);
      const v = values.subarray(0, size);
      s.fill(0);
      for (let k = 0; k < ordered.length; k += GROUP) {
        // A group's blocks are read together (the reads overlap on the thread pool), a clipped
        // update's values scaled and rounded to float32 in place, then added in key-id order.
        const group = groupValues
          .slice(0, Math.min(GROUP, ordered.length - k))
          .map((g) => g.subarray(0, size));
        await Promise.all(group.map((g, q) => readers[k + q + 1]!.next(g)));
        group.forEach((g, q) => {
          const scale = scales[k + q]!;
          if (scale !== 1) for (let i = 0; i < size; i++) g[i] = Math.fround(g[i]! * scale);
        });
        addWeightedInto(s, group, weights.slice(k, k + GROUP));
      }
      await base.next(v);
      const o = out.subarray(0, size);
      for (let i = 0; i < size; i++) {
        o[i] = v[i]! + s[i]! / totalExamples;
        if (!Number.isFinite(o[i]!))
          throw new SiloError('ERR_BAD_INPUT', `the aggregate is not finite at value ${start + i}`);
      }
      await writer.write(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
    }
    for (const reader of readers) await reader.verify();
    return { checkpoint: await writer.commit(), totalExamples };
  } finally {
    await writer.abort();
    await Promise.all(readers.map((r) => r.close()));
  }
}

/**
 * Each update's clip scale, `clipNorm / ‖δ‖₂` when its norm exceeds the bound and 1 otherwise,
 * from one block-by-block pass over its blob.
 */
async function clipScales(
  blobs: BlobStore,
  updates: readonly StoredUpdate[],
  layout: Layout,
  clipNorm: number,
  blockValues: number,
): Promise<number[]> {
  const length = layoutSize(layout);
  const block = new Float32Array(Math.min(blockValues, Math.max(length, 1)));
  const scales: number[] = [];
  for (const u of updates) {
    const reader = await updateReader(blobs, u, layout);
    try {
      let squares = 0;
      for (let start = 0; start < length; start += block.length) {
        const v = block.subarray(0, Math.min(block.length, length - start));
        await reader.next(v);
        for (let i = 0; i < v.length; i++) squares += v[i]! * v[i]!;
      }
      await reader.verify();
      const norm = Math.sqrt(squares);
      scales.push(norm > clipNorm && Number.isFinite(norm) ? clipNorm / norm : 1);
    } finally {
      await reader.close();
    }
  }
  return scales;
}

/** A float32 update blob is read as it is; an encoded one through its decoder. */
function updateReader(
  blobs: BlobStore,
  update: StoredUpdate,
  layout: Layout,
): Promise<BlobBlockReader | DecodingBlockReader> {
  const encoding = update.encoding ?? 'float32';
  return encoding === 'float32'
    ? blobs.openReader(update.updateDigest)
    : DecodingBlockReader.open(blobs, update.updateDigest, layout, encoding);
}
