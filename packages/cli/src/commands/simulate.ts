import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { auditLedger, type AuditReport } from '@silo/audit';
import { PLAINTEXT_FEDERATION_WARNING, SiloError } from '@silo/common';
import type { FederatedEvaluation, RunView } from '@silo/coordinator';
import { parsePartitionScheme } from '@silo/data';
import { formatAttack } from '@silo/worker';
import { callApi, type ApiTarget } from '../api-client.js';
import { deleteKeysWithPrefix, ensureRedis, freePort, type RedisHandle } from '../redis.js';
import { SIMULATION_DATASETS, simulationDataset, simulationModel } from '../simulation/datasets.js';
import { centralizedBaseline, finalAccuracy } from '../simulation/evaluate.js';
import { createIdentities, startCoordinator, startPools } from '../simulation/federation.js';
import { followWithProgress } from '../simulation/follow.js';
import {
  describeStrategy,
  heterogeneity,
  parseAdversary,
  processCount,
  quorumAndPrivacy,
  secureAggregationOf,
  sampleSize,
  type SimulationChoices,
} from '../simulation/options.js';
import {
  ProcessGroup,
  peakRssBytes,
  redisServerPid,
  sumStats,
  type PoolHandle,
} from '../simulation/processes.js';
import {
  CpuMeter,
  median,
  roundSeconds,
  type PeakMemory,
  type SimulationReport,
} from '../simulation/report.js';
import { summaryLines } from '../simulation/summary.js';
import { exportRun } from './run.js';

/** Options of `silo simulate`. */
export interface SimulateOptions extends SimulationChoices {
  /** Simulated workers. */
  workers: number;
  rounds: number;
  /** `mnist` (default) or `tabular`: the data set split across the workers. */
  dataset?: string;
  /** `mlp` or `cnn` on MNIST, `tabular-mlp` on the tabular set; default the data set's own. */
  model?: string;
  partition: string;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  trainSize: number;
  testSize: number;
  baseline: boolean;
  roundTimeoutMs: number;
  redisUrl: string;
  /** Start a Redis server of the simulation's own even when one answers at `redisUrl`. */
  privateRedis?: boolean;
  dir?: string;
  out?: string;
  /** Plain-text federation plane instead of mTLS with a CA made for the simulation. */
  insecure?: boolean;
  /** How workers encode their updates: float32 (default), float16 or int8. */
  encoding?: string;
  /** Share of each worker's examples held out for federated evaluation. Default 0. */
  holdout?: number;
  /** Federated evaluation after every N rounds (and the last); needs `holdout`. */
  federatedEval?: number;
  /** Write the figures of the summary as JSON to this file. */
  reportJson?: string;
}

/**
 * The federated evaluation of the final model, once every worker reported or the evaluation's
 * deadline passed: the reports arrive after the last round closes.
 */
async function finalEvaluation(
  target: ApiTarget,
  final: RunView,
  options: SimulateOptions,
): Promise<FederatedEvaluation | undefined> {
  const deadline = Date.now() + options.roundTimeoutMs;
  let view = final;
  for (;;) {
    const evaluation = view.history.at(-1)?.federatedEvaluation;
    if ((evaluation?.workers ?? 0) >= options.workers || Date.now() > deadline || view.status !== 'completed')
      return evaluation;
    await sleep(250);
    view = await callApi<RunView>(target, 'GET', `/v1/runs/${final.id}`);
  }
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Peak memory of the simulation's processes; read while they are still alive. */
async function peakMemory(
  coordinatorPid: number | undefined,
  pools: readonly PoolHandle[],
  redis: RedisHandle,
): Promise<PeakMemory> {
  const coordinator = await peakRssBytes(coordinatorPid);
  const poolPeaks = await Promise.all(pools.map((pool) => peakRssBytes(pool.child.pid)));
  const redisPeak = redis.private ? await peakRssBytes(await redisServerPid(redis.url)) : undefined;
  const total = [coordinator, ...poolPeaks, redisPeak].reduce<number>((sum, b) => sum + (b ?? 0), 0);
  return { coordinator, pools: poolPeaks, redis: redisPeak, total, simulate: 0 };
}

/** The Redis of the simulation: the one at `redisUrl`, or a private one when asked or none answers. */
async function simulationRedis(options: SimulateOptions): Promise<RedisHandle> {
  // Nothing listens on a port just found free, so ensureRedis starts a server of its own.
  if (options.privateRedis === true) return ensureRedis(`redis://127.0.0.1:${await freePort()}`);
  return ensureRedis(options.redisUrl);
}

/**
 * Runs a whole federation on this machine: Redis, a coordinator process, and the workers as
 * virtual workers in a few worker processes, each with its own key, certificate, data and records.
 */
export async function simulate(options: SimulateOptions): Promise<RunView> {
  parsePartitionScheme(options.partition);
  const dataset = simulationDataset(options.dataset ?? 'mnist');
  const modelName = options.model ?? dataset.defaultModel;
  const model = simulationModel(modelName, dataset);
  const adversary = parseAdversary(options);
  const processes = processCount(options);
  const spread = heterogeneity(options);
  const sampled = sampleSize(options.sample, options.workers);
  if (options.federatedEval !== undefined && !((options.holdout ?? 0) > 0))
    throw new SiloError(
      'ERR_BAD_CONFIG',
      '--federated-eval needs --holdout SHARE: the examples the workers evaluate on',
    );
  const redis = await simulationRedis(options);
  const dir = options.dir !== undefined ? resolve(options.dir) : await mkdtemp(join(tmpdir(), 'silo-sim-'));
  const prefix = `sim-${randomBytes(4).toString('hex')}`;
  const group = new ProcessGroup();
  let failure: SiloError | undefined;
  const fail = (what: string) => (code: number | null) => {
    failure ??= new SiloError(
      'ERR_UNAVAILABLE',
      `${what} exited unexpectedly (code ${code}); see the logs in ${dir}/logs`,
    );
  };
  try {
    await mkdir(join(dir, 'keys'), { recursive: true });
    await mkdir(join(dir, 'logs'), { recursive: true });
    say(
      `Silo simulation: ${options.workers} workers in ${processes} processes, data ${dataset.name}, model ${modelName}, ` +
        `partition ${options.partition}, ${options.rounds} rounds × ${options.epochs} local epochs ` +
        `(batch ${options.batchSize}, lr ${options.lr}), ${sampled} workers sampled per round, ` +
        `strategy ${describeStrategy(adversary.strategy)}, ` +
        (adversary.attack === undefined
          ? 'no attackers'
          : `${adversary.attackers} attackers (${formatAttack(adversary.attack)})`),
    );
    if (spread.speedSpread > 0 || spread.dropout > 0)
      say(
        `heterogeneity: speed factors log-uniform in [1, ${1 + spread.speedSpread}], dropout probability ${spread.dropout} per round`,
      );
    say(
      `Redis: ${redis.url}${redis.private ? ' (private, started for this simulation)' : ''}; files and logs in ${dir}`,
    );
    const identities = await createIdentities(dir, options.workers, options.insecure === true);
    if (identities.pki === undefined)
      process.stderr.write(`silo: warning: ${PLAINTEXT_FEDERATION_WARNING}\n`);
    else
      say(
        `federation plane: mTLS; CA, coordinator and ${options.workers} worker certificates in ${identities.pki.dir} ` +
          `(issued in ${(identities.pkiMs / 1000).toFixed(1)} s)`,
      );
    const token = randomBytes(24).toString('hex');
    const coordinator = await startCoordinator(
      group,
      { dir, redisUrl: redis.url, prefix, apiToken: token, identities },
      fail('the coordinator'),
    );
    const { ready } = coordinator;
    const poolsStartedMs = Date.now();
    const pools = await startPools(
      group,
      {
        dir,
        identities,
        ready,
        processes,
        heterogeneity: spread,
        data: {
          kind: dataset.sourceKind,
          partition: options.partition,
          parts: options.workers,
          seed: options.seed,
          trainSize: options.trainSize,
        },
        extra: (index) => ({
          ...(index < adversary.attackers && options.attack !== undefined ? { attack: options.attack } : {}),
          ...(options.holdout === undefined ? {} : { holdout: options.holdout }),
        }),
      },
      fail,
    );
    await Promise.all(pools.map((pool) => pool.ready)).catch((err: unknown) => {
      throw failure ?? err;
    });
    say(
      `${options.workers} workers loaded in ${processes} processes in ${((Date.now() - poolsStartedMs) / 1000).toFixed(1)} s`,
    );
    const target: ApiTarget = { url: ready.http, token };
    const cpu = new CpuMeter({
      coordinator: coordinator.pid,
      pools: pools.map((pool) => pool.child.pid),
      redis: redis.private ? await redisServerPid(redis.url) : undefined,
    });
    await cpu.start();
    const started = Date.now();
    const created = await callApi<RunView>(target, 'POST', '/v1/runs', {
      name: `simulate-${modelName}-${options.partition}`,
      model,
      rounds: options.rounds,
      minWorkers: options.workers,
      strategy: adversary.strategy,
      ...quorumAndPrivacy(options),
      ...secureAggregationOf(options),
      ...(options.encoding === undefined ? {} : { updateEncoding: options.encoding }),
      ...(options.federatedEval === undefined
        ? {}
        : { federatedEvaluation: { every: options.federatedEval, timeoutMs: options.roundTimeoutMs } }),
      roundTimeoutMs: options.roundTimeoutMs,
      train: { epochs: options.epochs, batchSize: options.batchSize, learningRate: options.lr },
      seed: options.seed,
      ...(dataset.coordinatorEvaluates
        ? {
            evaluation: {
              dataset: 'mnist-test',
              size: options.testSize,
              seed: options.seed,
              trainSize: options.trainSize,
            },
          }
        : {}),
    });
    say(`run ${created.id} created; waiting for ${options.workers} workers to join`);
    const final = await followWithProgress({
      target,
      runId: created.id,
      pools,
      workers: options.workers,
      sampled,
      startedMs: started,
      out: process.stdout,
      check: () => {
        if (failure !== undefined) throw failure;
      },
      onRound: () => cpu.roundClosed(),
    });
    const federatedMs = Date.now() - started;
    const evaluated =
      options.federatedEval === undefined ? undefined : await finalEvaluation(target, final, options);
    const { online } = await callApi<{ online: { backend: string }[] }>(target, 'GET', '/v1/workers');
    const backends = [...new Set(online.map((w) => w.backend))].join(', ') || 'unknown';
    const { layout } = await callApi<{ layout: { shape: number[] }[] }>(
      target,
      'GET',
      `/v1/runs/${created.id}/model`,
    );
    const params = layout.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
    const last = final.history.at(-1);
    const accuracy = dataset.coordinatorEvaluates
      ? last?.evalAccuracy
      : await finalAccuracy(
          target,
          created.id,
          model,
          dataset.load(options.trainSize, options.testSize, options.seed).test,
        );
    if (options.out !== undefined) {
      await exportRun(target, created.id, options.out);
      say(`final model exported to ${options.out} (load with tf.loadLayersModel)`);
    }
    const memory = await peakMemory(coordinator.pid, pools, redis);
    const stats = sumStats(pools.map((pool) => pool.stats));
    // Stopping the coordinator signs the ledger's last checkpoint; then audit it end to end.
    await group.stop();
    const audit = await auditLedger(ready.ledgerDir, {
      coordinatorKey: ready.verifierKey,
      workers: identities.publicKeys,
    });
    memory.simulate = process.resourceUsage().maxRSS * 1024;
    const seconds = roundSeconds(final);
    const report: SimulationReport = {
      workers: options.workers,
      processes,
      dataset: dataset.name,
      params,
      rounds: options.rounds,
      sampled,
      status: final.status,
      ...(final.error === undefined ? {} : { error: final.error }),
      roundSeconds: seconds,
      medianRoundSeconds: median(seconds),
      federatedSeconds: federatedMs / 1000,
      joinSeconds: joinSeconds(final, poolsStartedMs),
      pkiSeconds: identities.pkiMs / 1000,
      updatesPerRound: final.history.map((r) => r.numUpdates),
      rejectedPerRound: final.history.map((r) => r.rejected),
      pools: stats,
      accuracy,
      peakMemoryBytes: memory,
      cpuSecondsPerRound: cpu.perRound,
      audit: auditSummary(audit),
    };
    const verifyKey = join(dir, 'coordinator', 'ledger-verifier.key');
    for (const line of summaryLines({
      report,
      final,
      audit,
      backends,
      examples: dataset.examples,
      testSize: options.testSize,
      evaluated,
      dpDelta: options.dpDelta ?? 1e-5,
      dpClip: options.dpClip,
      verifyAgain:
        options.dir === undefined
          ? undefined
          : `silo audit verify ${ready.ledgerDir} --coordinator-key ${verifyKey} --workers ${identities.jwksPath}`,
    }))
      say(line);
    if (options.reportJson !== undefined)
      await writeFile(options.reportJson, `${JSON.stringify(report, null, 2)}\n`);
    if (options.baseline) {
      const epochs = options.rounds * options.epochs;
      say(
        `  centralized       training the same model on all ${options.trainSize} ${dataset.examples} for ${epochs} epochs …`,
      );
      const split = dataset.load(options.trainSize, options.testSize, options.seed);
      const baseline = await centralizedBaseline({
        spec: model,
        train: split.train,
        test: split.test,
        epochs,
        batchSize: options.batchSize,
        learningRate: options.lr,
        seed: options.seed,
        onEpoch: (epoch, m) =>
          say(
            `                    epoch ${epoch}/${epochs}  train loss ${m.loss.toFixed(4)}  train accuracy ${(m.accuracy * 100).toFixed(2)}%`,
          ),
      });
      say(
        `  centralized       ${(baseline.accuracy * 100).toFixed(2)}% accuracy (${baseline.backend}), ${(baseline.ms / 1000).toFixed(1)} s wall time`,
      );
      if (accuracy !== undefined) {
        say(`  gap               ${((baseline.accuracy - accuracy) * 100).toFixed(2)} points`);
      }
    }
    if (final.status !== 'completed' || !audit.ok) process.exitCode = 1;
    return final;
  } finally {
    await group.stop();
    await deleteKeysWithPrefix(redis.url, prefix).catch(() => undefined);
    await redis.stop();
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** Seconds from the start of the worker processes to the opening of round 1 (every worker online). */
function joinSeconds(final: RunView, poolsStartedMs: number): number {
  const first = final.history[0];
  return first === undefined ? 0 : (first.closedAt - first.durationMs - poolsStartedMs) / 1000;
}

function auditSummary(audit: AuditReport): SimulationReport['audit'] {
  return {
    ok: audit.ok,
    entries: audit.entries,
    checkpoints: audit.checkpoints,
    checks: audit.checks.length,
    problems: audit.problems.length,
  };
}

const int = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new SiloError('ERR_BAD_INPUT', `not an integer: ${value}`);
  return n;
};

/** `silo simulate` */
export function simulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'run a whole federation on this machine: Redis, a coordinator and N workers (hosted by a few worker ' +
        'processes) over real gRPC, training on the bundled MNIST digits or a synthetic tabular set split ' +
        'across the workers; prints progress, each round’s accuracy and a summary',
    )
    .option(
      '--workers <n>',
      'number of workers, each with its own key, certificate, data and records',
      int,
      10,
    )
    .option('--processes <n>', 'worker processes hosting the workers (default: one per core)', int)
    .option('--rounds <n>', 'federated rounds', int, 20)
    .option('--dataset <name>', `data split across the workers: ${SIMULATION_DATASETS.join(' | ')}`, 'mnist')
    .option(
      '--model <name>',
      'mlp (the FedAvg paper 2NN) or cnn on mnist; tabular-mlp (101k parameters) on tabular',
    )
    .option(
      '--partition <scheme>',
      'iid | label-shards:K (K classes per worker) | dirichlet:α',
      'label-shards:2',
    )
    .option('--epochs <n>', 'local epochs per round (E)', int, 5)
    .option('--batch-size <n>', 'local batch size (B)', int, 10)
    .option('--lr <rate>', 'local SGD learning rate', Number, 0.05)
    .option('--seed <n>', 'seed for data split, initial weights, shuffling, speeds and dropouts', int, 0)
    .option('--train-size <n>', 'examples split across the workers', int, 8000)
    .option('--test-size <n>', 'held-out examples for evaluation', int, 2000)
    .option('--no-baseline', 'skip the centralized baseline')
    .option('--round-timeout-ms <ms>', 'round deadline', int, 10 * 60_000)
    .option(
      '--redis-url <url>',
      'Redis to use; a private redis-server is started when none answers',
      process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    )
    .option('--private-redis', 'always start a private redis-server (so its memory is measured too)')
    .option(
      '--dir <dir>',
      'keep keys, configs, blobs and logs in this directory (default: a temp dir, removed)',
    )
    .option('--out <dir>', 'export the final model to this directory')
    .option('--report-json <file>', 'write the summary’s figures (round times, peak memory, audit) as JSON')
    .option('--insecure', 'run the federation plane in plain text instead of mTLS with a CA made for the run')
    .option('--attackers <n>', 'make the first N workers malicious (simulation only; see --attack)', int, 0)
    .option(
      '--attack <mode>',
      'what the attackers send, validly signed: sign-flip | scale:K | gaussian:σ (noise) | label-flip (train on 9 − y)',
    )
    .option(
      '--strategy <name>',
      'aggregation: fedavg | median | trimmed-mean | krum | multi-krum | bulyan',
      'fedavg',
    )
    .option(
      '--strategy-param <k=v>',
      'a numeric strategy parameter, repeatable: beta=0.2, f=3, m=5, clipNorm=1',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--encoding <name>', 'update encoding: float32 (exact), float16 or int8 (per-tensor scale)')
    .option('--holdout <share>', "share of each worker's examples held out for federated evaluation", Number)
    .option(
      '--federated-eval <every>',
      'workers evaluate the global model on their held-out examples after every N rounds (needs --holdout)',
      int,
    )
    .option('--sample <n>', "workers sampled per round: a count or a share such as '10%' (default: all)")
    .option(
      '--min-updates <n>',
      "the quorum: updates that close a round, a count or a share such as '80%' of those sampled",
    )
    .option(
      '--speed-spread <s>',
      'stragglers: each worker is slowed by a factor drawn log-uniformly from [1, 1 + s] (seeded)',
      Number,
    )
    .option('--dropout <p>', 'each sampled worker skips a round with probability p (seeded)', Number)
    .option('--dp-noise <z>', 'differential privacy (DP-FedAvg): noise multiplier z, with --dp-clip', Number)
    .option('--dp-clip <C>', 'differential privacy: clip each update to L2 norm C', Number)
    .option('--dp-delta <δ>', 'differential privacy: target δ (default 1e-5)', Number)
    .option('--dp-mode <mode>', 'differential privacy: central (coordinator adds the noise) or local')
    .option('--dp-max-epsilon <ε>', 'differential privacy: complete the run before ε would pass this', Number)
    .option(
      '--secure-agg',
      'secure aggregation (SecAgg+): the coordinator sees only the sum of masked updates',
    )
    .option(
      '--secure-clip <c>',
      'secure aggregation: clip each update value to ±c before quantizing (default 1)',
      Number,
    )
    .option('--secure-bits <b>', 'secure aggregation: bits of fixed point per value (default 16)', Number)
    .option(
      '--secure-neighbours <k>',
      'secure aggregation: neighbours per worker (default ~3·log2 n, even)',
      Number,
    )
    .option(
      '--secure-threshold <t>',
      'secure aggregation: shares that recover a secret (default ⌊k/2⌋ + 1)',
      Number,
    )
    .action(async (options: SimulateOptions) => {
      await simulate(options);
    });
}
