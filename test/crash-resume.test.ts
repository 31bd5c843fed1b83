import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger } from '@silo/audit';
import { loadMnist, partition, subset } from '@silo/data';
import { decodeEntry, verifyLedgerDir, LedgerStore } from '@silo/ledger';
import { initBackend } from '@silo/model';
import type { TlsFiles } from '@silo/common';
import type { SigningKey } from '@silo/signing';
import { Trainer, Worker } from '@silo/worker';
import { freePort } from '../packages/cli/src/redis.js';
import {
  REDIS_URL,
  cleanRedis,
  coordinatorTls,
  makeKey,
  makePki,
  quietLogger,
  startCoordinatorProcess,
  tempDir,
  uniquePrefix,
  workerCredentials,
  type CoordinatorProcess,
} from './helpers.js';

const TOKEN = 'crash-resume-token-0123456789';
const ORIGIN = 'silo-crash-resume';
const RUN = {
  name: 'crash-resume',
  model: 'mlp',
  rounds: 3,
  minWorkers: 2,
  roundTimeoutMs: 120_000,
  train: { epochs: 1, batchSize: 50, learningRate: 0.05 },
  seed: 7,
};

interface RunView {
  status: string;
  checkpoint: string;
  error?: string;
  history: { round: number; numUpdates: number; checkpoint: string }[];
}

/** One federation: its own Redis prefix, data directory and fixed gRPC port, so workers can reconnect. */
class Federation {
  readonly prefix = uniquePrefix();
  readonly workers: Worker[] = [];
  coordinator: CoordinatorProcess | undefined;
  config = '';
  port = 0;

  constructor(
    readonly dir: string,
    readonly keys: { key: SigningKey; publicPath: string }[],
    /** The federation plane runs over mTLS, as in production: the coordinator's files, each worker's credentials. */
    readonly tls: { coordinator: TlsFiles; workers: grpc.ChannelCredentials[] },
  ) {}

  async start(env: Record<string, string> = {}): Promise<CoordinatorProcess> {
    if (this.config === '') {
      this.port = await freePort();
      await mkdir(this.dir, { recursive: true });
      this.config = join(this.dir, 'coordinator.json');
      await writeFile(
        this.config,
        JSON.stringify({
          grpc: { host: '127.0.0.1', port: this.port },
          http: { host: '127.0.0.1', port: 0 },
          redisUrl: REDIS_URL,
          prefix: this.prefix,
          tls: this.tls.coordinator,
          dataDir: join(this.dir, 'data'),
          apiToken: TOKEN,
          ledgerName: ORIGIN,
          pingIntervalMs: 1_000,
          workers: this.keys.map((k, i) => ({ name: `w${i}`, org: 'test', publicKeyFile: k.publicPath })),
        }),
      );
    }
    this.coordinator = await startCoordinatorProcess(this.config, env);
    return this.coordinator;
  }

  startWorkers(parts: Trainer[]): void {
    for (const [i, trainer] of parts.entries()) {
      const worker = new Worker({
        coordinator: `127.0.0.1:${this.port}`,
        credentials: this.tls.workers[i]!,
        name: `w${i}`,
        key: this.keys[i]!.key,
        trainer,
        backend: 'test',
        logger: quietLogger,
        initialDelayMs: 100,
        maxDelayMs: 1_000,
      });
      worker.start();
      this.workers.push(worker);
    }
  }

  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.coordinator!.ready.http}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** Polls the run until it ends (the coordinator is another process: there is no event to wait on). */
  async finished(runId: string): Promise<RunView> {
    for (;;) {
      const view = await this.api<RunView>('GET', `/v1/runs/${runId}`);
      if (view.status !== 'running') return view;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
    this.coordinator?.child.kill('SIGKILL');
    await cleanRedis(this.prefix);
  }
}

describe('a coordinator killed at every stage of a round', () => {
  let cleanup: (() => Promise<void>) | undefined;
  const federations: Federation[] = [];
  let trainers: () => Trainer[];
  let keys: { key: SigningKey; publicPath: string }[];
  let tls: { coordinator: TlsFiles; workers: grpc.ChannelCredentials[] };
  let dir: string;

  beforeAll(async () => {
    await initBackend();
    ({ dir, cleanup } = await tempDir());
    keys = [await makeKey(dir, 'w0'), await makeKey(dir, 'w1')];
    const pki = await makePki(dir, ['w0', 'w1']);
    tls = {
      coordinator: coordinatorTls(pki),
      workers: [await workerCredentials(pki, 'w0'), await workerCredentials(pki, 'w1')],
    };
    const { train } = loadMnist({ trainSize: 400, testSize: 10, seed: 3 });
    const parts = partition(train, 2, { kind: 'iid' }, 3);
    trainers = () => parts.map((p) => new Trainer(subset(train, p)));
  });

  afterAll(async () => {
    for (const f of federations) await f.stop();
    await cleanup?.();
  });

  it('resumes from Redis and the stores and ends with the same model as a run never interrupted', async () => {
    // The reference: the same keys, data, seed and config, never interrupted.
    const reference = new Federation(join(dir, 'reference'), keys, tls);
    federations.push(reference);
    await reference.start();
    reference.startWorkers(trainers());
    const refRun = await reference.api<{ id: string }>('POST', '/v1/runs', RUN);
    const expected = await reference.finished(refRun.id);
    expect(expected.status).toBe('completed');

    // Killed while collecting round 1, while aggregating round 2, and between round 2's close and
    // round 3's opening; each time started again without the fault.
    const crashed = new Federation(join(dir, 'crashed'), keys, tls);
    federations.push(crashed);
    const faults = ['update-accepted@1', 'aggregate-stored@2', 'round-closed@2'];
    let coordinator = await crashed.start({ SILO_FAULT: faults[0]! });
    crashed.startWorkers(trainers());
    const run = await crashed.api<{ id: string }>('POST', '/v1/runs', RUN);
    for (const next of [...faults.slice(1), '']) {
      expect(await coordinator.ended).toBe('SIGKILL');
      coordinator = await crashed.start(next === '' ? {} : { SILO_FAULT: next });
    }
    const view = await crashed.finished(run.id);
    expect(view.status, view.error).toBe('completed');
    expect(view.history.map((r) => [r.round, r.numUpdates])).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
    expect(view.checkpoint).toBe(expected.checkpoint);
    expect(view.history.map((r) => r.checkpoint)).toEqual(expected.history.map((r) => r.checkpoint));

    // Stop it cleanly so the ledger's last checkpoint is signed, then audit the ledger.
    coordinator.child.kill('SIGTERM');
    await coordinator.ended;
    const ledgerDir = coordinator.ready.ledgerDir;
    const audit = await verifyLedgerDir(ledgerDir, coordinator.ready.verifierKey, ORIGIN);
    expect(audit.problems).toEqual([]);
    expect(audit.warnings).toEqual([]);
    const store = await LedgerStore.open(ledgerDir);
    const counts = new Map<string, number>();
    try {
      for (let i = 0; i < store.size; i++) {
        const type = decodeEntry(await store.entry(i), i).type;
        counts.set(type, (counts.get(type) ?? 0) + 1);
      }
    } finally {
      await store.close();
    }
    const deep = await auditLedger(ledgerDir, {
      coordinatorKey: coordinator.ready.verifierKey,
      workers: keys.map((k) => k.key.publicJwk),
    });
    expect(deep.problems).toEqual([]);
    // Every accepted update logged once, every round aggregated once.
    expect(counts.get('update')).toBe(6);
    expect(counts.get('aggregate')).toBe(3);
    expect(counts.get('run-ended')).toBe(1);
  }, 240_000);
});
