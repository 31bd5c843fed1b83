import { z } from 'zod';
import { strategyConfigSchema, validateForRound } from '@silo/aggregation';
import { federationSecurityProblem, tlsFilesSchema } from '@silo/common';
import { dpConfigSchema } from '@silo/privacy';
import { UPDATE_ENCODINGS } from '@silo/tensors';

/** A listening address; port 0 picks a free port. */
function listenSchema(port: number) {
  return z
    .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(port) })
    .strict()
    .default({ host: '127.0.0.1', port });
}

/** Where the coordinator listens, where it keeps state, and who may talk to it. */
export const coordinatorConfigSchema = z
  .object({
    /** gRPC federation plane. Port 0 picks a free port. */
    grpc: listenSchema(7070),
    /**
     * mTLS on the federation plane: the coordinator's certificate and key, and the CA whose
     * certificates workers must present (`silo certs init`). Required unless `insecure: true`.
     */
    tls: tlsFilesSchema.optional(),
    /** Plain-text federation plane, for a trusted network only; logs a warning at start. */
    insecure: z.boolean().optional(),
    /** HTTP control plane (JSON API). Port 0 picks a free port. */
    http: listenSchema(7080),
    /** Redis holding run and round state and the BullMQ queues. */
    redisUrl: z.string().default('redis://127.0.0.1:6379'),
    /** Prefix of every Redis key and queue, so several deployments can share one Redis. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
      .default('silo'),
    /** Directory of the ledger (entries, checkpoints, blobs). */
    dataDir: z.string().default('.silo/coordinator'),
    /**
     * The coordinator's private Ed25519 JWK, which signs ledger checkpoints and aggregate
     * records; created (mode 0600) on first start. Default: `<dataDir>/coordinator-key.json`.
     */
    keyFile: z.string().min(1).optional(),
    /** The ledger's name: the checkpoint origin line and the verifier key's name. */
    ledgerName: z
      .string()
      .regex(/^[^\s+]+$/, 'no spaces or +')
      .max(200)
      .default('silo-coordinator'),
    /**
     * The admin bootstrap secret: a request bearing it as its bearer token acts as `admin`.
     * Use it to issue role tokens (`silo tokens create`), then keep it for emergencies.
     */
    apiToken: z.string().min(16, 'use at least 16 characters'),
    /** Workers enrolled at start: name, organisation and public JWK file. */
    workers: z
      .array(
        z
          .object({ name: z.string().min(1), org: z.string().default(''), publicKeyFile: z.string() })
          .strict(),
      )
      .default([]),
    /**
     * Largest chunk of a model download, in bytes. A download holds two or three chunks in memory
     * and every sampled worker downloads at once: 64 KiB keeps 100 downloads under 20 MiB.
     */
    chunkBytes: z
      .number()
      .int()
      .min(1024)
      .max(2 * 1024 * 1024)
      .default(64 * 1024),
    /**
     * Checkpoints up to this size, in bytes, are read and checked once and served to every
     * download from memory (the current base and the previous one); larger ones stream from disk
     * per download. 0 streams every download from disk.
     */
    modelCacheBytes: z
      .number()
      .int()
      .min(0)
      .default(16 * 1024 * 1024),
    /**
     * A full garbage collection after a run's initial model is built and stored, which frees the
     * several model sizes of arrays the build leaves behind. Measured at 100 workers and a 40 MB
     * model: the coordinator's peak memory 3.1–3.5 model sizes above idle instead of 3.7–5.0, and
     * that round about 15% slower, from the more frequent full collections of a smaller heap.
     * false trades memory for speed.
     */
    collectAfterModelBuild: z.boolean().default(true),
    /** Largest update accepted, in bytes. */
    maxUpdateBytes: z
      .number()
      .int()
      .positive()
      .default(512 * 1024 * 1024),
    /** Interval of keep-alive pings on Join streams. */
    pingIntervalMs: z.number().int().positive().default(15_000),
  })
  .strict()
  .superRefine((config, ctx) => {
    const problem = federationSecurityProblem(config);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['tls'], message: problem });
  });

/** A validated, fully defaulted coordinator configuration. */
export type CoordinatorConfig = z.output<typeof coordinatorConfigSchema>;

const modelSchema = z.union([
  z.enum(['mlp', 'cnn']),
  z.object({ kind: z.literal('builtin'), name: z.enum(['mlp', 'cnn']) }).strict(),
  z.object({ kind: z.literal('topology'), topology: z.record(z.string(), z.unknown()) }).strict(),
  /**
   * A pretrained TensorFlow.js LayersModel directory (`model.json` + weights, as `silo run
   * export` writes) on the coordinator: the run starts from its weights. The coordinator
   * replaces it by its topology when the run is created, and records where it came from in
   * `pretrained`.
   */
  z.object({ kind: z.literal('pretrained'), path: z.string().min(1) }).strict(),
]);

/** Strategies that take the round's mean delta, which differential privacy replaces with a noised one. */
const PRIVATE_STRATEGIES: ReadonlySet<string> = new Set([
  'fedavg',
  'fedavgm',
  'fedadam',
  'fedyogi',
  'fedadagrad',
]);

/** A whole number of workers, or a percentage such as `'25%'` of a group counted at run time. */
const countOrShare = z.union([
  z.number().int().min(1),
  z
    .string()
    .regex(/^(100|[1-9]?\d(\.\d+)?)%$/, "a count, or a share such as '25%'")
    .refine((s) => Number.parseFloat(s) > 0, 'a share above 0%'),
]);

/** Resolves a count-or-share against the size of its group: at least 1, at most the group. */
export function resolveCount(spec: number | string | undefined, group: number): number {
  if (spec === undefined) return group;
  const n = typeof spec === 'number' ? spec : Math.ceil((group * Number.parseFloat(spec)) / 100);
  return Math.max(Math.min(n, group), Math.min(1, group));
}

/** A federated run as the model team declares it. */
export const runConfigSchema = z
  .object({
    name: z.string().min(1).max(200).default('run'),
    /** `mlp`, `cnn`, a tfjs LayersModel topology, or a pretrained model directory to fine-tune. */
    model: modelSchema,
    /**
     * Fine-tuning: names of layers whose weights stay as they are; workers train the other
     * layers only, and the frozen weights' deltas are zero. Checked against the model's layers.
     */
    freeze: z.array(z.string().min(1)).min(1).optional(),
    /** Set by the coordinator for a run started from a pretrained model: its directory and weights' digest. */
    pretrained: z
      .object({ path: z.string(), checkpoint: z.string().regex(/^[0-9a-f]{64}$/) })
      .strict()
      .optional(),
    rounds: z.number().int().min(1).max(100_000),
    /** Workers that must be connected before a round opens. */
    minWorkers: z.number().int().min(1).default(1),
    /** Workers sampled per round, a count or a share of those online (`'10%'`); default: all online. */
    workersPerRound: countOrShare.optional(),
    /**
     * The quorum: accepted updates that close a round, a count or a share of those sampled
     * (`'80%'`); default: every sampled worker.
     */
    minUpdates: countOrShare.optional(),
    /** How long a round collects updates before its quorum is judged. */
    roundTimeoutMs: z
      .number()
      .int()
      .min(1_000)
      .default(10 * 60_000),
    /**
     * A round short of its quorum at its deadline either fails the run, or is retried: its
     * deadline is extended by `roundTimeoutMs`, updates already accepted are kept, and online
     * workers not yet sampled are sampled to replace the missing ones, up to `retries` times.
     */
    onQuorumFailure: z
      .object({
        action: z.enum(['fail', 'retry']).default('fail'),
        retries: z.number().int().min(1).max(100).default(3),
      })
      .strict()
      .default({ action: 'fail', retries: 3 }),
    /**
     * How updates are combined: `fedavg`, `fedprox` (mu: the workers add the proximal term
     * (μ/2)‖w − w_global‖² to their local loss; aggregation is FedAvg's), `median`,
     * `trimmed-mean` (beta), `krum` / `multi-krum` / `bulyan` (f, m), and the server optimizers
     * `fedavgm`, `fedadam`, `fedyogi`, `fedadagrad` (their state is stored as a blob each round and
     * logged, so auditors can recompute), each with an optional `clipNorm`.
     */
    strategy: strategyConfigSchema.default({ name: 'fedavg' }),
    /**
     * How workers encode their updates: `float32` (exact), `float16` (half the bytes) or `int8`
     * (a quarter, with a float32 scale per tensor). Digests and signatures cover the encoded bytes.
     */
    updateEncoding: z.enum(UPDATE_ENCODINGS).default('float32'),
    train: z
      .object({
        epochs: z.number().int().min(1).max(1000).default(5),
        batchSize: z.number().int().min(1).max(65_536).default(10),
        learningRate: z.number().positive().max(10).default(0.05),
      })
      .strict()
      .default({ epochs: 5, batchSize: 10, learningRate: 0.05 }),
    /** Seed of the initial weights and of the workers' local shuffling. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
    /**
     * Worker-level differential privacy (DP-FedAvg): each update clipped to `clipNorm`, Gaussian
     * noise of σ = `noiseMultiplier` × `clipNorm` on the sum (`mode: 'central'`, added by the
     * coordinator and logged for auditors), or shared out among the workers (`'local'`: each adds
     * its share before signing). ε at `delta` is accounted after every round (Rényi DP of the
     * sampled Gaussian mechanism, q = sampled ÷ online), written in the aggregate record, and the
     * run completes early rather than open a round that would take ε past `maxEpsilon`.
     */
    privacy: dpConfigSchema.optional(),
    /**
     * Secure aggregation (SecAgg+): the coordinator sees masked updates only, and learns nothing
     * but their sum once at least `threshold` of them are in. Each worker is paired with
     * `neighbours` others (a random Harary graph; default ~3·log₂ of the round's size, even), and
     * `threshold` of those (default ⌊k/2⌋ + 1; more than half of k) can recover a dropped worker's
     * masks. Workers clip each coordinate of their update to ±`clipRange` and quantize it to
     * `quantizationBits`-bit fixed point before masking, so the sum carries an error of at most
     * n·clipRange/(2^bits − 1) per coordinate. Each protocol step waits `stepTimeoutMs` at most.
     */
    secureAggregation: z
      .object({
        threshold: z.number().int().min(2).max(254).optional(),
        neighbours: z.number().int().min(2).max(254).optional(),
        clipRange: z.number().positive().finite(),
        quantizationBits: z.number().int().min(1).max(31).default(16),
        stepTimeoutMs: z.number().int().min(1_000).default(60_000),
      })
      .strict()
      .optional(),
    /**
     * Federated evaluation: after every `every`-th round and the last, the new checkpoint is sent
     * to `workers` online workers (a count or a share; default all), each evaluates it on its own
     * held-out data and reports signed metrics, logged in the ledger. The run shows the mean
     * weighted by examples and the spread across workers. Reports close after `timeoutMs`.
     */
    federatedEvaluation: z
      .object({
        every: z.number().int().min(1).default(1),
        workers: countOrShare.optional(),
        timeoutMs: z
          .number()
          .int()
          .min(1_000)
          .default(5 * 60_000),
      })
      .strict()
      .optional(),
    /** Held-out data the coordinator evaluates each new global model on (the model team's own). */
    evaluation: z
      .object({
        dataset: z.literal('mnist-test'),
        size: z.number().int().min(1).max(10_000).default(2000),
        /** Must equal the seed the workers' MNIST partitions use, so test and train stay disjoint. */
        seed: z.number().int().min(0).default(0),
        trainSize: z.number().int().min(0).max(10_000).default(8000),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((run, ctx) => {
    // The smallest round the quorum allows must be one the strategy can aggregate.
    const fewest = typeof run.minUpdates === 'number' ? run.minUpdates : run.minWorkers;
    try {
      validateForRound(run.strategy, fewest);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['strategy'], message: (err as Error).message });
    }
    if (
      typeof run.minUpdates === 'number' &&
      typeof run.workersPerRound === 'number' &&
      run.minUpdates > run.workersPerRound
    ) {
      ctx.addIssue({ code: 'custom', path: ['minUpdates'], message: 'cannot exceed workersPerRound' });
    }
    if (run.privacy !== undefined) privacyProblems(run).forEach((issue) => ctx.addIssue(issue));
    if (run.secureAggregation !== undefined)
      secureAggregationProblems(run).forEach((issue) => ctx.addIssue(issue));
  });

/** A validated, defaulted run configuration. */
export type RunConfig = z.output<typeof runConfigSchema>;

/** What differential privacy cannot be combined with, as config issues. */
function privacyProblems(run: {
  strategy: { name: string; clipNorm?: number | undefined };
  onQuorumFailure: { action: string };
  privacy?: { noiseMultiplier: number } | undefined;
}): { code: 'custom'; path: string[]; message: string }[] {
  const issues: { code: 'custom'; path: string[]; message: string }[] = [];
  const issue = (path: string[], message: string) => issues.push({ code: 'custom', path, message });
  if (!PRIVATE_STRATEGIES.has(run.strategy.name))
    issue(
      ['strategy'],
      `differential privacy needs a strategy over the mean delta (${[...PRIVATE_STRATEGIES].join(', ')}), not ${run.strategy.name}`,
    );
  if (run.strategy.clipNorm !== undefined)
    issue(
      ['strategy', 'clipNorm'],
      "with differential privacy, clip with privacy.clipNorm, not the strategy's",
    );
  if (run.privacy !== undefined && !(run.privacy.noiseMultiplier > 0))
    issue(['privacy', 'noiseMultiplier'], 'must be positive: without noise there is no guarantee to account');
  if (run.onQuorumFailure.action === 'retry')
    issue(
      ['onQuorumFailure'],
      "a retried round samples more workers than the accountant's sampling rate covers; use 'fail' with privacy",
    );
  return issues;
}

/** Strategies secure aggregation can feed: those over the (weighted) mean delta alone. */
const SUM_STRATEGIES: ReadonlySet<string> = new Set([...PRIVATE_STRATEGIES, 'fedprox']);

/**
 * What secure aggregation cannot be combined with, and its parameters against the quorum: the
 * coordinator sees one sum, so nothing may need single updates, and a round must be able to
 * close only with at least `threshold` survivors.
 */
function secureAggregationProblems(run: {
  strategy: { name: string; clipNorm?: number | undefined };
  onQuorumFailure: { action: string };
  updateEncoding: string;
  workersPerRound?: number | string | undefined;
  minUpdates?: number | string | undefined;
  secureAggregation?: {
    threshold?: number | undefined;
    neighbours?: number | undefined;
    quantizationBits: number;
  };
}): { code: 'custom'; path: string[]; message: string }[] {
  const issues: { code: 'custom'; path: string[]; message: string }[] = [];
  const issue = (path: string[], message: string) => issues.push({ code: 'custom', path, message });
  const sa = run.secureAggregation;
  if (sa === undefined) return issues;
  if (!SUM_STRATEGIES.has(run.strategy.name))
    issue(
      ['strategy'],
      `secure aggregation hides single updates, so it needs a strategy over their mean (${[...SUM_STRATEGIES].join(', ')}), not ${run.strategy.name}`,
    );
  if (run.strategy.clipNorm !== undefined)
    issue(
      ['strategy', 'clipNorm'],
      'the coordinator cannot clip updates it never sees; use secureAggregation.clipRange',
    );
  if (run.updateEncoding !== 'float32')
    issue(
      ['updateEncoding'],
      'masked updates have their own fixed-point encoding; leave updateEncoding at float32',
    );
  if (run.onQuorumFailure.action === 'retry')
    issue(
      ['onQuorumFailure'],
      "workers cannot join a secure aggregation after its keys are shared; use 'fail'",
    );
  const { threshold, neighbours } = sa;
  if (neighbours !== undefined && threshold !== undefined) {
    if (threshold > neighbours)
      issue(['secureAggregation', 'threshold'], `cannot exceed neighbours (${neighbours})`);
    if (2 * threshold <= neighbours)
      issue(
        ['secureAggregation', 'threshold'],
        `must be more than half of neighbours (${neighbours}), or two disjoint groups could reveal both secrets of one worker`,
      );
  }
  if (typeof run.workersPerRound === 'number') {
    if (neighbours !== undefined && neighbours > run.workersPerRound - 1)
      issue(
        ['secureAggregation', 'neighbours'],
        `cannot exceed workersPerRound − 1 (${run.workersPerRound - 1})`,
      );
    if (run.workersPerRound * (2 ** sa.quantizationBits - 1) > 2 ** 32 - 1)
      issue(
        ['secureAggregation', 'quantizationBits'],
        `a sum of ${run.workersPerRound} ${sa.quantizationBits}-bit values could wrap around 2^32`,
      );
  }
  const quorum = typeof run.minUpdates === 'number' ? run.minUpdates : undefined;
  if (quorum !== undefined && threshold !== undefined && quorum < threshold)
    issue(
      ['minUpdates'],
      `a round closing with ${quorum} updates could not be unmasked: secureAggregation.threshold is ${threshold}`,
    );
  return issues;
}
