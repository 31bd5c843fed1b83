import { setTimeout as sleep } from 'node:timers/promises';
import type { RunView } from '@silo/coordinator';
import { callApi, type ApiTarget } from '../api-client.js';
import { formatRound } from '../commands/run.js';
import type { PoolHandle } from './processes.js';
import { sumStats } from './processes.js';
import {
  ProgressDisplay,
  estimateRemainingMs,
  formatDuration,
  formatProgress,
  type ProgressOutput,
  type ProgressSnapshot,
} from './progress.js';

/** How often the run is polled. */
const RUN_POLL_MS = 1000;
/** How often the coordinator's list of online workers is fetched (it names every enrolled key). */
const WORKERS_POLL_MS = 5000;

/** Options of {@link followWithProgress}. */
export interface FollowOptions {
  target: ApiTarget;
  runId: string;
  pools: readonly PoolHandle[];
  /** Workers simulated. */
  workers: number;
  /** Workers sampled per round. */
  sampled: number;
  /** When the first round could begin: every worker online (unix ms). */
  startedMs: number;
  out: ProgressOutput;
  /** Throws when a process of the simulation failed, to end the wait. */
  check(): void;
  /** Called once per closed round, as soon as it is seen closed. */
  onRound?(view: RunView, index: number): Promise<void>;
}

/**
 * Follows a run to its end: a line per closed round (as `silo run watch` prints it, with the
 * estimated time left) and a status line of the round in progress — rounds done, workers online
 * and sampled, updates accepted and refused, dropouts, time left — from `GET /v1/runs/:id`,
 * `GET /v1/workers` and the worker pools' counters. Returns the final view.
 */
export async function followWithProgress(options: FollowOptions): Promise<RunView> {
  const { target, runId, pools } = options;
  const display = new ProgressDisplay(options.out);
  let shown = 0;
  let online = 0;
  let workersPolledMs = 0;
  let roundStartedMs = options.startedMs;
  for (;;) {
    options.check();
    const view = await callApi<RunView>(target, 'GET', `/v1/runs/${runId}`);
    let nowMs = Date.now();
    if (nowMs - workersPolledMs >= WORKERS_POLL_MS) {
      const workers = await callApi<{ online: unknown[] }>(target, 'GET', '/v1/workers');
      online = workers.online.length;
      workersPolledMs = nowMs = Date.now();
    }
    const snapshot = (): ProgressSnapshot => ({
      view,
      stats: sumStats(pools.map((pool) => pool.stats)),
      online,
      workers: options.workers,
      sampled: options.sampled,
      roundStartedMs,
      nowMs,
    });
    for (; shown < view.history.length; shown++) {
      await options.onRound?.(view, shown);
      roundStartedMs = view.history[shown]!.closedAt;
      const eta = view.status === 'running' ? estimateRemainingMs(snapshot()) : undefined;
      display.line(`${formatRound(view, shown)}${eta === undefined ? '' : `  ETA ${formatDuration(eta)}`}`);
    }
    if (view.status !== 'running') {
      display.done();
      return view;
    }
    display.status(formatProgress(snapshot()), nowMs);
    await sleep(RUN_POLL_MS);
  }
}
