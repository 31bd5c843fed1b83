import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { auditLedger } from '@silo/audit';
import { PLAINTEXT_FEDERATION_WARNING, SiloError } from '@silo/common';
import type { FederatedEvaluation, RunView } from '@silo/coordinator';
import { loadMnist, parsePartitionScheme } from '@silo/data';
import { buildModel, evaluate, initBackend, parseModelSpec, trainLocal } from '@silo/model';
import { parseStrategyConfig, validateForRound, type StrategyConfig } from '@silo/aggregation';
import { formatAttack, parseAttack, type Attack } from '@silo/worker';
import { generateKeyPair, loadPublicJwk, writeKeyPair } from '@silo/signing';
import { callApi, type ApiTarget } from '../api-client.js';
import { initPki } from '../pki.js';
import { deleteKeysWithPrefix, ensureRedis } from '../redis.js';
import { exportRun, followRun, formatRound } from './run.js';

/** Options of `silo simulate`. */
export interface SimulateOptions {
  workers: number;
  rounds: number;
  model: string;
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
  dir?: string;
  out?: string;
  /** Plain-text federation plane instead of mTLS with a CA made for the simulation. */
  insecure?: boolean;
  /** The first `attackers` workers are malicious and run {@link attack}. Default 0. */
  attackers?: number;
  /** What the attackers do: `sign-flip`, `scale:K`, `gaussian:SIGMA`, `label-flip`. */
  attack?: string;
  /** The run's aggregation strategy. Default `fedavg`. */
  strategy?: string;
  /** The strategy's parameters, `k=v` with numeric values, e.g. `f=3`. */
  strategyParam?: string[];
  /** Workers sampled per round: a count or a share such as `'30%'`. Default: all. */
  sample?: string;
  /** DP-FedAvg noise multiplier z; turns differential privacy on with {@link dpClip}. */
  dpNoise?: number;
  /** DP-FedAvg clip norm C. */
  dpClip?: number;
  /** DP δ. Default 1e-5. */
  dpDelta?: number;
  /** `central` (default) or `local` noise. */
  dpMode?: string;
  /** Stop before a round would take ε past this. */
  dpMaxEpsilon?: number;
  /** How workers encode their updates: float32 (default), float16 or int8. */
  encoding?: string;
  /** Share of each worker's digits held out for federated evaluation. Default 0. */
  holdout?: number;
  /** Federated evaluation after every N rounds (and the last); needs `holdout`. */
  federatedEval?: number;
}

/**
 * The run's `privacy` and `workersPerRound` from `--dp-*` and `--sample`, or nothing; the
 * coordinator validates them with the rest of the run config.
 *
 * @throws SiloError `ERR_BAD_CONFIG` when only one of `--dp-noise` and `--dp-clip` is given.
 */
function privacyOptions(options: SimulateOptions): Record<string, unknown> {
  const sample =
    options.sample === undefined
      ? {}
      : { workersPerRound: /^\d+$/.test(options.sample) ? Number(options.sample) : options.sample };
  if (options.dpNoise === undefined && options.dpClip === undefined) return sample;
  if (options.dpNoise === undefined || options.dpClip === undefined)
    throw new SiloError('ERR_BAD_CONFIG', '--dp-noise Z and --dp-clip C go together');
  return {
    ...sample,
    privacy: {
      noiseMultiplier: options.dpNoise,
      clipNorm: options.dpClip,
      delta: options.dpDelta ?? 1e-5,
      mode: options.dpMode ?? 'central',
      ...(options.dpMaxEpsilon === undefined ? {} : { maxEpsilon: options.dpMaxEpsilon }),
    },
  };
}

/** The attack and strategy of a simulation, checked before anything starts. */
interface Adversary {
  attackers: number;
  attack: Attack | undefined;
  strategy: StrategyConfig;
}

/**
 * Checks `--attackers/--attack/--strategy/--strategy-param` against each other and the worker
 * count, so a mistake fails before Redis and the processes start.
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming the value at fault.
 */
function parseAdversary(options: SimulateOptions): Adversary {
  const attackers = options.attackers ?? 0;
  if (!Number.isSafeInteger(attackers) || attackers < 0 || attackers > options.workers) {
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `--attackers must be 0 … ${options.workers} (the workers), got ${attackers}`,
    );
  }
  const attack = options.attack === undefined ? undefined : parseAttack(options.attack);
  if (attackers > 0 !== (attack !== undefined)) {
    throw new SiloError('ERR_BAD_CONFIG', '--attackers F (F ≥ 1) and --attack MODE go together');
  }
  const params: Record<string, number> = {};
  for (const pair of options.strategyParam ?? []) {
    const match = /^([A-Za-z]\w*)=(.+)$/.exec(pair);
    const value = Number(match?.[2]);
    if (match === null || !Number.isFinite(value)) {
      throw new SiloError(
        'ERR_BAD_CONFIG',
        `--strategy-param must be name=number, got ${JSON.stringify(pair)}`,
      );
    }
    params[match[1]!] = value;
  }
  const strategy = parseStrategyConfig({ ...params, name: options.strategy ?? 'fedavg' });
  validateForRound(strategy, options.workers);
  return { attackers, attack, strategy };
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

/** `krum (f=3)`, `fedavg`. */
function describeStrategy(strategy: StrategyConfig): string {
  const params = Object.entries(strategy)
    .filter(([key]) => key !== 'name')
    .map(([key, value]) => `${key}=${String(value)}`);
  return params.length === 0 ? strategy.name : `${strategy.name} (${params.join(', ')})`;
}

const SILO_BIN = fileURLToPath(new URL('../../bin/silo.js', import.meta.url));

/** Children of the simulation, stopped together. */
class ProcessGroup {
  readonly #children: ChildProcess[] = [];
  #stopping = false;

  spawn(args: string[], logFile: string, onUnexpectedExit: (code: number | null) => void): ChildProcess {
    const child = spawn(process.execPath, [SILO_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logFile);
    child.stderr?.pipe(log);
    child.on('exit', (code) => {
      if (!this.#stopping) onUnexpectedExit(code);
    });
    this.#children.push(child);
    return child;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

interface Ready {
  grpc: string;
  http: string;
  ledgerDir: string;
  verifierKey: string;
}

async function readReadyLine(child: ChildProcess): Promise<Ready> {
  const stdout = child.stdout;
  if (stdout === null) throw new SiloError('ERR_INTERNAL', 'coordinator has no stdout');
  const lines = createInterface({ input: stdout });
  return new Promise((resolveReady, reject) => {
    child.once('exit', (code) =>
      reject(new SiloError('ERR_UNAVAILABLE', `coordinator exited with code ${code} before it was ready`)),
    );
    lines.once('line', (line) => {
      try {
        resolveReady(JSON.parse(line) as Ready);
      } catch (err) {
        reject(new SiloError('ERR_INTERNAL', `unexpected coordinator output: ${line}`, { cause: err }));
      }
    });
  });
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Runs a whole federation on this machine: Redis, a coordinator process and N worker processes. */
export async function simulate(options: SimulateOptions): Promise<RunView> {
  parsePartitionScheme(options.partition);
  const spec = parseModelSpec(options.model);
  const adversary = parseAdversary(options);
  if (options.federatedEval !== undefined && !((options.holdout ?? 0) > 0))
    throw new SiloError(
      'ERR_BAD_CONFIG',
      '--federated-eval needs --holdout SHARE: the digits the workers evaluate on',
    );
  const redis = await ensureRedis(options.redisUrl);
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
      `Silo simulation: ${options.workers} workers, model ${options.model}, partition ${options.partition}, ` +
        `${options.rounds} rounds × ${options.epochs} local epochs (batch ${options.batchSize}, lr ${options.lr}), ` +
        `strategy ${describeStrategy(adversary.strategy)}, ` +
        (adversary.attack === undefined
          ? 'no attackers'
          : `${adversary.attackers} attackers (${formatAttack(adversary.attack)})`),
    );
    say(
      `Redis: ${redis.url}${redis.private ? ' (private, started for this simulation)' : ''}; files and logs in ${dir}`,
    );
    const workers = [];
    for (let i = 0; i < options.workers; i++) {
      const name = `worker-${String(i).padStart(3, '0')}`;
      const written = await writeKeyPair(join(dir, 'keys', `${name}.key.json`), await generateKeyPair());
      workers.push({ name, ...written });
    }
    // The auditor's trust anchor for worker keys: the keys this simulation enrolled.
    const jwksPath = join(dir, 'workers.jwks.json');
    const workerKeys = await Promise.all(workers.map((w) => loadPublicJwk(w.publicPath)));
    await writeFile(jwksPath, `${JSON.stringify({ keys: workerKeys }, null, 2)}\n`);
    // The production path: mTLS with a deployment CA, unless the caller opts out.
    const pki =
      options.insecure === true
        ? undefined
        : await initPki({
            dir: join(dir, 'pki'),
            coordinatorHosts: ['127.0.0.1'],
            workers: workers.map((w) => w.name),
          });
    if (pki === undefined) process.stderr.write(`silo: warning: ${PLAINTEXT_FEDERATION_WARNING}\n`);
    else say(`federation plane: mTLS; CA, coordinator and worker certificates in ${pki.dir}`);
    const token = randomBytes(24).toString('hex');
    const coordinatorConfig = join(dir, 'coordinator.json');
    await writeFile(
      coordinatorConfig,
      JSON.stringify({
        grpc: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        redisUrl: redis.url,
        prefix,
        dataDir: join(dir, 'coordinator'),
        apiToken: token,
        ...(pki === undefined
          ? { insecure: true }
          : { tls: { ca: pki.ca, cert: pki.coordinator.cert, key: pki.coordinator.key } }),
        workers: workers.map((w) => ({ name: w.name, org: 'simulation', publicKeyFile: w.publicPath })),
      }),
    );
    const coordinator = group.spawn(
      ['coordinator', 'start', '--config', coordinatorConfig, '--ready-json'],
      join(dir, 'logs', 'coordinator.log'),
      fail('the coordinator'),
    );
    const ready = await readReadyLine(coordinator);
    for (const [index, w] of workers.entries()) {
      const config = join(dir, `${w.name}.json`);
      await writeFile(
        config,
        JSON.stringify({
          name: w.name,
          coordinator: ready.grpc,
          ...(pki === undefined ? { insecure: true } : { tls: { ca: pki.ca, ...pki.workers[w.name] } }),
          keyFile: w.privatePath,
          stateDir: join(dir, 'state', w.name),
          coordinatorKey: ready.verifierKey,
          ...(index < adversary.attackers && options.attack !== undefined ? { attack: options.attack } : {}),
          ...(options.holdout === undefined ? {} : { holdout: options.holdout }),
          data: {
            kind: 'mnist',
            partition: options.partition,
            parts: options.workers,
            index,
            seed: options.seed,
            trainSize: options.trainSize,
          },
        }),
      );
      group.spawn(['worker', 'start', '--config', config], join(dir, 'logs', `${w.name}.log`), fail(w.name));
    }
    const target: ApiTarget = { url: ready.http, token };
    const started = Date.now();
    const created = await callApi<RunView>(target, 'POST', '/v1/runs', {
      name: `simulate-${options.model}-${options.partition}`,
      model: options.model,
      rounds: options.rounds,
      minWorkers: options.workers,
      strategy: adversary.strategy,
      ...privacyOptions(options),
      ...(options.encoding === undefined ? {} : { updateEncoding: options.encoding }),
      ...(options.federatedEval === undefined
        ? {}
        : { federatedEvaluation: { every: options.federatedEval, timeoutMs: options.roundTimeoutMs } }),
      roundTimeoutMs: options.roundTimeoutMs,
      train: { epochs: options.epochs, batchSize: options.batchSize, learningRate: options.lr },
      seed: options.seed,
      evaluation: {
        dataset: 'mnist-test',
        size: options.testSize,
        seed: options.seed,
        trainSize: options.trainSize,
      },
    });
    say(`run ${created.id} created; waiting for ${options.workers} workers to join`);
    const final = await followRun(target, created.id, (view, i) => {
      if (failure !== undefined) throw failure;
      say(formatRound(view, i));
    });
    const federatedMs = Date.now() - started;
    const evaluated =
      options.federatedEval === undefined ? undefined : await finalEvaluation(target, final, options);
    const { online } = await callApi<{ online: { backend: string }[] }>(target, 'GET', '/v1/workers');
    const backends = [...new Set(online.map((w) => w.backend))].join(', ') || 'unknown';
    if (options.out !== undefined) {
      await exportRun(target, created.id, options.out);
      say(`final model exported to ${options.out} (load with tf.loadLayersModel)`);
    }
    // Stopping the coordinator signs the ledger's last checkpoint; then audit it end to end.
    await group.stop();
    const audit = await auditLedger(ready.ledgerDir, {
      coordinatorKey: ready.verifierKey,
      workers: workerKeys,
    });
    const last = final.history.at(-1);
    say('');
    say('summary');
    say(`  status            ${final.status}${final.error !== undefined ? ` (${final.error})` : ''}`);
    say(`  backend           workers: ${backends}`);
    say(
      `  federated         ${last?.evalAccuracy !== undefined ? (last.evalAccuracy * 100).toFixed(2) : '?'}% accuracy on ${options.testSize} held-out digits after ${final.history.length} rounds, ${(federatedMs / 1000).toFixed(1)} s wall time`,
    );
    if (final.reason !== undefined) say(`  ended early       ${final.reason}`);
    if (evaluated !== undefined) {
      const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
      say(
        `  workers' eval     ${pct(evaluated.accuracy)} on ${evaluated.numExamples} held-out digits of ${evaluated.workers} workers ` +
          `(worst ${pct(evaluated.minAccuracy)}, best ${pct(evaluated.maxAccuracy)}, std ${pct(evaluated.accuracyStd)})`,
      );
    }
    if (last?.privacy !== undefined)
      say(
        `  privacy           ε = ${last.privacy.epsilon.toFixed(3)} at δ = ${options.dpDelta ?? 1e-5} (z = ${last.privacy.noiseMultiplier}, C = ${options.dpClip}, q = ${last.privacy.samplingRate.toFixed(3)})`,
      );
    say(`  final model       ${final.checkpoint}`);
    say(
      `  ledger            ${audit.entries} entries, ${audit.checkpoints} signed checkpoints; audit ` +
        (audit.ok
          ? `OK (${audit.checks.length} checks passed, every aggregate recomputed bit for bit)`
          : `FAILED with ${audit.problems.length} problems`),
    );
    for (const problem of audit.problems.slice(0, 5)) {
      say(`                    entry ${problem.entry ?? '-'}: ${problem.code} ${problem.reason}`);
    }
    if (options.dir !== undefined) {
      say(
        `  verify again      silo audit verify ${ready.ledgerDir} --coordinator-key ${join(dir, 'coordinator', 'ledger-verifier.key')} --workers ${jwksPath}`,
      );
    }
    if (options.baseline) {
      const epochs = options.rounds * options.epochs;
      say(
        `  centralized       training the same model on all ${options.trainSize} digits for ${epochs} epochs …`,
      );
      const backend = await initBackend();
      const t0 = Date.now();
      const { train, test } = loadMnist({
        trainSize: options.trainSize,
        testSize: options.testSize,
        seed: options.seed,
      });
      const model = buildModel(spec, options.seed);
      const every = Math.max(1, Math.round(epochs / 10));
      await trainLocal(model, train, {
        epochs,
        batchSize: options.batchSize,
        learningRate: options.lr,
        seed: options.seed,
        onEpochEnd: (epoch, m) => {
          if (epoch % every !== 0 && epoch !== epochs) return;
          say(
            `                    epoch ${epoch}/${epochs}  train loss ${m.loss.toFixed(4)}  train accuracy ${(m.accuracy * 100).toFixed(2)}%`,
          );
        },
      });
      const metrics = evaluate(model, test);
      model.dispose();
      say(
        `  centralized       ${(metrics.accuracy * 100).toFixed(2)}% accuracy (${backend}), ${((Date.now() - t0) / 1000).toFixed(1)} s wall time`,
      );
      if (last?.evalAccuracy !== undefined) {
        say(`  gap               ${((metrics.accuracy - last.evalAccuracy) * 100).toFixed(2)} points`);
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
      'run a whole federation on this machine: Redis, a coordinator and N worker processes over real gRPC, ' +
        'training on the bundled MNIST digits split across the workers; prints each round’s accuracy and a summary',
    )
    .option('--workers <n>', 'number of worker processes', int, 10)
    .option('--rounds <n>', 'federated rounds', int, 20)
    .option('--model <name>', 'mlp (the FedAvg paper 2NN) or cnn', 'mlp')
    .option(
      '--partition <scheme>',
      'iid | label-shards:K (K digit classes per worker) | dirichlet:α',
      'label-shards:2',
    )
    .option('--epochs <n>', 'local epochs per round (E)', int, 5)
    .option('--batch-size <n>', 'local batch size (B)', int, 10)
    .option('--lr <rate>', 'local SGD learning rate', Number, 0.05)
    .option('--seed <n>', 'seed for data split, initial weights and shuffling', int, 0)
    .option('--train-size <n>', 'digits split across the workers', int, 8000)
    .option('--test-size <n>', 'held-out digits for evaluation', int, 2000)
    .option('--no-baseline', 'skip the centralized baseline')
    .option('--round-timeout-ms <ms>', 'round deadline', int, 10 * 60_000)
    .option(
      '--redis-url <url>',
      'Redis to use; a private redis-server is started when none answers',
      process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    )
    .option(
      '--dir <dir>',
      'keep keys, configs, blobs and logs in this directory (default: a temp dir, removed)',
    )
    .option('--out <dir>', 'export the final model to this directory')
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
    .option('--holdout <share>', "share of each worker's digits held out for federated evaluation", Number)
    .option(
      '--federated-eval <every>',
      'workers evaluate the global model on their held-out digits after every N rounds (needs --holdout)',
      int,
    )
    .option('--sample <n>', "workers sampled per round: a count or a share such as '30%' (default: all)")
    .option('--dp-noise <z>', 'differential privacy (DP-FedAvg): noise multiplier z, with --dp-clip', Number)
    .option('--dp-clip <C>', 'differential privacy: clip each update to L2 norm C', Number)
    .option('--dp-delta <δ>', 'differential privacy: target δ (default 1e-5)', Number)
    .option('--dp-mode <mode>', 'differential privacy: central (coordinator adds the noise) or local')
    .option('--dp-max-epsilon <ε>', 'differential privacy: complete the run before ε would pass this', Number)
    .action(async (options: SimulateOptions) => {
      await simulate(options);
    });
}
