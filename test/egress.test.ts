import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coordinator } from '@silo/coordinator';
import { loadMnist, subset } from '@silo/data';
import { parseVerifierKey } from '@silo/ledger';
import { initBackend } from '@silo/model';
import { loadPublicJwk } from '@silo/signing';
import { EgressLog, Trainer, Worker, readEgressLog } from '@silo/worker';
import {
  cleanRedis,
  coordinatorConfig,
  makeKey,
  nextEvent,
  quietLogger,
  tempDir,
  uniquePrefix,
} from './helpers.js';

/** A TCP relay that counts every byte the worker sends towards the coordinator. */
async function countingRelay(
  target: string,
): Promise<{ address: string; sent: () => number; close: () => void }> {
  const [host, port] = target.split(':') as [string, string];
  let sent = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host, port: Number(port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => (sent += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    address: `127.0.0.1:${address.port}`,
    sent: () => sent,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('what a worker sends during a round', () => {
  const prefix = uniquePrefix();
  let coordinator: Coordinator;
  let cleanup: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    await initBackend();
    ({ dir, cleanup } = await tempDir());
    coordinator = await Coordinator.start({
      config: coordinatorConfig({
        insecure: true,
        prefix,
        dataDir: join(dir, 'coordinator'),
        apiToken: 'egress-token-0123456789',
        ledgerName: 'silo-egress',
        chunkBytes: 1024 * 1024,
        pingIntervalMs: 60_000,
      }),
      logger: quietLogger,
    });
  });

  afterAll(async () => {
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanup?.();
  });

  it('is the update, its manifest and bounded protocol overhead: nothing else, and all of it in the egress log', async () => {
    const { train } = loadMnist({ trainSize: 300, testSize: 10, seed: 6 });
    const data = subset(
      train,
      Int32Array.from({ length: 300 }, (_, i) => i),
    );
    const rawDataBytes = data.size * 784 * 4;
    const { key, publicPath } = await makeKey(dir, 'owner');
    await coordinator.enroll(await loadPublicJwk(publicPath), 'owner', 'test');
    const relay = await countingRelay(coordinator.grpcAddress);
    const log = await EgressLog.open(join(dir, 'egress.log'));
    const verifierKey = parseVerifierKey(coordinator.key.verifierKey);
    const worker = new Worker({
      coordinator: relay.address,
      credentials: grpc.credentials.createInsecure(),
      name: 'owner',
      key,
      trainer: new Trainer(data),
      backend: 'test',
      logger: quietLogger,
      coordinatorKey: verifierKey,
      records: { log, ledgerKey: verifierKey, receiptInitialDelayMs: 20, receiptMaxDelayMs: 100 },
    });
    try {
      const receipt = nextEvent(worker, 'receipt');
      const submitted = nextEvent<{ manifest: { updateBytes: number } }>(worker, 'submitted');
      worker.start();
      await coordinator.createRun({
        name: 'egress',
        model: 'mlp',
        rounds: 1,
        minWorkers: 1,
        train: { epochs: 1, batchSize: 50, learningRate: 0.05 },
      });
      const { manifest } = await submitted;
      await receipt;
      const sent = relay.sent();
      const { records, problems } = await readEgressLog(log.path);
      expect(problems).toEqual([]);
      const update = records.find((r) => r.kind === 'update');
      expect(update?.kind === 'update' && update.updateBytes).toBe(manifest.updateBytes);
      const logged = records.reduce((sum, r) => sum + r.bytes, 0);
      const manifestBytes =
        update?.kind === 'update'
          ? update.manifest.protected.length +
            update.manifest.payload.length +
            update.manifest.signature.length
          : 0;
      const overhead = sent - manifest.updateBytes - manifestBytes;
      process.stdout.write(
        `egress: ${sent} bytes on the wire = update ${manifest.updateBytes} + manifest ${manifestBytes} + ` +
          `protocol ${overhead} (${records.length} messages logged, ${logged} bytes of messages); ` +
          `the worker's raw data would be ${rawDataBytes} bytes\n`,
      );
      // Everything the worker sent is in its egress log…
      expect(logged).toBeGreaterThanOrEqual(manifest.updateBytes + manifestBytes);
      expect(logged).toBeLessThanOrEqual(sent);
      // …and the wire carried the update and manifest plus framing, headers and small requests:
      // far too little to hold anything else, such as the training data itself.
      expect(overhead).toBeGreaterThan(0);
      expect(overhead).toBeLessThan(32 * 1024 + manifest.updateBytes * 0.01);
      expect(rawDataBytes).toBeGreaterThan(overhead * 10);
    } finally {
      await worker.stop();
      relay.close();
    }
  });
});
