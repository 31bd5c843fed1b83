import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientUpdate } from '@silo/aggregation';
import { DiskBlobStore, streamingFedAvg, type StoredUpdate } from '@silo/coordinator';
import { toCanonicalBytes, type Layout } from '@silo/tensors';
import type { Figure, SectionContext } from '../section.js';

/** Largest model whose deltas are written to disk for the stored cases (n × P × 4 bytes each). */
export const STORED_MAX_PARAMS = 2_000_000;

/** A round's deltas as the coordinator keeps them: blobs in a store, named by digest. */
export interface StoredRound {
  readonly store: DiskBlobStore;
  readonly baseDigest: string;
  readonly updates: readonly StoredUpdate[];
  readonly layout: Layout;
  readonly params: number;
}

/**
 * Registers `fedavg-stored-n<n>-p<label>`: FedAvg as the coordinator runs it at the end of a round,
 * over the update blobs on disk (read, hashed and checked, summed, the new checkpoint written and
 * committed), in GB/s of update bytes and as a ratio to memory-copy bandwidth. The blobs are
 * written once per model size, untimed, from the same deltas as the in-memory cases.
 */
export function addStoredCase(
  ctx: SectionContext,
  label: string,
  n: number,
  round: () => { base: Float32Array; updates: ClientUpdate[] },
  stored: Map<string, Promise<StoredRound>>,
): void {
  ctx.case(
    `fedavg-stored-n${n}-p${label}`,
    async () => {
      let written = stored.get(label);
      if (written === undefined) {
        written = writeRound(ctx, label, round());
        stored.set(label, written);
      }
      const { store, baseDigest, updates, layout, params } = await written;
      const chosen = updates.slice(0, n);
      const start = performance.now();
      await streamingFedAvg(store, baseDigest, chosen, layout, undefined);
      const seconds = (performance.now() - start) / 1000;
      const bytes = chosen.length * params * 4;
      const figures: Figure[] = [
        {
          name: 'throughput',
          unit: 'GB/s',
          value: bytes / seconds / 1e9,
          ratioTo: 'floor/buffer-copy/bandwidth',
        },
        { name: 'time', unit: 's', value: seconds, better: 'lower' },
      ];
      return figures;
    },
    { maxReps: 5, warmup: 1 },
  );
}

async function writeRound(
  ctx: SectionContext,
  label: string,
  round: { base: Float32Array; updates: ClientUpdate[] },
): Promise<StoredRound> {
  const dir = join(ctx.workDir, `stored-p${label}`);
  await mkdir(dir, { recursive: true });
  const store = new DiskBlobStore(dir);
  const started = performance.now();
  const baseDigest = await store.put(toCanonicalBytes(round.base));
  const updates: StoredUpdate[] = [];
  for (const u of round.updates) {
    updates.push({
      keyId: u.keyId,
      numExamples: u.numExamples,
      updateDigest: await store.put(toCanonicalBytes(u.delta)),
    });
  }
  ctx.log(
    `wrote ${updates.length} update blobs of ${round.base.length} floats in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const params = round.base.length;
  return { store, baseDigest, updates, layout: [{ name: 'w', shape: [params] }], params };
}
