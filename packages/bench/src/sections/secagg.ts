import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createLogger } from '@silo/common';
import { Coordinator, coordinatorConfigSchema } from '@silo/coordinator';
import { generateKeyPair, signingKeyFromJwk, type SigningKey } from '@silo/signing';
import type { Layout } from '@silo/tensors';
import {
  EgressLog,
  Trainer,
  Worker,
  readEgressLog,
  type LocalTraining,
  type TrainedDelta,
} from '@silo/worker';
import { figureRef, type Figure, type Section, type SectionContext } from '../section.js';
import { denseShape, denseTopology } from '../rounds/dense-model.js';
import { deleteKeysWithPrefix } from '../rounds/redis-keys.js';
import { median } from '../stats.js';

/** Workers × parameters of each row, as the issue asks: N ∈ {10, 50}, P ∈ {100k, 1.66M}. */
const FULL_CELLS: readonly { workers: number; params: number }[] = [
  { workers: 10, params: 100_000 },
  { workers: 10, params: 1_660_000 },
  { workers: 50, params: 100_000 },
  { workers: 50, params: 1_660_000 },
];
const QUICK_CELLS: readonly { workers: number; params: number }[] = [{ workers: 4, params: 10_000 }];

/** Rounds per run; the first is left out of the per-round time (keys, compilation, caches). */
const ROUNDS = 3;
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SECURE = { clipRange: 1, quantizationBits: 16 };

/** A trainer whose "training" is a constant delta: a round costs what the orchestration costs. */
class ConstantTrainer extends Trainer {
  constructor() {
    super({ x: new Float32Array(10), y: new Int32Array(10), size: 10, featureShape: [1], numClasses: 2 });
  }

  override train(base: Float32Array, _layout: Layout, _options: LocalTraining): Promise<TrainedDelta> {
    return Promise.resolve({
      delta: new Float32Array(base.length).fill(1e-4),
      result: { loss: 0, accuracy: 0, numExamples: 10, steps: 1 },
      trainingMs: 0,
    });
  }
}

/** What one run of a cell measured. */
interface CellRun {
  secondsPerRound: number;
  /** Bytes each worker sent per round, as its egress log counted them. */
  sentPerWorker: number;
  /** Bytes of the model each worker downloads per round (the same with and without). */
  modelBytes: number;
}

/**
 * One run: an in-process coordinator and `workers` real workers (signing, egress logs, and with
 * `secure` the whole SecAgg+ protocol) whose training is a constant, for {@link ROUNDS} rounds.
 */
async function runCell(
  dir: string,
  keys: readonly { key: SigningKey; publicKeyFile: string }[],
  workers: number,
  params: number,
  secure: boolean,
): Promise<CellRun> {
  const prefix = `bench-secagg-${randomBytes(6).toString('hex')}`;
  const logger = createLogger({ name: 'bench-secagg', level: 'silent' });
  const config = coordinatorConfigSchema.parse({
    grpc: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    redisUrl: REDIS_URL,
    prefix,
    dataDir: join(dir, 'data'),
    insecure: true,
    apiToken: randomBytes(24).toString('base64url'),
    ledgerName: 'silo-bench',
    workers: keys
      .slice(0, workers)
      .map((k, i) => ({ name: `w${i}`, org: 'bench', publicKeyFile: k.publicKeyFile })),
    maxUpdateBytes: 1024 * 1024 * 1024,
    pingIntervalMs: 5_000,
  });
  const coordinator = await Coordinator.start({ config, logger });
  const logPaths = keys.slice(0, workers).map((_, i) => join(dir, `w${i}.log`));
  const logs = await Promise.all(logPaths.map((path) => EgressLog.open(path)));
  const running = keys.slice(0, workers).map(
    ({ key }, i) =>
      new Worker({
        coordinator: coordinator.grpcAddress,
        credentials: grpc.credentials.createInsecure(),
        name: `w${i}`,
        key,
        trainer: new ConstantTrainer(),
        backend: 'bench',
        logger,
        records: { log: logs[i]! },
      }),
  );
  try {
    const joined = running.map((w) => new Promise<void>((resolve) => w.once('joined', resolve)));
    for (const w of running) w.start();
    await Promise.all(joined);
    const shape = denseShape(params);
    const ended = new Promise<{ status: string; error?: string }>((resolve) =>
      coordinator.once('run-ended', resolve),
    );
    const run = await coordinator.createRun({
      name: 'bench-secagg',
      model: { kind: 'topology', topology: denseTopology(shape) },
      rounds: ROUNDS,
      minWorkers: workers,
      roundTimeoutMs: 15 * 60_000,
      ...(secure ? { secureAggregation: { ...SECURE, stepTimeoutMs: 15 * 60_000 } } : {}),
    });
    const outcome = await ended;
    if (outcome.status !== 'completed')
      throw new Error(`run ended ${outcome.status}: ${outcome.error ?? ''}`);
    const view = await coordinator.runView(run.id);
    await Promise.all(running.map((w) => w.stop()));
    // Everything a worker sent for the run, as its egress log counted it: protobuf payload bytes.
    const sent = await Promise.all(
      logPaths.map(async (path) =>
        (await readEgressLog(path)).records
          .filter((r) => 'runId' in r && r.runId === run.id)
          .reduce((sum, r) => sum + r.bytes, 0),
      ),
    );
    return {
      secondsPerRound: median(view.history.slice(1).map((h) => h.durationMs / 1000)),
      sentPerWorker: median(sent) / ROUNDS,
      modelBytes: shape.params * 4,
    };
  } finally {
    await Promise.all(running.map((w) => w.stop()));
    await coordinator.close();
    await deleteKeysWithPrefix(REDIS_URL, prefix);
  }
}

/**
 * The cost of secure aggregation against plain FedAvg on the same workers and model: seconds per
 * round and bytes each worker sends per round, N workers × P parameters.
 */
export const secaggSection: Section = {
  name: 'secagg',
  description: 'secure aggregation (SecAgg+) vs plain FedAvg: seconds per round and bytes sent per worker',
  async define(ctx: SectionContext): Promise<void> {
    const cells = ctx.quick ? QUICK_CELLS : FULL_CELLS;
    const most = Math.max(...cells.map((c) => c.workers));
    const keys = await Promise.all(
      Array.from({ length: most }, async (_, i) => {
        const pair = await generateKeyPair();
        const publicKeyFile = join(ctx.workDir, `w${i}.pub.jwk`);
        await writeFile(publicKeyFile, JSON.stringify(pair.publicJwk));
        return { key: await signingKeyFromJwk(pair.privateJwk), publicKeyFile };
      }),
    );
    ctx.fact('rounds-per-run', ROUNDS);
    ctx.fact(
      'secure-aggregation',
      `clipRange ${SECURE.clipRange}, ${SECURE.quantizationBits} bits, default neighbours and threshold`,
    );
    let runs = 0;
    for (const { workers, params } of cells) {
      const cell = `n${workers}-p${params}`;
      for (const secure of [false, true]) {
        const name = `${cell}-${secure ? 'secure' : 'plain'}`;
        ctx.case(
          name,
          async (): Promise<readonly Figure[]> => {
            const dir = join(ctx.workDir, `run-${runs++}`);
            await mkdir(dir, { recursive: true });
            ctx.log(`secagg ${name}`);
            const r = await runCell(dir, keys, workers, params, secure);
            const plain = (figure: string): string | undefined =>
              secure ? figureRef('secagg', `${cell}-plain`, figure) : undefined;
            return [
              {
                name: 'seconds-per-round',
                unit: 's',
                value: r.secondsPerRound,
                better: 'lower',
                ...ratio(plain('seconds-per-round')),
              },
              {
                name: 'sent-per-worker',
                unit: 'MB',
                value: r.sentPerWorker / 1e6,
                better: 'lower',
                ...ratio(plain('sent-per-worker')),
              },
              { name: 'model-per-worker', unit: 'MB', value: r.modelBytes / 1e6, better: 'lower' },
            ];
          },
          { warmup: 0, maxReps: 3 },
        );
      }
    }
  },
};

function ratio(ref: string | undefined): { ratioTo?: string } {
  return ref === undefined ? {} : { ratioTo: ref };
}
