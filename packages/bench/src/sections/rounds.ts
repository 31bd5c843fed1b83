import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, signingKeyFromJwk } from '@silo/signing';
import { measureGrpcLoopback } from '../rounds/grpc-loopback.js';
import { BENCH_REDIS_URL, assertRedis } from '../rounds/redis-keys.js';
import { runRoundCell, type BenchWorkerKey } from '../rounds/round-cell.js';
import { roundFloor } from '../rounds/round-figures.js';
import type { Figure, Section, SectionContext } from '../section.js';
import { median } from '../stats.js';

const MIB = 1024 * 1024;

/** A model size: its parameter count and how case names show it. */
interface ModelSize {
  readonly label: string;
  readonly params: number;
}

/** One measured configuration: a fresh coordinator, `workers` workers, a model of `model` size. */
interface Cell {
  readonly workers: number;
  readonly model: ModelSize;
}

interface RoundsPlan {
  readonly cells: readonly Cell[];
  /** Rounds per run, the first a warm-up; the largest cells run one (see {@link roundsOf}). */
  readonly rounds: number;
  /** The cell compared with the round floor. */
  readonly floorCell: Cell;
  /** The cell the memory target applies to, when it runs. */
  readonly memoryCell?: Cell;
  /** Bytes of the timed gRPC stream and of the copy of the floor measurement. */
  readonly floorBytes: number;
}

const P100K: ModelSize = { label: '100k', params: 100_000 };
const P1_66M: ModelSize = { label: '1.66m', params: 1_660_000 };
const P10M: ModelSize = { label: '10m', params: 10_000_000 };

const FULL: RoundsPlan = {
  cells: [
    ...[P100K, P1_66M, P10M].flatMap((model) => [2, 10, 50].map((workers) => ({ workers, model }))),
    { workers: 100, model: P10M },
  ],
  rounds: 4,
  floorCell: { workers: 10, model: P1_66M },
  memoryCell: { workers: 100, model: P10M },
  floorBytes: 256 * MIB,
};
const QUICK: RoundsPlan = {
  cells: [
    { workers: 2, model: P100K },
    { workers: 10, model: P100K },
  ],
  rounds: 2,
  floorCell: { workers: 10, model: P100K },
  floorBytes: 64 * MIB,
};

/** A round may take at most this many times its floor. */
const FLOOR_RATIO_TARGET = 3;
/** Runs of the floor cell and of the memory cell; each verdict is on the median of its runs. */
const TARGET_CELL_RUNS = 3;
/** The coordinator's peak RSS may exceed its idle RSS by at most this many model sizes. */
const MEMORY_TARGET_MODELS = 4;
/**
 * Message size of the floor's gRPC stream: 1 MiB, as the floor has always been measured, so
 * floors stay comparable across runs. The coordinator's streams use 64 KiB chunks to bound their
 * memory; over loopback gRPC the two sizes move bytes about equally fast.
 */
const CHUNK_BYTES = MIB;
/** Copies per copy-bandwidth measurement, as in the floor section. */
const COPY_PASSES = 4;
/**
 * Worker-parameters (N × P, summed over its rounds) one cell's run may move: the largest cells
 * run fewer rounds, 2 (one warm-up, one measured) or just 1, its time taken as it is, so that
 * the section stays within about ten minutes on a 2-core machine. A round of N = 100, P = 10M
 * moves 8 GB and takes minutes there, next to which a warm-up (JIT, first allocations) is noise.
 */
const RUN_BUDGET_WORKER_PARAMS = 200_000_000;

/** Rounds of a cell's run and how many of them are warm-up. */
function roundsOf(plan: RoundsPlan, cell: Cell): { rounds: number; warmupRounds: number } {
  const affordable = Math.floor(RUN_BUDGET_WORKER_PARAMS / (cell.workers * cell.model.params));
  const rounds = Math.max(1, Math.min(plan.rounds, affordable));
  return { rounds, warmupRounds: rounds > 1 ? 1 : 0 };
}

const cellName = (cell: Cell): string => `n${cell.workers}-p${cell.model.label}`;

/**
 * Round overhead of the coordinator: a coordinator process, N workers whose training is free
 * (a constant delta), FedAvg rounds of a one-layer dense model of P parameters. Reports the
 * median seconds per round and the coordinator's memory above idle in model sizes, and compares
 * one cell with the least time its bytes could take (the round floor).
 */
export const roundsSection: Section = {
  name: 'rounds',
  description:
    'seconds per FedAvg round and coordinator RSS, N constant workers x P params, vs. the round floor',
  async define(ctx) {
    const plan = ctx.quick ? QUICK : FULL;
    await assertRedis(BENCH_REDIS_URL);
    ctx.fact(
      'rounds-by-cell',
      plan.cells.map((c) => `${cellName(c)}: ${roundsOf(plan, c).rounds}`).join(', '),
    );
    const keys = await workerKeys(ctx, Math.max(...plan.cells.map((c) => c.workers)));
    ctx.fact(
      'rounds-per-run',
      `${plan.rounds}, the first a warm-up, figures medians of the rest; fewer where rounds x N x P would pass ${RUN_BUDGET_WORKER_PARAMS / 1e6}M (a single round is taken as is)`,
    );
    ctx.fact('workers', 'in the bench process, one gRPC connection each; the coordinator is a child process');
    ctx.fact(
      'model',
      'Sequential of one linear Dense layer, d inputs x 1000 units + bias; FedAvg; no evaluation',
    );
    ctx.fact(
      'rss-growth',
      'coordinator VmHWM at the end minus VmRSS once ready, in model sizes (P x 4 bytes)',
    );
    const floorTimes = addFloorCase(ctx, plan);
    for (const cell of plan.cells) addCellCase(ctx, plan, cell, keys, floorTimes);
  },
};

/** `count` worker keys, their public JWKs written to `<workDir>/keys` for the coordinators' configs. */
async function workerKeys(ctx: SectionContext, count: number): Promise<BenchWorkerKey[]> {
  const dir = join(ctx.workDir, 'keys');
  await mkdir(dir);
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const pair = await generateKeyPair();
      const publicKeyFile = join(dir, `w${i}.pub.json`);
      await writeFile(publicKeyFile, JSON.stringify(pair.publicJwk));
      return { key: await signingKeyFromJwk(pair.privateJwk), publicKeyFile };
    }),
  );
}

/**
 * The round floor of the floor cell, measured afresh: loopback gRPC throughput and memory-copy
 * bandwidth. gRPC is measured with the server in a child process (as the coordinator is) and in
 * this process, and the floor takes the faster: it is the least time the bytes could take.
 * Returns the floor times of the measured repetitions, filled in as they run.
 */
function addFloorCase(ctx: SectionContext, plan: RoundsPlan): number[] {
  const { workers, model } = plan.floorCell;
  const times: number[] = [];
  const grpc = { totalBytes: plan.floorBytes, chunkBytes: CHUNK_BYTES };
  ctx.case(
    `floor-${cellName(plan.floorCell)}`,
    async (rep) => {
      const childGBps = await measureGrpcLoopback({ mode: 'child-process', ...grpc });
      const sameGBps = await measureGrpcLoopback({ mode: 'same-process', ...grpc });
      const copyGBps = copyBandwidth(plan.floorBytes);
      const floor = roundFloor({
        workers,
        params: model.params,
        grpcBytesPerS: Math.max(childGBps, sameGBps) * 1e9,
        copyBytesPerS: copyGBps * 1e9,
      });
      if (!rep.warmup) times.push(floor.seconds);
      ctx.fact(
        'floor.bytes',
        `${floor.transferBytes} over gRPC (the faster of the two loopback figures) + ${floor.aggregationBytes} copied per round`,
      );
      const figures: Figure[] = [
        { name: 'grpc-child-process', unit: 'GB/s', value: childGBps },
        { name: 'grpc-same-process', unit: 'GB/s', value: sameGBps },
        { name: 'copy-bandwidth', unit: 'GB/s', value: copyGBps },
        { name: 'time', unit: 's', value: floor.seconds, better: 'lower' },
      ];
      return figures;
    },
    // Each measurement warms its own connection up first.
    { warmup: 0, maxReps: 3 },
  );
  return times;
}

/**
 * GB/s of `Buffer.copy` between two buffers of `bytes`, as the floor section's `buffer-copy`
 * measures it; one untimed copy first, so page faults of fresh memory are not timed.
 */
function copyBandwidth(bytes: number): number {
  const from = Buffer.alloc(bytes, 1);
  const to = Buffer.alloc(bytes);
  from.copy(to);
  const start = performance.now();
  for (let p = 0; p < COPY_PASSES; p++) from.copy(to);
  const ms = performance.now() - start;
  return (bytes * COPY_PASSES) / (ms / 1000) / 1e9;
}

function addCellCase(
  ctx: SectionContext,
  plan: RoundsPlan,
  cell: Cell,
  keys: readonly BenchWorkerKey[],
  floorTimes: readonly number[],
): void {
  const name = cellName(cell);
  const isFloorCell = name === cellName(plan.floorCell);
  const isMemoryCell = plan.memoryCell !== undefined && name === cellName(plan.memoryCell);
  const roundSamples: number[] = [];
  const growthSamples: number[] = [];
  ctx.case(
    name,
    async () => {
      const dir = await mkdtemp(join(ctx.workDir, `${name}-`));
      try {
        const result = await runRoundCell({
          workers: cell.workers,
          params: cell.model.params,
          ...roundsOf(plan, cell),
          keys,
          dir,
          redisUrl: BENCH_REDIS_URL,
          log: (message) => ctx.log(message),
        });
        const modelBytes = result.params * 4;
        const roundS = median(result.times.durationsS);
        const growth = (result.peakRssBytes - result.idleRssBytes) / modelBytes;
        roundSamples.push(roundS);
        growthSamples.push(growth);
        ctx.fact(
          `round-s.${name}`,
          result.history.map((r) => (r.durationMs / 1000).toFixed(2)).join(', ') +
            ' (open to close, by round)',
        );
        if (isFloorCell && floorTimes.length > 0) {
          const ratio = median(roundSamples) / median(floorTimes);
          ctx.fact('target.round-vs-floor', verdict(`${name} round / floor`, ratio, FLOOR_RATIO_TARGET));
        }
        if (isMemoryCell) {
          ctx.fact(
            'target.memory',
            verdict(`${name} (peak - idle RSS) / model`, median(growthSamples), MEMORY_TARGET_MODELS),
          );
        }
        return [
          {
            name: 'round-time',
            unit: 's',
            value: roundS,
            better: 'lower',
            ...(isFloorCell ? { ratioTo: `rounds/floor-${name}/time` } : {}),
          },
          { name: 'round-period', unit: 's', value: median(result.times.periodsS), better: 'lower' },
          { name: 'coordinator-idle-rss', unit: 'MiB', value: result.idleRssBytes / MIB, better: 'lower' },
          { name: 'coordinator-peak-rss', unit: 'MiB', value: result.peakRssBytes / MIB, better: 'lower' },
          { name: 'rss-growth', unit: 'x model', value: growth, better: 'lower' },
          {
            name: 'rss-growth-per-worker',
            unit: 'MiB',
            value: (result.peakRssBytes - result.idleRssBytes) / cell.workers / MIB,
            better: 'lower',
          },
        ] satisfies Figure[];
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    // One run is one repetition: its warm-up is its own first round, its figures medians over
    // rounds. The two cells with targets run several times: a single run's peak RSS moves by a
    // model size or more from one run to the next with garbage-collection timing.
    { warmup: 0, maxReps: isFloorCell || isMemoryCell ? TARGET_CELL_RUNS : 1 },
  );
}

/** `what = 2.41x (target ≤ 3x): met`. */
function verdict(what: string, value: number, target: number): string {
  return `${what} = ${value.toFixed(2)}x (target <= ${target}x): ${value <= target ? 'met' : 'NOT met'}`;
}
