import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { auditLedger } from '@silo/audit';
import { Coordinator } from '@silo/coordinator';
import { loadMnist, partition, subset } from '@silo/data';
import { decodeEntry, parseAggregateRecord, type AggregateRecord, type LedgerEntry } from '@silo/ledger';
import { initBackend } from '@silo/model';
import { epsilonOfRounds } from '@silo/privacy';
import type { SigningKey } from '@silo/signing';
import { fromCanonicalBytes, l2Norm } from '@silo/tensors';
import { Trainer, Worker } from '@silo/worker';
import {
  cleanRedis,
  coordinatorConfig,
  makeKey,
  nextEvent,
  quietLogger,
  tempDir,
  uniquePrefix,
} from './helpers.js';

const NAMES = ['a', 'b', 'c'] as const;

/** Worker c's owner requires clipping to at most 5 and a noise multiplier of at least 1. */
const C_POLICY = { privacy: { maxClipNorm: 5, minNoiseMultiplier: 1 } };

describe('differential privacy in a federated run', () => {
  const prefix = uniquePrefix();
  let cleanupDir: () => Promise<void>;
  let coordinator: Coordinator;
  const workers: Worker[] = [];
  const keys: SigningKey[] = [];

  beforeAll(async () => {
    await initBackend();
    const { dir, cleanup } = await tempDir();
    cleanupDir = cleanup;
    const made = await Promise.all(NAMES.map((name) => makeKey(dir, name)));
    keys.push(...made.map((m) => m.key));
    const config = coordinatorConfig({
      prefix,
      dataDir: dir,
      insecure: true,
      apiToken: 'privacy-token-0123456789',
      ledgerName: 'silo-privacy',
      workers: NAMES.map((name, i) => ({ name, org: 'test', publicKeyFile: made[i]!.publicPath })),
    });
    coordinator = await Coordinator.start({ config, logger: quietLogger });
    const { train } = loadMnist({ trainSize: 300, testSize: 100, seed: 2 });
    const parts = partition(train, 3, { kind: 'iid' }, 2);
    for (const [i, name] of NAMES.entries()) {
      workers.push(
        new Worker({
          coordinator: coordinator.grpcAddress,
          credentials: grpc.credentials.createInsecure(),
          name,
          key: keys[i]!,
          trainer: new Trainer(subset(train, parts[i]!)),
          backend: 'test',
          logger: quietLogger,
          initialDelayMs: 50,
          maxDelayMs: 500,
          ...(name === 'c' ? { policy: C_POLICY } : {}),
        }),
      );
    }
    const joined = Promise.all(workers.map((w) => nextEvent(w, 'joined')));
    for (const w of workers) w.start();
    await joined;
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanupDir?.();
  });

  const baseRun = {
    model: 'mlp',
    minWorkers: 3,
    train: { epochs: 1, batchSize: 20, learningRate: 0.05 },
  };

  async function runToEnd(config: Record<string, unknown>): Promise<string> {
    const ended = nextEvent<{ runId: string; status: string }>(coordinator, 'run-ended');
    const run = await coordinator.createRun({ ...baseRun, ...config });
    const event = await ended;
    expect(event.runId).toBe(run.id);
    expect(event.status).toBe('completed');
    await coordinator.ledger.drain();
    return run.id;
  }

  async function entriesOf(runId: string): Promise<LedgerEntry[]> {
    const store = coordinator.ledger.store;
    const entries: LedgerEntry[] = [];
    for (let i = 0; i < store.size; i++) {
      const entry = decodeEntry(await store.entry(i), i);
      if ('runId' in entry && entry.runId === runId) entries.push(entry);
      if (entry.type === 'aggregate') {
        const record = aggregateOf(entry);
        if (record.runId === runId) entries.push(entry);
      }
    }
    return entries;
  }

  function aggregateOf(entry: LedgerEntry): AggregateRecord {
    if (entry.type !== 'aggregate') throw new Error(`not an aggregate: ${entry.type}`);
    return parseAggregateRecord(JSON.parse(Buffer.from(entry.record.payload, 'base64url').toString('utf8')));
  }

  async function blob(digest: string): Promise<Float32Array> {
    return fromCanonicalBytes(await readFile(join(coordinator.ledgerDir, 'blobs', digest)));
  }

  async function audit() {
    return auditLedger(coordinator.ledgerDir, {
      coordinatorKey: coordinator.key.verifierKey,
      workers: keys.map((k) => k.publicJwk),
    });
  }

  it('central mode: the coordinator clips, noises and accounts ε; an owner whose floor is higher declines', async () => {
    const declines: number[] = [];
    workers[2]!.on('declined', (d: { round: number }) => declines.push(d.round));
    const runId = await runToEnd({
      rounds: 2,
      minUpdates: 2,
      privacy: { clipNorm: 2, noiseMultiplier: 0.5, delta: 1e-5 },
    });
    expect(declines).toEqual([1, 2]);
    const records = (await entriesOf(runId)).filter((e) => e.type === 'aggregate').map(aggregateOf);
    expect(records.map((r) => r.updates.length)).toEqual([2, 2]);
    // Every worker online was sampled (q = 1): ε is the Gaussian mechanism's, composed.
    const round = { samplingRate: 1, noiseMultiplier: 0.5 };
    expect(records.map((r) => r.privacy?.epsilon)).toEqual([
      epsilonOfRounds([round], 1e-5),
      epsilonOfRounds([round, round], 1e-5),
    ]);
    for (const record of records) {
      expect(record.privacy).toMatchObject({ mode: 'central', clipNorm: 2, population: 3, denominator: 3 });
      // The logged noise has the declared scale σ = zC = 1.
      const noise = await blob(record.privacy!.noise!);
      const rms = l2Norm(noise) / Math.sqrt(noise.length);
      expect(Math.abs(rms - 1)).toBeLessThan(0.01);
    }
    const view = await coordinator.runView(runId);
    expect(view.history.map((h) => h.privacy?.epsilon)).toEqual(records.map((r) => r.privacy?.epsilon));

    const report = await audit();
    expect(report.problems).toEqual([]);
    expect(report.checks.find((c) => c.name === 'privacy')?.passed).toBeGreaterThanOrEqual(2);
  });

  it('local mode: every worker sends its update clipped and carrying its share of the noise; the budget ends the run early', async () => {
    const round = { samplingRate: 1, noiseMultiplier: 1 };
    // A budget two rounds fit in and a third does not.
    const maxEpsilon =
      (epsilonOfRounds([round, round], 1e-5) + epsilonOfRounds([round, round, round], 1e-5)) / 2;
    const runId = await runToEnd({
      rounds: 5,
      privacy: { clipNorm: 1, noiseMultiplier: 1, delta: 1e-5, mode: 'local', maxEpsilon },
    });
    const entries = await entriesOf(runId);
    const records = entries.filter((e) => e.type === 'aggregate').map(aggregateOf);
    expect(records).toHaveLength(2);
    const ended = entries.find((e) => e.type === 'run-ended');
    expect(ended).toMatchObject({ status: 'completed', round: 2, checkpoint: records[1]!.checkpoint });
    expect(ended?.type === 'run-ended' ? ended.reason : undefined).toMatch(
      /privacy budget: round 3 would take ε/,
    );
    expect((await coordinator.runView(runId)).reason).toMatch(/past maxEpsilon/);

    for (const record of records) {
      expect(record.privacy).toMatchObject({ mode: 'local', shares: 3, noise: null });
      expect(record.updates).toHaveLength(3);
      for (const update of record.updates) {
        // Clipped to norm 1, plus noise of σ = zC/√3 on each of P coordinates: norm ≈ σ√P.
        const delta = await blob(update.updateDigest);
        const noiseNorm = Math.sqrt(delta.length / 3);
        expect(Math.abs(l2Norm(delta) - noiseNorm)).toBeLessThan(1 + 0.02 * noiseNorm);
      }
    }
    const report = await audit();
    expect(report.problems).toEqual([]);
  });
});
