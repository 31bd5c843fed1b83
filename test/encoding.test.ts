import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { auditLedger } from '@silo/audit';
import { Coordinator } from '@silo/coordinator';
import { loadMnist, partition, subset } from '@silo/data';
import { decodeEntry } from '@silo/ledger';
import { initBackend } from '@silo/model';
import { parseUpdateManifest, type SigningKey } from '@silo/signing';
import { encodedSize, layoutSize } from '@silo/tensors';
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

describe('compressed updates in a run', () => {
  const prefix = uniquePrefix();
  let cleanupDir: () => Promise<void>;
  let coordinator: Coordinator;
  const workers: Worker[] = [];
  const keys: SigningKey[] = [];

  beforeAll(async () => {
    await initBackend();
    const { dir, cleanup } = await tempDir();
    cleanupDir = cleanup;
    const made = await Promise.all(['a', 'b'].map((name) => makeKey(dir, name)));
    keys.push(...made.map((m) => m.key));
    const config = coordinatorConfig({
      prefix,
      dataDir: dir,
      insecure: true,
      apiToken: 'encoding-token-0123456789',
      ledgerName: 'silo-encoding',
      workers: ['a', 'b'].map((name, i) => ({ name, org: 'test', publicKeyFile: made[i]!.publicPath })),
      chunkBytes: 64 * 1024,
      // Every download streams from disk, a chunk at a time, rather than from the model cache.
      modelCacheBytes: 0,
    });
    coordinator = await Coordinator.start({ config, logger: quietLogger });
    const { train } = loadMnist({ trainSize: 200, testSize: 100, seed: 4 });
    const parts = partition(train, 2, { kind: 'iid' }, 4);
    for (const [i, name] of ['a', 'b'].entries()) {
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

  it.each([
    ['int8', 'fedavg'],
    ['float16', 'median'],
  ] as const)(
    'workers send %s updates, signed over the encoded bytes, that %s aggregates and the audit recomputes',
    async (encoding, strategy) => {
      const ended = nextEvent<{ runId: string; status: string }>(coordinator, 'run-ended');
      const run = await coordinator.createRun({
        model: 'mlp',
        rounds: 2,
        minWorkers: 2,
        updateEncoding: encoding,
        strategy: { name: strategy },
        train: { epochs: 1, batchSize: 20, learningRate: 0.05 },
      });
      expect(await ended).toMatchObject({ runId: run.id, status: 'completed' });
      await coordinator.ledger.drain();
      const store = coordinator.ledger.store;
      const sizes: number[] = [];
      for (let i = 0; i < store.size; i++) {
        const entry = decodeEntry(await store.entry(i), i);
        if (entry.type !== 'update' || entry.runId !== run.id) continue;
        const manifest = parseUpdateManifest(
          JSON.parse(Buffer.from(entry.manifest.payload, 'base64url').toString('utf8')),
        );
        expect(manifest.encoding).toBe(encoding);
        sizes.push(manifest.updateBytes);
      }
      expect(sizes).toEqual(Array(4).fill(encodedSize(run.layout, encoding)));
      // Per round: two float32 models out, two encoded updates in.
      const { history } = await coordinator.runView(run.id);
      expect(history.map((s) => [s.bytesOut, s.bytesIn])).toEqual(
        Array(2).fill([2 * layoutSize(run.layout) * 4, 2 * encodedSize(run.layout, encoding)]),
      );
      const report = await auditLedger(coordinator.ledgerDir, {
        coordinatorKey: coordinator.key.verifierKey,
        workers: keys.map((k) => k.publicJwk),
      });
      expect(report.problems).toEqual([]);
    },
  );
});
