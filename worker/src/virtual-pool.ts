import { z } from 'zod';
import { forcingInsecure, loadConfigFile, toSiloError, type Logger } from '@silo/common';
import {
  holdOut,
  loadDataSource,
  loadSplit,
  type Dataset,
  type LoadedSplit,
  type SplitSourceConfig,
} from '@silo/data';
import { parseVerifierKey } from '@silo/ledger';
import { initBackend } from '@silo/model';
import { loadSigningKey } from '@silo/signing';
import { workerConfigSchema, type WorkerConfig } from './config.js';
import { EgressLog } from './egress-log.js';
import { ModelCache } from './model-cache.js';
import { VerifiedCheckpoints } from './receipt-verify.js';
import { NO_HETEROGENEITY, SIMULATED_DROPOUT_CODE, SimulatedTrainer } from './simulated-trainer.js';
import { egressLogPath, ensureStateDir } from './state-dir.js';
import { federationChannelCredentials } from './tls.js';
import { Worker } from './worker.js';

/**
 * Seed of the held-out split, as `startWorkerFromConfig` uses it: a virtual worker holds out the
 * same examples as the same configuration started alone.
 */
const HOLDOUT_SEED = 0x51e0;
/** Workers loaded at once: their files are read in parallel, their CPU work is small. */
const LOAD_CONCURRENCY = 8;

/**
 * SIMULATION ONLY: the configuration of a process hosting many virtual workers. Each worker is an
 * ordinary worker configuration file, exactly as `silo worker start --config` takes it.
 */
export const virtualPoolConfigSchema = z
  .object({
    workers: z
      .array(
        z
          .object({
            /** The worker's configuration file. */
            config: z.string().min(1),
            /** The worker's position among all simulated workers: seeds its speed and dropouts. */
            index: z.number().int().min(0),
          })
          .strict(),
      )
      .min(1),
    heterogeneity: z
      .object({
        seed: z.number().int().min(0).default(0),
        speedSpread: z.number().min(0).max(1000).default(0),
        dropout: z.number().min(0).lt(1).default(0),
      })
      .strict()
      .default(NO_HETEROGENEITY),
    /** Plain-text federation plane for every worker, whatever their files say (`--insecure`). */
    insecure: z.boolean().default(false),
  })
  .strict();

/** A validated virtual-pool configuration. */
export type VirtualPoolConfig = z.output<typeof virtualPoolConfigSchema>;

/** What the workers of a pool have done so far, for a simulation's progress display. */
export interface VirtualPoolStats {
  /** Workers hosted. */
  workers: number;
  /** Workers holding a Join stream now. */
  online: number;
  /** Rounds given to a worker: it fetched the model and went to train. */
  started: number;
  /** Rounds a worker dropped out of (simulated dropouts). */
  dropped: number;
  /** Rounds trained. */
  trained: number;
  /** Updates the coordinator accepted. */
  accepted: number;
  /** Rounds that failed for another reason than a simulated dropout, by error code. */
  failed: Record<string, number>;
  /** Instructions declined by a worker's policy. */
  declined: number;
  /** Ledger receipts received and verified. */
  receipts: number;
  /** Ledger receipts refused, given up on or not recorded. */
  receiptFailures: number;
  /** Milliseconds spent training, summed over workers. */
  trainingMs: number;
  /** Training tasks waiting for or holding the shared model. */
  queued: number;
}

/**
 * SIMULATION ONLY: many workers in one process, each a real {@link Worker} with its own key, data
 * share, mTLS certificate, egress log and ledger receipts, talking to the coordinator over its own
 * gRPC channel with every check a worker started alone makes. What they share is the process: one
 * tfjs backend, one compiled model per architecture (a {@link ModelCache}, through which their
 * training runs one at a time), each simulated data set built and split once, and the ledger
 * checkpoints verified so far: a round's checkpoint note, the same in every receipt of the round,
 * has its signature checked once per pinned key rather than once per worker.
 */
export class VirtualPool {
  readonly #workers: Worker[] = [];
  readonly #models = new ModelCache();
  readonly #checkpoints = new VerifiedCheckpoints();
  readonly #online = new Set<string>();
  readonly #stats: Omit<VirtualPoolStats, 'online' | 'queued' | 'workers'> = {
    started: 0,
    dropped: 0,
    trained: 0,
    accepted: 0,
    failed: {},
    declined: 0,
    receipts: 0,
    receiptFailures: 0,
    trainingMs: 0,
  };
  readonly #splits = new Map<string, LoadedSplit>();
  readonly #logger: Logger;
  #stopped = false;

  private constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Loads every worker of `config` and starts each as soon as it is loaded. If one cannot be
   * loaded, those already started are stopped and the error is thrown.
   *
   * @throws SiloError `ERR_BAD_CONFIG` naming the worker file at fault; loader errors pass through.
   */
  static async start(config: VirtualPoolConfig, logger: Logger): Promise<VirtualPool> {
    const pool = new VirtualPool(logger);
    const queue = [...config.workers];
    try {
      await Promise.all(
        Array.from({ length: Math.min(LOAD_CONCURRENCY, queue.length) }, async () => {
          for (let next = queue.shift(); next !== undefined; next = queue.shift())
            await pool.#startWorker(next.config, next.index, config);
        }),
      );
    } catch (err) {
      await pool.stop();
      throw err;
    }
    return pool;
  }

  /** Reads a pool configuration file. */
  static loadConfig(path: string): Promise<VirtualPoolConfig> {
    return loadConfigFile(virtualPoolConfigSchema, path);
  }

  /** A snapshot of what the workers have done. */
  get stats(): VirtualPoolStats {
    return {
      ...this.#stats,
      failed: { ...this.#stats.failed },
      workers: this.#workers.length,
      online: this.#online.size,
      queued: this.#models.pending,
    };
  }

  /** Stops every worker (each finishes the round it is in), then frees the shared models. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.#workers.map((worker) => worker.stop()));
    this.#models.dispose();
  }

  async #startWorker(path: string, index: number, pool: VirtualPoolConfig): Promise<void> {
    const schema = pool.insecure ? forcingInsecure(workerConfigSchema) : workerConfigSchema;
    const config = await loadConfigFile(schema, path);
    const log = this.#logger.child({ worker: config.name });
    const credentials = await federationChannelCredentials(config, log);
    const key = await loadSigningKey(config.keyFile);
    const backend = await initBackend(config.backend);
    const { train: data, heldOut } = holdOut(await this.#data(config), config.holdout, HOLDOUT_SEED);
    const coordinatorKey =
      config.coordinatorKey === undefined ? undefined : parseVerifierKey(config.coordinatorKey);
    await ensureStateDir(config.stateDir);
    const egressLog = await EgressLog.open(egressLogPath(config.stateDir));
    if (this.#stopped) {
      await egressLog.close();
      return;
    }
    const trainer = new SimulatedTrainer({
      data,
      heldOut,
      models: this.#models,
      index,
      heterogeneity: pool.heterogeneity,
      events: {
        started: () => (this.#stats.started += 1),
        dropped: () => (this.#stats.dropped += 1),
        trained: (trainingMs) => {
          this.#stats.trained += 1;
          this.#stats.trainingMs += trainingMs;
        },
      },
    });
    const worker = new Worker({
      coordinator: config.coordinator,
      credentials,
      name: config.name,
      key,
      trainer,
      backend,
      logger: log,
      initialDelayMs: config.reconnect.initialDelayMs,
      maxDelayMs: config.reconnect.maxDelayMs,
      maxModelBytes: config.maxModelBytes,
      coordinatorKey,
      policy: config.policy,
      attack: config.attack,
      records: {
        log: egressLog,
        ledgerKey: coordinatorKey,
        ledgerOrigin: config.ledgerOrigin,
        verifiedCheckpoints: this.#checkpoints,
        receiptGiveUpMs: config.receipts.giveUpMs,
        receiptInitialDelayMs: config.receipts.initialDelayMs,
        receiptMaxDelayMs: config.receipts.maxDelayMs,
      },
    });
    this.#count(worker, config.name);
    this.#workers.push(worker);
    worker.start();
  }

  #count(worker: Worker, name: string): void {
    const stats = this.#stats;
    worker.on('joined', () => this.#online.add(name));
    worker.on('disconnected', () => this.#online.delete(name));
    // Once per round: a retried upload's repeat is answered with the first receipt, not counted.
    worker.on('submitted', () => (stats.accepted += 1));
    worker.on('failed', ({ error }) => {
      const code = toSiloError(error).code;
      if (code !== SIMULATED_DROPOUT_CODE) stats.failed[code] = (stats.failed[code] ?? 0) + 1;
    });
    worker.on('declined', () => (stats.declined += 1));
    worker.on('receipt', () => (stats.receipts += 1));
    worker.on('receipt-failed', () => (stats.receiptFailures += 1));
  }

  /** The worker's data: a share of a simulated split, built once per split, or its own source. */
  async #data(config: WorkerConfig): Promise<Dataset> {
    const source = config.data;
    if (source.kind !== 'mnist' && source.kind !== 'synthetic-tabular') return loadDataSource(source);
    const split: SplitSourceConfig = source;
    const key = JSON.stringify({ ...split, index: undefined });
    let loaded = this.#splits.get(key);
    if (loaded === undefined) {
      loaded = loadSplit(split);
      this.#splits.set(key, loaded);
    }
    return loaded.share(split.index);
  }
}
