import type { RunView } from '@silo/coordinator';
import type { VirtualPoolStats } from '@silo/worker';
import { cpuSeconds } from './processes.js';
import { roundCyclesMs } from './progress.js';

/** Peak memory of the simulation's processes, in bytes (`VmHWM`). */
export interface PeakMemory {
  coordinator: number | undefined;
  /** One per worker pool process. */
  pools: (number | undefined)[];
  /** The Redis server, when the simulation started it; undefined for a shared one (not ours to count). */
  redis: number | undefined;
  /** Coordinator + pools + (private) Redis. */
  total: number;
  /** The `silo simulate` process itself (it follows the run and audits the ledger); not in `total`. */
  simulate: number;
}

/** What `silo simulate --report-json FILE` writes: the figures behind the summary, for scripts. */
export interface SimulationReport {
  workers: number;
  processes: number;
  dataset: string;
  /** The model's parameters. */
  params: number;
  rounds: number;
  /** Workers sampled per round. */
  sampled: number;
  status: string;
  error?: string;
  /** Each closed round's duration in seconds, from the close of the one before (the first from its opening). */
  roundSeconds: number[];
  medianRoundSeconds: number | undefined;
  /** From run creation to its end. */
  federatedSeconds: number;
  /** From the start of the pool processes until every worker was online. */
  joinSeconds: number;
  /** Issuing the workers' mTLS certificates; 0 in plain text. */
  pkiSeconds: number;
  /** Updates per round, and refusals, from the run's history. */
  updatesPerRound: number[];
  rejectedPerRound: number[];
  /** The pools' counters at the end. */
  pools: VirtualPoolStats;
  /** Final accuracy on the held-out test set, when known. */
  accuracy: number | undefined;
  peakMemoryBytes: PeakMemory;
  /**
   * CPU seconds each process used in each round (user + system, sampled when the round was seen
   * closed): a figure the machine's other load does not inflate, unlike the round times.
   */
  cpuSecondsPerRound: { coordinator: number[]; pools: number[][]; redis: number[] | undefined };
  audit: { ok: boolean; entries: number; checkpoints: number; checks: number; problems: number };
}

/** The median of `values`, undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Round durations of a finished run, in seconds. */
export function roundSeconds(view: RunView): number[] {
  return roundCyclesMs(view.history).map((ms) => ms / 1000);
}

/** CPU time of the simulation's processes, sampled at each round's close. */
export class CpuMeter {
  readonly #pids: {
    coordinator: number | undefined;
    pools: (number | undefined)[];
    redis: number | undefined;
  };
  #last: (number | undefined)[] | undefined;
  readonly #rounds: (number | undefined)[][] = [];

  constructor(pids: {
    coordinator: number | undefined;
    pools: (number | undefined)[];
    redis: number | undefined;
  }) {
    this.#pids = pids;
  }

  /** Takes the first sample: the start of round 1. */
  async start(): Promise<void> {
    this.#last = await this.#sample();
  }

  /** Samples again: everything since the last sample was round `rounds + 1`'s. */
  async roundClosed(): Promise<void> {
    const now = await this.#sample();
    const last = this.#last ?? now;
    this.#rounds.push(
      now.map((v, i) => (v === undefined || last[i] === undefined ? undefined : v - last[i])),
    );
    this.#last = now;
  }

  /** Per process, per round. */
  get perRound(): SimulationReport['cpuSecondsPerRound'] {
    const column = (i: number): number[] => this.#rounds.map((r) => r[i] ?? 0);
    const pools = this.#pids.pools.map((_, p) => column(1 + p));
    const redisColumn = 1 + this.#pids.pools.length;
    return {
      coordinator: column(0),
      pools,
      redis: this.#pids.redis === undefined ? undefined : column(redisColumn),
    };
  }

  #sample(): Promise<(number | undefined)[]> {
    const { coordinator, pools, redis } = this.#pids;
    return Promise.all([coordinator, ...pools, redis].map((pid) => cpuSeconds(pid)));
  }
}
