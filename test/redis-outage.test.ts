import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { Coordinator, checkRedisDurability } from '@silo/coordinator';
import { loadMnist, partition, subset } from '@silo/data';
import { verifyLedgerDir } from '@silo/ledger';
import { initBackend } from '@silo/model';
import { loadPublicJwk } from '@silo/signing';
import { Trainer, Worker } from '@silo/worker';
import { freePort, redisAnswers } from '../packages/cli/src/redis.js';
import { REDIS_URL, coordinatorConfig, makeKey, nextEvent, quietLogger, tempDir } from './helpers.js';

/** A redis-server of the test's own, with append-only persistence in a temp directory. */
class OwnRedis {
  #child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    // Wait for it to answer (it loads the append-only file first).
    while (!(await redisAnswers(this.url))) await new Promise((r) => setTimeout(r, 50));
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

describe('Redis outages', () => {
  let redis: OwnRedis;
  let cleanup: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    await initBackend();
    ({ dir, cleanup } = await tempDir());
    redis = new OwnRedis(await freePort(), dir);
    await redis.start();
  });

  afterAll(async () => {
    await redis?.kill();
    await cleanup?.();
  });

  it('warns at start when Redis could lose jobs, and not when it is set up for production', async () => {
    const shared = new Redis(REDIS_URL);
    const own = new Redis(redis.url);
    try {
      // The machine's shared Redis keeps nothing on disk.
      const risky = await checkRedisDurability(shared, quietLogger);
      expect(risky.appendonly).toBe('no');
      expect(risky.warnings.join('\n')).toContain('appendonly yes');
      const safe = await checkRedisDurability(own, quietLogger);
      expect(safe).toMatchObject({ appendonly: 'yes', maxmemoryPolicy: 'noeviction', warnings: [] });
    } finally {
      shared.disconnect();
      own.disconnect();
    }
  });

  it('finishes a run through a Redis crash and restart', async () => {
    const coordinator = await Coordinator.start({
      config: coordinatorConfig({
        redisUrl: redis.url,
        prefix: 'outage',
        dataDir: join(dir, 'coordinator'),
        insecure: true,
        apiToken: 'outage-token-0123456789',
        ledgerName: 'silo-outage',
        pingIntervalMs: 1_000,
      }),
      logger: quietLogger,
    });
    const workers: Worker[] = [];
    try {
      const { train } = loadMnist({ trainSize: 400, testSize: 10, seed: 5 });
      const parts = partition(train, 2, { kind: 'iid' }, 5);
      for (const [i, part] of parts.entries()) {
        const { key, publicPath } = await makeKey(dir, `outage-${i}`);
        await coordinator.enroll(await loadPublicJwk(publicPath), `w${i}`, 'test');
        const worker = new Worker({
          coordinator: coordinator.grpcAddress,
          credentials: grpc.credentials.createInsecure(),
          name: `w${i}`,
          key,
          trainer: new Trainer(subset(train, part)),
          backend: 'test',
          logger: quietLogger,
          initialDelayMs: 100,
          maxDelayMs: 1_000,
        });
        worker.start();
        workers.push(worker);
      }
      const ended = nextEvent<{ status: string; error?: string }>(coordinator, 'run-ended');
      const firstRound = nextEvent(coordinator, 'round-closed');
      await coordinator.createRun({
        name: 'outage',
        model: 'mlp',
        rounds: 3,
        minWorkers: 2,
        train: { epochs: 1, batchSize: 50, learningRate: 0.05 },
      });
      await firstRound;
      // Redis dies mid-run and stays down for a moment; the coordinator must ride it out.
      await redis.kill();
      await new Promise((r) => setTimeout(r, 1_000));
      await redis.start();
      const outcome = await ended;
      expect(outcome.status, outcome.error).toBe('completed');
      const view = await coordinator.runView((await coordinator.state.listRuns())[0]!);
      expect(view.history.map((r) => r.round)).toEqual([1, 2, 3]);
      await coordinator.ledger.drain();
      const audit = await verifyLedgerDir(coordinator.ledgerDir, coordinator.key.verifierKey, 'silo-outage');
      expect(audit.problems).toEqual([]);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await coordinator.close();
    }
  }, 120_000);
});
