import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { auditLedger } from '@silo/audit';
import { toSiloError } from '@silo/common';
import {
  decodeEntry,
  leafHash,
  parseVerifierKey,
  verifyCheckpoint,
  verifyInclusion,
  verifyLedgerDir,
} from '@silo/ledger';
import { Coordinator } from '@silo/coordinator';
import { loadMnist, partition, subset } from '@silo/data';
import { initBackend } from '@silo/model';
import { fromServiceError, type LedgerReceipt, type TrainInstruction } from '@silo/protocol';
import type { SigningKey } from '@silo/signing';
import { layoutSize } from '@silo/tensors';
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
import { ManualWorker } from './manual-worker.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (err) {
    return toSiloError(err).code;
  }
}

describe('a coordinator and workers over real gRPC and Redis', () => {
  const prefix = uniquePrefix();
  let cleanupDir: () => Promise<void>;
  let coordinator: Coordinator;
  const workers: Worker[] = [];
  let manual: ManualWorker;
  let keys: Record<'a' | 'b' | 'c' | 'stranger', SigningKey>;

  beforeAll(async () => {
    await initBackend();
    const { dir, cleanup } = await tempDir();
    cleanupDir = cleanup;
    const made = {
      a: await makeKey(dir, 'a'),
      b: await makeKey(dir, 'b'),
      c: await makeKey(dir, 'c'),
      stranger: await makeKey(dir, 'stranger'),
    };
    keys = { a: made.a.key, b: made.b.key, c: made.c.key, stranger: made.stranger.key };
    const config = coordinatorConfig({
      prefix,
      dataDir: dir,
      // Plain text: the ManualWorker dials without TLS (mTLS is covered by mtls.test.ts).
      insecure: true,
      apiToken: 'test-token-0123456789',
      ledgerName: 'silo-test',
      workers: (['a', 'b', 'c'] as const).map((name) => ({
        name,
        org: 'test',
        publicKeyFile: made[name].publicPath,
      })),
    });
    coordinator = await Coordinator.start({ config, logger: quietLogger });
    const { train } = loadMnist({ trainSize: 400, testSize: 200, seed: 1 });
    const parts = partition(train, 2, { kind: 'iid' }, 1);
    for (const [i, name] of (['a', 'b'] as const).entries()) {
      const worker = new Worker({
        coordinator: coordinator.grpcAddress,
        credentials: grpc.credentials.createInsecure(),
        name,
        key: keys[name],
        trainer: new Trainer(subset(train, parts[i] ?? new Int32Array())),
        backend: 'test',
        logger: quietLogger,
        initialDelayMs: 50,
        maxDelayMs: 500,
      });
      workers.push(worker);
    }
    manual = new ManualWorker(coordinator.grpcAddress, keys.c);
  });

  afterAll(async () => {
    manual?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanupDir?.();
  });

  let runId = '';
  let manualReceipt: { entryIndex: number; updateDigest: string } | undefined;

  it('finishes two rounds, rejecting hostile updates with their own codes while the round completes', async () => {
    const joined = Promise.all(workers.map((w) => nextEvent(w, 'joined')));
    for (const w of workers) w.start();
    await joined;
    const firstTrain = nextEvent<TrainInstruction>(manual, 'train', (t) => t.round === 1);
    await manual.join();

    const acceptedFromA = nextEvent<{ manifest: { nonce: string } }>(workers[0]!, 'submitted');
    let honest = 0;
    const twoHonest = new Promise<void>((resolve) => {
      coordinator.on('update-accepted', (u) => {
        if (u.round === 1 && u.keyId !== keys.c.keyId && ++honest === 2) resolve();
      });
    });
    const ended = nextEvent<{ status: string }>(coordinator, 'run-ended');
    const run = await coordinator.createRun({
      name: 'integration',
      model: 'mlp',
      rounds: 2,
      minWorkers: 3,
      train: { epochs: 1, batchSize: 50, learningRate: 0.05 },
      evaluation: { dataset: 'mnist-test', size: 200, seed: 1, trainSize: 400 },
    });
    const train = await firstTrain;
    await twoHonest;
    const { manifest: aManifest } = await acceptedFromA;

    // Round 1 now waits for C: hostile updates arrive while it is collecting.
    expect(await codeOf(manual.submit(train, { key: keys.stranger }))).toBe('ERR_UNKNOWN_KEY');
    expect(await codeOf(manual.submit(train, { round: 2 }))).toBe('ERR_STALE_ROUND');
    expect(await codeOf(manual.submit(train, { key: keys.a, nonce: aManifest.nonce, fill: 0.5 }))).toBe(
      'ERR_REPLAYED_NONCE',
    );
    expect(await codeOf(manual.submit(train, { tamper: true }))).toBe('ERR_DIGEST_MISMATCH');
    expect(await codeOf(manual.submit(train, { nonce: 'not-the-issued-nonce' }))).toBe('ERR_BAD_NONCE');

    manual.on('train', (t) => {
      if (t.round === 2) void manual.submit(t);
    });
    const receipt = await manual.submit(train);
    expect(receipt.duplicate).toBe(false);
    manualReceipt = { entryIndex: receipt.entryIndex, updateDigest: receipt.updateDigest };
    runId = run.id;
    const again = await manual.submit(train);
    expect(again.duplicate).toBe(true);
    expect(again.updateDigest).toBe(receipt.updateDigest);
    expect(again.entryIndex).toBe(receipt.entryIndex);

    expect((await ended).status).toBe('completed');
    const view = await coordinator.runView(run.id);
    expect(view.history.map((r) => r.round)).toEqual([1, 2]);
    expect(view.history[0]?.numUpdates).toBe(3);
    expect(view.history[0]?.rejected).toBe(5);
    expect(view.history[1]?.numUpdates).toBe(3);
    expect(view.history[1]?.base).toBe(view.history[0]?.checkpoint);
    expect(view.checkpoint).toBe(view.history[1]?.checkpoint);
    expect(view.checkpoint).not.toBe(run.checkpoint);
    // Round 1: a and b download once each, C before each of its seven submissions; the update
    // bytes of a, b, C and the tampered update arrived (the other refusals came before any data).
    // Round 2: one download and one update each.
    const modelBytes = layoutSize(run.layout) * 4;
    expect(view.history.map((s) => [s.bytesOut, s.bytesIn])).toEqual([
      [9 * modelBytes, 4 * modelBytes],
      [3 * modelBytes, 3 * modelBytes],
    ]);
    const evalAccuracy = view.history[1]?.evalAccuracy ?? 0;
    expect(evalAccuracy).toBeGreaterThan(0.1);
    const codes = (await coordinator.state.rejections(run.id, 1)).map((r) => r.code).sort();
    expect(codes).toEqual([
      'ERR_BAD_NONCE',
      'ERR_DIGEST_MISMATCH',
      'ERR_REPLAYED_NONCE',
      'ERR_STALE_ROUND',
      'ERR_UNKNOWN_KEY',
    ]);
  });

  it('logs every enrollment, update, refusal, aggregate and the run end, and proves an update is in it', async () => {
    expect(manualReceipt).toBeDefined();
    const ledger = coordinator.ledger;
    await ledger.drain();
    const store = ledger.store;
    const types: string[] = [];
    for (let i = 0; i < store.size; i++) types.push(decodeEntry(await store.entry(i), i).type);
    const count = (type: string): number => types.filter((t) => t === type).length;
    expect(count('key-enrolled')).toBe(3);
    expect(count('run')).toBe(1);
    expect(count('update')).toBe(6);
    expect(count('rejection')).toBe(5);
    expect(count('aggregate')).toBe(2);
    expect(types.at(-1)).toBe('run-ended');
    // A checkpoint after each round; the last one covers the whole log.
    const checkpoints = store.checkpoints();
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(checkpoints.at(-1)?.size).toBe(store.size);

    const audit = await verifyLedgerDir(coordinator.ledgerDir, coordinator.key.verifierKey, 'silo-test');
    expect(audit.problems).toEqual([]);
    expect(audit.verifiedSize).toBe(store.size);
    // The auditor's full check: signatures against the key history, every aggregate recomputed.
    const deep = await auditLedger(coordinator.ledgerDir, {
      coordinatorKey: coordinator.key.verifierKey,
      workers: [keys.a, keys.b, keys.c].map((k) => k.publicJwk),
    });
    expect(deep.problems).toEqual([]);
    expect(deep.ok).toBe(true);
    expect(deep.rejections).toEqual({
      ERR_BAD_NONCE: 1,
      ERR_DIGEST_MISMATCH: 1,
      ERR_REPLAYED_NONCE: 1,
      ERR_STALE_ROUND: 1,
      ERR_UNKNOWN_KEY: 1,
    });

    // The worker's receipt: its entry, an inclusion proof and the signed checkpoint.
    const { entryIndex, updateDigest } = manualReceipt!;
    const proof = await new Promise<LedgerReceipt>((resolve, reject) => {
      manual.client.getReceipt(
        { entryIndex, updateDigest },
        { deadline: Date.now() + 10_000 },
        (err, value) =>
          err === null && value !== undefined ? resolve(value) : reject(err ?? new Error('no receipt')),
      );
    });
    const entry = decodeEntry(proof.entry, entryIndex);
    expect(entry).toMatchObject({ type: 'update', runId, round: 1, keyId: keys.c.keyId, updateDigest });
    const cp = verifyCheckpoint(proof.checkpoint, parseVerifierKey(coordinator.key.verifierKey), 'silo-test');
    expect(cp.size).toBe(proof.treeSize);
    expect(() =>
      verifyInclusion(leafHash(proof.entry), entryIndex, cp.size, proof.proof, cp.root),
    ).not.toThrow();
    // Asking with another digest reveals nothing.
    const refused = await new Promise<string>((resolve) => {
      manual.client.getReceipt(
        { entryIndex, updateDigest: '0'.repeat(64) },
        { deadline: Date.now() + 10_000 },
        (err) => resolve(err === null ? 'answered' : fromServiceError(err).code),
      );
    });
    expect(refused).toBe('ERR_NOT_FOUND');
  });
});
