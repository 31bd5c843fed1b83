import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SiloError } from '@silo/common';
import type { Figure, Section, SectionContext } from '../section.js';
import { median } from '../stats.js';

/** The CLI entry point: this file is `packages/bench/{src,dist}/sections/simulation.*`. */
const SILO_BIN = fileURLToPath(new URL('../../../cli/bin/silo.js', import.meta.url));
const MIB = 1024 * 1024;
/** Rows of the synthetic tabular set per worker, whatever the number of workers. */
const ROWS_PER_WORKER = 16;
/** A simulation may take this long before the case fails. */
const RUN_TIMEOUT_MS = 30 * 60_000;
/** The issue's targets, for the 1,000-worker all-participating case. */
const TARGET_ROUND_S = 20;
const TARGET_MEMORY_MIB = 4096;

/** One measured configuration: `workers` virtual workers, all or a share of them per round. */
interface Cell {
  readonly workers: number;
  /** `--sample`, or undefined for every worker in every round. */
  readonly sample?: string;
}

const FULL: readonly Cell[] = [100, 300, 1000].flatMap((workers) => [
  { workers },
  { workers, sample: '10%' },
]);
const QUICK: readonly Cell[] = [{ workers: 20 }, { workers: 20, sample: '10%' }];

/** The part of `silo simulate --report-json` this section reads. */
interface Report {
  status: string;
  processes: number;
  params: number;
  sampled: number;
  roundSeconds: number[];
  joinSeconds: number;
  pkiSeconds: number;
  accuracy?: number;
  peakMemoryBytes: {
    coordinator?: number;
    pools: (number | undefined)[];
    redis?: number;
    total: number;
    simulate: number;
  };
  cpuSecondsPerRound: { coordinator: number[]; pools: number[][]; redis?: number[] };
  audit: { ok: boolean; problems: number };
}

const cellName = (cell: Cell): string =>
  `n${cell.workers}-${cell.sample === undefined ? 'all' : `${cell.sample.replace('%', '')}pct`}`;

/**
 * `silo simulate` at scale, as a user runs it: N virtual workers in one worker process per core,
 * each with its own key, mTLS certificate, data share, egress log and signed updates, against a
 * coordinator process and a private Redis. Reports the median seconds per round, the peak memory
 * of all those processes together, and CPU seconds per round (which the machine's other load does
 * not inflate, unlike the round time).
 */
export const simulationSection: Section = {
  name: 'simulation',
  description:
    'silo simulate with N = 100, 300, 1000 virtual workers (all / 10% per round), ~100k-param model: s/round, peak memory',
  define(ctx) {
    const cells = ctx.quick ? QUICK : FULL;
    const rounds = ctx.quick ? 2 : 3;
    ctx.fact(
      'workload',
      `--dataset tabular (synthetic, 50 features, 10 classes), tabular-mlp (101,066 parameters), ` +
        `${ROWS_PER_WORKER} rows per worker, 1 local epoch of batch ${ROWS_PER_WORKER}, FedAvg, iid, ` +
        `${rounds} rounds, mTLS; figures are medians over the rounds of one run`,
    );
    ctx.fact(
      'memory',
      'sum of VmHWM (peak RSS) of the coordinator, every worker process and the private redis-server; ' +
        'the simulate process itself (it follows the run and audits the ledger) is reported apart',
    );
    ctx.fact(
      'targets',
      `n1000-all: under ${TARGET_ROUND_S} s per round; every case: all processes together under ${TARGET_MEMORY_MIB} MiB`,
    );
    ctx.fact(
      'load-average-at-start',
      loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
    );
    for (const cell of cells) addCase(ctx, cell, rounds);
    return Promise.resolve();
  },
};

function addCase(ctx: SectionContext, cell: Cell, rounds: number): void {
  const name = cellName(cell);
  ctx.case(
    name,
    async () => {
      const report = await simulate(ctx, cell, rounds, name);
      const cpu = report.cpuSecondsPerRound;
      const perRound = cpu.coordinator.map(
        (c, r) => c + cpu.pools.reduce((sum, pool) => sum + (pool[r] ?? 0), 0) + (cpu.redis?.[r] ?? 0),
      );
      const memory = report.peakMemoryBytes;
      ctx.log(
        `${name}: rounds ${report.roundSeconds.map((s) => s.toFixed(1)).join(', ')} s; ` +
          `peak ${(memory.total / MIB).toFixed(0)} MiB; audit ${report.audit.ok ? 'OK' : 'FAILED'}`,
      );
      const figures: Figure[] = [
        { name: 'round-time', unit: 's', value: median(report.roundSeconds), better: 'lower' },
        { name: 'peak-memory', unit: 'MiB', value: memory.total / MIB, better: 'lower' },
        { name: 'coordinator-memory', unit: 'MiB', value: (memory.coordinator ?? 0) / MIB, better: 'lower' },
        {
          name: 'worker-processes-memory',
          unit: 'MiB',
          value: memory.pools.reduce<number>((sum, b) => sum + (b ?? 0), 0) / MIB,
          better: 'lower',
        },
        { name: 'redis-memory', unit: 'MiB', value: (memory.redis ?? 0) / MIB, better: 'lower' },
        { name: 'cpu-per-round', unit: 's', value: median(perRound), better: 'lower' },
        { name: 'join-time', unit: 's', value: report.joinSeconds, better: 'lower' },
      ];
      return figures;
    },
    // One run per case: a 1,000-worker run takes minutes, and its rounds are the repetitions.
    { warmup: 0, maxReps: 1 },
  );
}

/** Runs `silo simulate` for `cell` and returns its report; fails unless it completed and audited clean. */
async function simulate(ctx: SectionContext, cell: Cell, rounds: number, name: string): Promise<Report> {
  const reportPath = join(ctx.workDir, `${name}.json`);
  // prettier-ignore
  const args = [
    SILO_BIN, 'simulate', '--workers', String(cell.workers), '--rounds', String(rounds),
    '--dataset', 'tabular', '--train-size', String(cell.workers * ROWS_PER_WORKER),
    '--epochs', '1', '--batch-size', String(ROWS_PER_WORKER), '--partition', 'iid',
    '--no-baseline', '--private-redis', '--report-json', reportPath,
    ...(cell.sample === undefined ? [] : ['--sample', cell.sample]),
  ];
  try {
    await promisify(execFile)(process.execPath, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * MIB });
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new SiloError(
      'ERR_INTERNAL',
      `silo simulate (${name}) failed: ${stderr?.slice(-2000) ?? String(err)}`,
      {
        cause: err,
      },
    );
  }
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
  if (report.status !== 'completed' || !report.audit.ok || report.roundSeconds.length === 0)
    throw new SiloError(
      'ERR_INTERNAL',
      `silo simulate (${name}) ended ${report.status} with ${report.audit.problems} audit problems`,
    );
  return report;
}
