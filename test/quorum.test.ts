import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { auditLedger } from '@silo/audit';
import { Coordinator, runConfigSchema } from '@silo/coordinator';
import { validateConfig } from '@silo/common';
import { loadMnist, partition, subset, type Dataset } from '@silo/data';
import { decodeEntry } from '@silo/ledger';
import { initBackend } from '@silo/model';
import type { TrainInstruction } from '@silo/protocol';
import { loadPublicJwk, type SigningKey } from '@silo/signing';
import { Trainer, Worker } from '@silo/worker';
import { sampleWorkers } from '../coordinator/src/scheduler.js';
import {
  cleanRedis,
  coordinatorConfig,
  makeKey,
  nextEvent,
  quietLogger,
  tempDir,
  uniquePrefix,
} from './helpers.js';
import { ManualWorker } from './manual-worker.js';

/** A coordinator with two real workers (a, b) and a worker the test drives (c), all online. */
class Setup {
  readonly prefix = uniquePrefix();
  coordinator!: Coordinator;
  readonly workers: Worker[] = [];
  manual!: ManualWorker;
  keys: SigningKey[] = [];
  cleanup: () => Promise<void> = () => Promise.resolve();

  async start(train: Dataset): Promise<void> {
    const { dir, cleanup } = await tempDir();
    this.cleanup = cleanup;
    this.coordinator = await Coordinator.start({
      config: coordinatorConfig({
        prefix: this.prefix,
        dataDir: join(dir, 'coordinator'),
        // Plain text: the ManualWorker dials without TLS (mTLS is covered by mtls.test.ts).
        insecure: true,
        apiToken: 'quorum-token-0123456789',
        ledgerName: 'silo-quorum',
        chunkBytes: 64 * 1024,
        pingIntervalMs: 1_000,
      }),
      logger: quietLogger,
    });
    const parts = partition(train, 2, { kind: 'iid' }, 1);
    for (const name of ['a', 'b', 'c']) {
      const { key, publicPath } = await makeKey(dir, name);
      await this.coordinator.enroll(await loadPublicJwk(publicPath), name, 'test');
      this.keys.push(key);
    }
    for (const [i, part] of parts.entries()) {
      const worker = new Worker({
        coordinator: this.coordinator.grpcAddress,
        credentials: grpc.credentials.createInsecure(),
        name: ['a', 'b'][i]!,
        key: this.keys[i]!,
        trainer: new Trainer(subset(train, part)),
        backend: 'test',
        logger: quietLogger,
        initialDelayMs: 50,
        maxDelayMs: 500,
      });
      const joined = nextEvent(worker, 'joined');
      worker.start();
      await joined;
      this.workers.push(worker);
    }
    this.manual = new ManualWorker(this.coordinator.grpcAddress, this.keys[2]!);
    await this.manual.join();
  }

  async stop(): Promise<void> {
    this.manual?.close();
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.coordinator?.close();
    await cleanRedis(this.prefix);
    await this.cleanup();
  }
}

describe('quorum, deadlines and workers that disappear', () => {
  let train: Dataset;
  let setup: Setup | undefined;

  beforeAll(async () => {
    await initBackend();
    train = loadMnist({ trainSize: 300, testSize: 10, seed: 2 }).train;
  });

  afterEach(async () => {
    await setup?.stop();
    setup = undefined;
  });

  const RUN = {
    name: 'quorum',
    model: 'mlp',
    rounds: 1,
    minWorkers: 3,
    train: { epochs: 1, batchSize: 50, learningRate: 0.05 },
  };

  it('retries a round short of its quorum with a worker that was not sampled, keeping what was accepted', async () => {
    setup = new Setup();
    await setup.start(train);
    const { coordinator, keys } = setup;
    const ids = keys.map((k) => k.keyId);
    // A seed whose two-worker sample of round 1 includes c, the worker that never answers.
    const base = { ...RUN, workersPerRound: 2, minUpdates: 2, roundTimeoutMs: 1_000 };
    const seed = [...Array(64).keys()].find((s) =>
      sampleWorkers(ids, validateConfig(runConfigSchema, { ...base, seed: s }, 'run'), 1).includes(ids[2]!),
    );
    expect(seed).toBeDefined();
    const left = ids.find(
      (k) => !sampleWorkers(ids, validateConfig(runConfigSchema, { ...base, seed }, 'run'), 1).includes(k),
    );

    const retried = nextEvent<{ attempt: number; added: string[] }>(coordinator, 'round-retried');
    const ended = nextEvent<{ status: string; error?: string }>(coordinator, 'run-ended');
    const run = await coordinator.createRun({
      ...base,
      seed,
      onQuorumFailure: { action: 'retry', retries: 2 },
    });
    expect(await retried).toEqual(expect.objectContaining({ attempt: 1, added: [left] }));
    const outcome = await ended;
    expect(outcome.status, outcome.error).toBe('completed');
    const [round] = (await coordinator.runView(run.id)).history;
    expect(round?.numUpdates).toBe(2);
    expect([...(round?.contributors ?? [])].sort()).toEqual([ids[0], ids[1]].sort());
  });

  it('fails the run, without hanging, when the policy is to fail', async () => {
    setup = new Setup();
    await setup.start(train);
    const ended = nextEvent<{ status: string; error?: string }>(setup.coordinator, 'run-ended');
    await setup.coordinator.createRun({ ...RUN, roundTimeoutMs: 1_000 });
    const outcome = await ended;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/round 1 reached its deadline with 2 of 3 required updates/);
  });

  it('aggregates with a robust strategy that an outlier cannot move, and the auditor recomputes it', async () => {
    setup = new Setup();
    await setup.start(train);
    const { coordinator, manual, keys } = setup;
    const instruction = nextEvent<TrainInstruction>(manual, 'train');
    const ended = nextEvent<{ status: string; error?: string }>(coordinator, 'run-ended');
    const run = await coordinator.createRun({ ...RUN, strategy: { name: 'median' } });
    // c sends a huge, validly signed update; the coordinate median of three ignores it.
    await manual.submit(await instruction, { fill: 1e6 });
    const outcome = await ended;
    expect(outcome.status, outcome.error).toBe('completed');
    const view = await coordinator.runView(run.id);
    expect(view.history[0]?.numUpdates).toBe(3);
    const weights = new Float32Array(
      (await readFile(join(coordinator.ledgerDir, 'blobs', view.checkpoint))).buffer.slice(0),
    );
    expect(weights.reduce((m, w) => Math.max(m, Math.abs(w)), 0)).toBeLessThan(10);
    await coordinator.ledger.drain();
    const audit = await auditLedger(coordinator.ledgerDir, {
      coordinatorKey: coordinator.key.verifierKey,
      workers: keys.map((k) => k.publicJwk),
    });
    expect(audit.problems).toEqual([]);
    expect(audit.checks.find((c) => c.name === 'recompute')).toMatchObject({ passed: 1, problems: 0 });
  });

  it('carries a server optimizer state from round to round, logged so the auditor recomputes it', async () => {
    setup = new Setup();
    await setup.start(train);
    const { coordinator, manual, keys } = setup;
    manual.on('train', (t) => void manual.submit(t, { fill: 0.01 }));
    const ended = nextEvent<{ status: string; error?: string }>(coordinator, 'run-ended');
    await coordinator.createRun({
      ...RUN,
      rounds: 2,
      strategy: { name: 'fedadam', serverLearningRate: 0.05 },
    });
    const outcome = await ended;
    expect(outcome.status, outcome.error).toBe('completed');
    await coordinator.ledger.drain();
    const audit = await auditLedger(coordinator.ledgerDir, {
      coordinatorKey: coordinator.key.verifierKey,
      workers: keys.map((k) => k.publicJwk),
    });
    expect(audit.problems).toEqual([]);
    expect(audit.checks.find((c) => c.name === 'recompute')).toMatchObject({ passed: 2, problems: 0 });
  });

  it('closes the round when a worker dies mid-upload and the quorum is still met, keeping no trace of the partial upload', async () => {
    setup = new Setup();
    await setup.start(train);
    const { coordinator, manual } = setup;
    const instruction = nextEvent<TrainInstruction>(manual, 'train');
    const ended = nextEvent<{ status: string; error?: string }>(coordinator, 'run-ended');
    const run = await coordinator.createRun({ ...RUN, minUpdates: 2 });
    const partial = await manual.submitPartial(await instruction, 4);
    const outcome = await ended;
    expect(outcome.status, outcome.error).toBe('completed');
    expect((await coordinator.runView(run.id)).history[0]?.numUpdates).toBe(2);

    await coordinator.ledger.drain();
    expect(await readdir(join(coordinator.ledgerDir, 'blobs'))).not.toContain(partial);
    const store = coordinator.ledger.store;
    for (let i = 0; i < store.size; i++) {
      const text = Buffer.from(await store.entry(i)).toString('utf8');
      expect(text, `entry ${i}: ${decodeEntry(await store.entry(i), i).type}`).not.toContain(partial);
      expect(decodeEntry(await store.entry(i), i).type).not.toBe('rejection');
    }
  });
});
