import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SiloError } from '@silo/common';
import type { SigningKey } from '@silo/signing';
import { toCanonicalBytes } from '@silo/tensors';
import { CoordinatorProcess } from './coordinator-process.js';
import { ConstantWorker, constantUpdate } from './constant-worker.js';
import { denseShape, denseTopology } from './dense-model.js';
import { deleteKeysWithPrefix } from './redis-keys.js';
import { roundTimes, type ClosedRound, type RoundTimes } from './round-figures.js';

/** A worker key, with its public JWK written to a file for the coordinator's config. */
export interface BenchWorkerKey {
  readonly key: SigningKey;
  readonly publicKeyFile: string;
}

/** Options of {@link runRoundCell}. */
export interface RoundCellOptions {
  readonly workers: number;
  /** Parameters of the model (a one-layer dense model of about this size). */
  readonly params: number;
  /** Rounds of the run. */
  readonly rounds: number;
  /** Rounds at the start left out of {@link RoundCellResult.times}, less than `rounds`. */
  readonly warmupRounds: number;
  /** At least `workers` keys; the first `workers` take part. */
  readonly keys: readonly BenchWorkerKey[];
  /** An empty directory of the cell's own: the coordinator's config and data. */
  readonly dir: string;
  readonly redisUrl: string;
  readonly log: (message: string) => void;
}

/** What one run of a cell measured. */
export interface RoundCellResult {
  /** Parameters of the model actually built. */
  readonly params: number;
  readonly times: RoundTimes;
  /** Every round, the warm-up included, for the facts. */
  readonly history: readonly ClosedRound[];
  /** The coordinator's RSS once it was ready, before any worker joined. */
  readonly idleRssBytes: number;
  /** The coordinator's peak RSS over its life, read after the run ended. */
  readonly peakRssBytes: number;
}

/** How long a cell's run may take before the bench gives up on it. */
const RUN_TIMEOUT_MS = 15 * 60_000;
/** Interval of polls of the HTTP API (workers online, run status). */
const POLL_INTERVAL_MS = 200;
/** The value of every coordinate of the constant delta. */
const DELTA_VALUE = 1e-4;

interface RunView {
  readonly id: string;
  readonly status: string;
  readonly error?: string;
  readonly history: readonly ClosedRound[];
}

/**
 * One cell of the rounds section: a fresh coordinator process with its own Redis prefix and data
 * directory, `workers` {@link ConstantWorker}s in this process, and a FedAvg run of `rounds`
 * rounds that needs every worker in every round. Everything is torn down before it returns.
 */
export async function runRoundCell(options: RoundCellOptions): Promise<RoundCellResult> {
  const { workers: n, redisUrl, dir } = options;
  if (options.keys.length < n)
    throw new SiloError('ERR_INTERNAL', `${n} workers but ${options.keys.length} keys`);
  const shape = denseShape(options.params);
  const update = constantUpdate(toCanonicalBytes(new Float32Array(shape.params).fill(DELTA_VALUE)));
  const prefix = `bench-rounds-${randomBytes(6).toString('hex')}`;
  const apiToken = randomBytes(24).toString('base64url');
  const configPath = join(dir, 'coordinator.json');
  await writeFile(
    configPath,
    JSON.stringify({
      grpc: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      insecure: true,
      redisUrl,
      prefix,
      dataDir: join(dir, 'data'),
      apiToken,
      workers: options.keys.slice(0, n).map((k, i) => ({ name: `w${i}`, publicKeyFile: k.publicKeyFile })),
    }),
  );
  const coordinator = await CoordinatorProcess.start(configPath, apiToken);
  const workers = options.keys
    .slice(0, n)
    .map(
      ({ key }, i) => new ConstantWorker({ address: coordinator.grpcAddress, key, name: `w${i}`, update }),
    );
  try {
    const idle = await coordinator.rss();
    await Promise.all(workers.map((w) => w.join()));
    await poll(coordinator, workers, 'workers online', async () => {
      const { online } = await coordinator.api<{ online: readonly unknown[] }>('GET', '/v1/workers');
      return online.length >= n;
    });
    const created = await coordinator.api<RunView>('POST', '/v1/runs', {
      name: 'bench-rounds',
      model: { kind: 'topology', topology: denseTopology(shape) },
      rounds: options.rounds,
      minWorkers: n,
    });
    options.log(`n=${n} p=${shape.params}: run ${created.id} started`);
    let view = created;
    await poll(coordinator, workers, `run ${created.id}`, async () => {
      view = await coordinator.api<RunView>('GET', `/v1/runs/${created.id}`);
      return view.status !== 'running';
    });
    const peak = await coordinator.rss();
    if (view.status !== 'completed') {
      throw new SiloError(
        'ERR_INTERNAL',
        `run ended ${view.status}: ${view.error ?? ''}\n${coordinator.logTail()}`,
      );
    }
    checkWorkers(workers, options.rounds, shape.params * 4);
    return {
      params: shape.params,
      times: roundTimes(view.history, options.warmupRounds),
      history: view.history,
      idleRssBytes: idle.currentBytes,
      peakRssBytes: peak.peakBytes,
    };
  } finally {
    for (const w of workers) w.close();
    await coordinator.stop();
    await deleteKeysWithPrefix(redisUrl, prefix);
  }
}

/** Polls `done` until it holds; fails on a worker's error or at {@link RUN_TIMEOUT_MS}. */
async function poll(
  coordinator: CoordinatorProcess,
  workers: readonly ConstantWorker[],
  what: string,
  done: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (!(await done())) {
    const failed = workers.find((w) => w.failure !== undefined);
    if (failed?.failure !== undefined) {
      throw new SiloError(
        'ERR_INTERNAL',
        `a worker failed while waiting for ${what}: ${failed.failure.message}`,
        {
          cause: failed.failure,
        },
      );
    }
    if (Date.now() > deadline) {
      throw new SiloError('ERR_TIMEOUT', `gave up waiting for ${what}\n${coordinator.logTail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Every worker must have downloaded and uploaded once per round, or the run measured something else. */
function checkWorkers(workers: readonly ConstantWorker[], rounds: number, modelBytes: number): void {
  for (const w of workers) {
    if (w.acceptedUpdates !== rounds || w.downloadedBytes !== rounds * modelBytes) {
      throw new SiloError(
        'ERR_INTERNAL',
        `a worker sent ${w.acceptedUpdates} updates and downloaded ${w.downloadedBytes} bytes in ${rounds} rounds of a ${modelBytes}-byte model`,
      );
    }
  }
}
