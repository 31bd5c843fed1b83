import { afterAll, describe, expect, it } from 'vitest';
import { Coordinator } from '@silo/coordinator';
import { loadMnist, subset } from '@silo/data';
import { Trainer, Worker } from '@silo/worker';
import { freePort } from '../packages/cli/src/redis.js';
import {
  cleanRedis,
  coordinatorConfig,
  coordinatorTls,
  makeKey,
  makePki,
  nextEvent,
  quietLogger,
  tempDir,
  uniquePrefix,
  workerCredentials,
} from './helpers.js';

describe('a worker whose coordinator restarts', () => {
  const prefix = uniquePrefix();
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await cleanRedis(prefix);
  });

  it('reconnects with backoff over mTLS and joins the new coordinator', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const { key, publicPath } = await makeKey(dir, 'w');
    const pki = await makePki(dir, ['w']);
    const config = coordinatorConfig({
      grpc: { host: '127.0.0.1', port: await freePort() },
      prefix,
      tls: coordinatorTls(pki),
      dataDir: dir,
      apiToken: 'reconnect-token-0123456789',
      ledgerName: 'silo-test',
      workers: [{ name: 'w', org: 'test', publicKeyFile: publicPath }],
      chunkBytes: 1024 * 1024,
    });
    const first = await Coordinator.start({ config, logger: quietLogger });
    const { train } = loadMnist({ trainSize: 100, testSize: 10 });
    const worker = new Worker({
      coordinator: first.grpcAddress,
      credentials: await workerCredentials(pki, 'w'),
      name: 'w',
      key,
      trainer: new Trainer(subset(train, [0, 1, 2, 3])),
      backend: 'test',
      logger: quietLogger,
      initialDelayMs: 20,
      maxDelayMs: 200,
    });
    cleanups.push(() => worker.stop());
    const joined = nextEvent(worker, 'joined');
    worker.start();
    await joined;

    const lost = nextEvent(worker, 'disconnected');
    await first.close();
    expect(await lost).toMatchObject({ code: 'ERR_UNAVAILABLE' });

    const rejoined = nextEvent(worker, 'joined');
    const second = await Coordinator.start({ config, logger: quietLogger });
    cleanups.push(() => second.close());
    await rejoined;
    const online = await second.state.onlineWorkers(60_000);
    expect(online.map((w) => w.keyId)).toEqual([key.keyId]);
  });
});
