import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger } from '@silo/audit';
import { decodeEntry, parseAggregateRecord, type AggregateRecord } from '@silo/ledger';
import { encodeInput } from '@silo/secagg';
import { fromCanonicalBytes } from '@silo/tensors';
import { Trainer, type TrainedDelta } from '@silo/worker';
import { startFederation, type Federation } from './federation-fixture.js';
import { nextEvent } from './helpers.js';

const NAMES = ['a', 'b', 'c', 'd', 'e'] as const;

/** A trainer that, while `held`, waits before training: a worker that drops after sharing keys. */
class HeldTrainer extends Trainer {
  held = false;
  #release: (() => void) | undefined;

  override async train(...args: Parameters<Trainer['train']>): Promise<TrainedDelta> {
    if (this.held) await new Promise<void>((resolve) => (this.#release = resolve));
    return super.train(...args);
  }

  release(): void {
    this.held = false;
    this.#release?.();
  }
}

const SECURE = { clipRange: 1, quantizationBits: 20, stepTimeoutMs: 20_000 };

/** Pearson correlation of two equally long vectors. */
function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(x.length, y.length);
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i]!;
    sy += y[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** A blob's words read as one worker's quantized input, dequantized. */
function asInput(bytes: Uint8Array, length: number): Float64Array {
  const words = new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + length * 4));
  const { clipRange: c, quantizationBits: b } = SECURE;
  return Float64Array.from(words, (q) => (q * 2 * c) / (2 ** b - 1) - c);
}

describe('secure aggregation in a federated run', () => {
  let fed: Federation;
  const held: HeldTrainer[] = [];

  beforeAll(async () => {
    fed = await startFederation({
      names: NAMES,
      trainer: (data) => {
        const trainer = new HeldTrainer(data);
        held.push(trainer);
        return trainer;
      },
    });
  });

  afterAll(async () => {
    for (const t of held) t.release();
    await fed?.close();
  });

  const baseRun = {
    model: 'mlp',
    minWorkers: NAMES.length,
    rounds: 1,
    seed: 7,
    train: { epochs: 1, batchSize: 20, learningRate: 0.05 },
  };

  async function runToEnd(
    config: Record<string, unknown>,
  ): Promise<{ runId: string; records: AggregateRecord[] }> {
    const { coordinator } = fed;
    const ended = nextEvent<{ runId: string; status: string; error?: string }>(coordinator, 'run-ended');
    const run = await coordinator.createRun({ ...baseRun, ...config });
    const event = await ended;
    expect(event).toMatchObject({ runId: run.id, status: 'completed' });
    await coordinator.ledger.drain();
    const store = coordinator.ledger.store;
    const records: AggregateRecord[] = [];
    for (let i = 0; i < store.size; i++) {
      const entry = decodeEntry(await store.entry(i), i);
      if (entry.type !== 'aggregate') continue;
      const record = parseAggregateRecord(
        JSON.parse(Buffer.from(entry.record.payload, 'base64url').toString('utf8')),
      );
      if (record.runId === run.id) records.push(record);
    }
    return { runId: run.id, records };
  }

  const blobsDir = (): string => join(fed.coordinator.ledgerDir, 'blobs');
  const blob = (digest: string): Promise<Buffer> => readFile(join(blobsDir(), digest));

  async function audit() {
    return auditLedger(fed.coordinator.ledgerDir, {
      coordinatorKey: fed.coordinator.key.verifierKey,
      workers: fed.keys.map((k) => k.publicJwk),
    });
  }

  it('the coordinator holds only masked inputs, and their unmasked mean is the plain one within quantization error', async () => {
    const before = new Set(await readdir(blobsDir()).catch(() => []));
    const secure = await runToEnd({ secureAggregation: SECURE });
    const secureBlobs = (await readdir(blobsDir())).filter((d) => !before.has(d));
    const plain = await runToEnd({});
    const [s] = secure.records;
    const [p] = plain.records;
    expect(s!.secureAggregation).toMatchObject({
      survivors: [...s!.secureAggregation!.survivors],
      dropped: [],
    });
    expect(s!.secureAggregation!.survivors).toHaveLength(NAMES.length);
    expect(s!.updates).toHaveLength(NAMES.length);
    expect(s!.base).toBe(p!.base);

    // Same seed, same data, same base: the same local deltas went into both runs.
    const deltas = await Promise.all(
      p!.updates.map(async (u) => fromCanonicalBytes(await blob(u.updateDigest))),
    );

    const length = deltas[0]!.length;
    // Nothing the coordinator stored in the secure run, bar the base and the new checkpoint (and
    // the revealed secrets), says anything of one worker's delta.
    const named = new Set([s!.base, s!.checkpoint, s!.secureAggregation!.revealed]);
    let masked = 0;
    for (const digest of secureBlobs.filter((d) => !named.has(d))) {
      const bytes = await blob(digest);
      if (bytes.byteLength < length * 4) continue;
      masked += bytes.byteLength === (length + 1) * 4 ? 1 : 0;
      // Read as float32, random words are often NaN or infinite; those say nothing either.
      const asFloats = Float64Array.from(fromCanonicalBytes(bytes.subarray(0, length * 4)), (x) =>
        Number.isFinite(x) ? x : 0,
      );
      for (const delta of deltas) {
        expect(Math.abs(correlation(asInput(bytes, length), delta))).toBeLessThan(0.05);
        expect(Math.abs(correlation(asFloats, delta))).toBeLessThan(0.05);
      }
    }
    expect(masked).toBe(NAMES.length);
    // The same check finds a worker's input when it is not masked.
    const open = encodeInput(deltas[0]!, 1, { threshold: 3, ...SECURE });
    expect(correlation(asInput(new Uint8Array(open.buffer), length), deltas[0]!)).toBeGreaterThan(0.99);

    // The unmasked mean gives the plain run's checkpoint, to within the quantization error.
    const a = fromCanonicalBytes(await blob(s!.checkpoint));
    const b = fromCanonicalBytes(await blob(p!.checkpoint));
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1e-4);

    const report = await audit();
    expect(report.problems).toEqual([]);
  });

  it('a worker that drops after sharing its keys is unmasked around, and the auditor redoes the unmasking', async () => {
    const dropping = held[4]!;
    dropping.held = true;
    const { records } = await runToEnd({ secureAggregation: SECURE, minUpdates: 4 });
    const [record] = records;
    const keyOf = (name: string): string => fed.keys[NAMES.indexOf(name as (typeof NAMES)[number])]!.keyId;
    expect(record!.secureAggregation!.dropped).toEqual([keyOf('e')]);
    expect(record!.secureAggregation!.survivors).toHaveLength(4);
    expect(record!.updates.map((u) => u.keyId).sort()).toEqual(record!.secureAggregation!.survivors);
    const report = await audit();
    expect(report.problems).toEqual([]);
    expect(report.checks.find((c) => c.name === 'recompute')?.passed).toBeGreaterThanOrEqual(3);
    // Its update, once it comes, is refused: the round is over.
    const refused = nextEvent(fed.workers[4]!, 'failed');
    dropping.release();
    await refused;
  });

  it('composes with differential privacy: central noise after unmasking, or each worker noising before masking', async () => {
    for (const mode of ['central', 'local'] as const) {
      const { records } = await runToEnd({
        secureAggregation: { ...SECURE, clipRange: 4 },
        privacy: { clipNorm: 1, noiseMultiplier: 0.5, delta: 1e-5, mode },
      });
      const [record] = records;
      expect(record!.secureAggregation!.survivors).toHaveLength(NAMES.length);
      expect(record!.privacy).toMatchObject({ mode, denominator: NAMES.length });
      expect(record!.privacy!.noise === null).toBe(mode === 'local');
    }
    const report = await audit();
    expect(report.problems).toEqual([]);
    expect(report.checks.find((c) => c.name === 'privacy')?.passed).toBeGreaterThanOrEqual(2);
  });

  it('refuses runs secure aggregation cannot serve, saying why', async () => {
    const refusals: [Record<string, unknown>, RegExp][] = [
      [
        { workersPerRound: 5, secureAggregation: { ...SECURE, neighbours: 4, threshold: 2 } },
        /more than half/,
      ],
      [{ secureAggregation: SECURE, strategy: { name: 'median' } }, /strategy over their mean/],
      [{ secureAggregation: { ...SECURE, threshold: 3 }, minUpdates: 2 }, /could not be unmasked/],
      [{ secureAggregation: SECURE, onQuorumFailure: { action: 'retry' } }, /cannot join/],
      [{ secureAggregation: SECURE, updateEncoding: 'int8' }, /fixed-point encoding/],
      [{ workersPerRound: 5, secureAggregation: { ...SECURE, quantizationBits: 31 } }, /wrap around/],
    ];
    for (const [config, reason] of refusals) {
      const refused = fed.coordinator.createRun({ ...baseRun, ...config });
      await expect(refused).rejects.toThrow(reason);
      await expect(refused).rejects.toHaveProperty('code', 'ERR_BAD_CONFIG');
    }
  });
});
