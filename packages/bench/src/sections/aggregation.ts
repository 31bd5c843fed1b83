import { createRng, SiloError } from '@silo/common';
import {
  createStrategy,
  type ClientUpdate,
  type StrategyConfigInput,
  type StrategyState,
} from '@silo/aggregation';
import type { Figure, Section, SectionContext } from '../section.js';
import { STORED_MAX_PARAMS, addStoredCase, type StoredRound } from './stored-fedavg.js';

const GIB = 1024 ** 3;

/** A model size: its parameter count and how case names show it. */
interface ModelSize {
  readonly label: string;
  readonly params: number;
}

interface AggregationSizes {
  /** Updates per round. */
  readonly workers: readonly number[];
  readonly models: readonly ModelSize[];
}

const FULL: AggregationSizes = {
  workers: [10, 100],
  models: [
    { label: '1.66m', params: 1_660_000 },
    { label: '10m', params: 10_000_000 },
  ],
};
const QUICK: AggregationSizes = {
  workers: [10, 100],
  models: [
    { label: '100k', params: 100_000 },
    { label: '250k', params: 250_000 },
  ],
};

/** Cases whose estimated peak RSS passes this are skipped: the inputs alone are n × P × 4 bytes. */
const RSS_LIMIT_BYTES = 6 * GIB;
/**
 * Bytes per parameter a strategy allocates beyond its inputs, at most (FedAdam: float64 sum and
 * mean, float32 weights, new and old moments), for the RSS estimate.
 */
const WORKING_BYTES_PER_PARAM = 48;
/** Measured time a case aims for; slow cases get fewer repetitions (at least one). */
const CASE_BUDGET_S = 8;
/**
 * A case projected (from a calibration run) to need longer than this for one repetition is
 * skipped, with a fact saying so, to keep the default section within about four minutes on a
 * 2-core machine. Only robust rules at n = 100 with the largest model come near it (the Krum
 * family costs n(n − 1)/2 · P); at a given n their GB/s hardly depends on P, so the smaller
 * model's row stands for a skipped one. The threshold is a time, so a faster machine skips less.
 */
const SKIP_ABOVE_S = 40;
/** Parameters of the calibration run that projects each case's time. */
const CALIBRATION_PARAMS = 50_000;

/**
 * The strategies timed, with their parameters for a round of `n` updates. The Krum family uses
 * the largest f Bulyan allows (n ≥ 4f + 3), so the three are compared at the same f.
 */
const STRATEGIES: readonly { readonly name: string; readonly config: (n: number) => StrategyConfigInput }[] =
  [
    { name: 'fedavg', config: () => ({ name: 'fedavg' }) },
    { name: 'median', config: () => ({ name: 'median' }) },
    { name: 'trimmed-mean', config: () => ({ name: 'trimmed-mean', beta: 0.1 }) },
    { name: 'krum', config: (n) => ({ name: 'krum', f: byzantine(n) }) },
    { name: 'multi-krum', config: (n) => ({ name: 'multi-krum', f: byzantine(n) }) },
    { name: 'bulyan', config: (n) => ({ name: 'bulyan', f: byzantine(n) }) },
    { name: 'fedadam', config: () => ({ name: 'fedadam' }) },
  ];

const byzantine = (n: number): number => Math.floor((n - 3) / 4);

/**
 * Aggregation throughput of FedAvg, the robust strategies and FedAdam: bytes of update deltas
 * (n × P × 4) per second of `createStrategy(config).aggregate`, as a ratio to memory-copy
 * bandwidth. Input validation (every value checked finite) is part of what is timed, as it is
 * part of every real aggregation.
 */
export const aggregationSection: Section = {
  name: 'aggregation',
  description: 'aggregate throughput (GB/s of n x P float32 deltas) of FedAvg, robust rules and FedAdam',
  define(ctx) {
    const sizes = ctx.quick ? QUICK : FULL;
    ctx.fact('workers', sizes.workers.join(', '));
    ctx.fact('params', sizes.models.map((m) => m.params).join(', '));
    ctx.fact('krum-family-f', sizes.workers.map((n) => `n=${n}: ${byzantine(n)}`).join(', '));
    ctx.fact('trimmed-mean-beta', 0.1);
    const perParamS = calibrate(Math.max(...sizes.workers), sizes.workers);
    const pool = new DeltaPool(ctx);
    ctx.teardown(() => {
      pool.release();
      return Promise.resolve();
    });
    const stored = new Map<string, Promise<StoredRound>>();
    const baseRss = process.memoryUsage.rss();
    for (const model of sizes.models) {
      // One set of deltas per model size, for the largest n that fits; smaller n use its first n.
      const fits = sizes.workers.filter((n) => estimateRss(baseRss, n, model.params) <= RSS_LIMIT_BYTES);
      const poolWorkers = Math.max(0, ...fits);
      for (const n of sizes.workers) {
        for (const strategy of STRATEGIES) {
          const name = `${strategy.name}-n${n}-p${model.label}`;
          const projectedS = (perParamS.get(`${strategy.name}-${n}`) ?? 0) * model.params;
          const rssBytes = estimateRss(baseRss, n, model.params);
          const skip = skipReason(rssBytes, ctx.quick ? 0 : projectedS, n);
          if (skip !== undefined) {
            ctx.fact(`skipped.${name}`, skip);
            continue;
          }
          addCase(ctx, name, strategy.config(n), projectedS, () => pool.get(model.params, poolWorkers, n));
        }
      }
      // The coordinator's own FedAvg, over the blobs on disk, while this size's deltas are pooled.
      if (model.params <= STORED_MAX_PARAMS && poolWorkers > 0) {
        for (const n of sizes.workers.filter((w) => w <= poolWorkers)) {
          addStoredCase(ctx, model.label, n, () => pool.get(model.params, poolWorkers, poolWorkers), stored);
        }
      }
    }
    return Promise.resolve();
  },
};

/** Why a case is not run (too much memory, or too slow for the default run), or `undefined`. */
function skipReason(rssBytes: number, projectedS: number, n: number): string | undefined {
  if (rssBytes > RSS_LIMIT_BYTES) {
    return `needs ~${(rssBytes / GIB).toFixed(1)} GiB of RSS, over the ${RSS_LIMIT_BYTES / GIB} GiB limit`;
  }
  if (projectedS > SKIP_ABOVE_S) {
    return `projected ${projectedS.toFixed(0)} s per repetition (over ${SKIP_ABOVE_S} s); its GB/s at n=${n} is about that of the smaller model`;
  }
  return undefined;
}

/** Registers one timed aggregation of the round `round()` returns. */
function addCase(
  ctx: SectionContext,
  name: string,
  config: StrategyConfigInput,
  projectedS: number,
  round: () => { base: Float32Array; updates: ClientUpdate[] },
): void {
  let state: StrategyState | undefined;
  ctx.case(
    name,
    () => {
      const { base, updates } = round();
      const bytes = updates.length * base.length * 4;
      const strategy = createStrategy(config);
      const start = performance.now();
      const result = strategy.aggregate(base, updates, state);
      const seconds = (performance.now() - start) / 1000;
      state = result.state; // a stateful strategy times a round ≥ 2, as in a real run
      return Promise.resolve(figures(bytes, seconds));
    },
    {
      maxReps: Math.max(1, Math.floor(CASE_BUDGET_S / Math.max(projectedS, 1e-3))),
      // The calibration already compiled the code; a warm-up of a long case only costs time.
      warmup: projectedS > 1 ? 0 : 1,
      trackMemory: true,
    },
  );
}

function figures(bytes: number, seconds: number): Figure[] {
  return [
    {
      name: 'throughput',
      unit: 'GB/s',
      value: bytes / seconds / 1e9,
      ratioTo: 'floor/buffer-copy/bandwidth',
    },
    { name: 'time', unit: 's', value: seconds, better: 'lower' },
  ];
}

/** Peak RSS of a case, estimated: the process now, the shared deltas, the strategy's own arrays. */
function estimateRss(baseRss: number, workers: number, params: number): number {
  return baseRss + workers * params * 4 + WORKING_BYTES_PER_PARAM * params;
}

/**
 * Seconds per model parameter of each strategy at each n (`<name>-<n>`), from a run on a small
 * model after one warm-up run: every strategy is linear in P at a given n.
 */
function calibrate(maxWorkers: number, workers: readonly number[]): Map<string, number> {
  const { base, updates } = generate(CALIBRATION_PARAMS, maxWorkers, 1);
  const perParam = new Map<string, number>();
  for (const n of workers) {
    for (const strategy of STRATEGIES) {
      const aggregator = createStrategy(strategy.config(n));
      const round = updates.slice(0, n);
      aggregator.aggregate(base, round);
      const start = performance.now();
      aggregator.aggregate(base, round);
      perParam.set(`${strategy.name}-${n}`, (performance.now() - start) / 1000 / CALIBRATION_PARAMS);
    }
  }
  return perParam;
}

/**
 * Base weights and `workers` updates of `params` values. Each delta is its worker's offset plus a
 * scaled, rotated copy of one shared noise vector: every coordinate still sees `workers`
 * different values, and 4 GB of deltas take seconds to make instead of a random draw per value.
 */
function generate(
  params: number,
  workers: number,
  seed: number,
): { base: Float32Array; updates: ClientUpdate[] } {
  const random = createRng(seed);
  const noise = Float32Array.from({ length: params }, () => random() - 0.5);
  const base = noise.map((x) => x * 2);
  const updates = Array.from({ length: workers }, (_, k) => {
    const offset = (random() - 0.5) * 0.01;
    const scale = 0.01 + random() * 0.02;
    const shift = Math.floor(random() * params);
    const delta = new Float32Array(params);
    for (let i = 0; i < params; i++) {
      const j = i + shift < params ? i + shift : i + shift - params;
      delta[i] = offset + scale * (noise[j] as number);
    }
    return { keyId: `worker-${String(k).padStart(3, '0')}`, numExamples: 100 + k, delta };
  });
  return { base, updates };
}

/**
 * The deltas of the model size being measured, generated when its first case runs (untimed)
 * and dropped when the next size starts, so only one size is resident at a time.
 */
class DeltaPool {
  #params = -1;
  #base: Float32Array | undefined;
  #updates: ClientUpdate[] = [];

  constructor(private readonly ctx: SectionContext) {}

  /** The first `n` of `workers` updates of `params` values (regenerated when `params` changes). */
  get(params: number, workers: number, n: number): { base: Float32Array; updates: ClientUpdate[] } {
    if (params !== this.#params) {
      this.release();
      const start = performance.now();
      const { base, updates } = generate(params, workers, params);
      const seconds = (performance.now() - start) / 1000;
      this.ctx.log(`generated ${workers} deltas of ${params} floats in ${seconds.toFixed(1)} s`);
      this.ctx.fact(`generate-s.p${params}`, Number(seconds.toFixed(2)));
      [this.#params, this.#base, this.#updates] = [params, base, updates];
    }
    if (this.#base === undefined || n > this.#updates.length) {
      throw new SiloError('ERR_INTERNAL', `delta pool holds ${this.#updates.length} updates; ${n} requested`);
    }
    return { base: this.#base, updates: this.#updates.slice(0, n) };
  }

  /** Lets the current deltas go. */
  release(): void {
    this.#params = -1;
    this.#base = undefined;
    this.#updates = [];
  }
}
