import type { RunView } from '@silo/coordinator';
import type { VirtualPoolStats } from '@silo/worker';

/** Everything the progress line is made from, at one moment. */
export interface ProgressSnapshot {
  /** The run as `GET /v1/runs/:id` shows it. */
  view: RunView;
  /** The worker pools' counters, added up. */
  stats: VirtualPoolStats;
  /** Workers the coordinator counts online (`GET /v1/workers`). */
  online: number;
  /** Workers simulated. */
  workers: number;
  /** Workers sampled per round. */
  sampled: number;
  /** When the current round began, as far as the caller can tell (unix ms). */
  roundStartedMs: number;
  nowMs: number;
}

/** Closed rounds' durations, each from the close of the round before (the first from its opening). */
export function roundCyclesMs(history: RunView['history']): number[] {
  return history.map((round, i) =>
    i === 0 ? round.durationMs : round.closedAt - (history[i - 1]?.closedAt ?? round.closedAt),
  );
}

/** Updates accepted in the round in progress: all accepted so far minus those of closed rounds. */
export function updatesThisRound(snapshot: Pick<ProgressSnapshot, 'view' | 'stats'>): number {
  const closed = snapshot.view.history.reduce((sum, round) => sum + round.numUpdates, 0);
  return Math.max(0, snapshot.stats.accepted - closed);
}

/**
 * Estimated time to the end of the run, in ms: the mean of the closed rounds (or, before any has
 * closed, the current round extrapolated from its share of updates in) for each round to go, less
 * what the current round has run already. Undefined while there is nothing to go on.
 */
export function estimateRemainingMs(snapshot: ProgressSnapshot): number | undefined {
  const { view, sampled, roundStartedMs, nowMs } = snapshot;
  const closed = view.history.length;
  if (view.status !== 'running') return 0;
  const elapsed = Math.max(0, nowMs - roundStartedMs);
  const cycles = roundCyclesMs(view.history);
  let perRound: number | undefined;
  if (cycles.length > 0) perRound = cycles.reduce((a, b) => a + b, 0) / cycles.length;
  else {
    const share = sampled > 0 ? updatesThisRound(snapshot) / sampled : 0;
    if (share > 0) perRound = elapsed / Math.min(1, share);
  }
  if (perRound === undefined) return undefined;
  const after = Math.max(0, view.rounds - closed - 1);
  return after * perRound + Math.max(0, perRound - elapsed);
}

/** `1h 02m`, `3m 05s`, `12s`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Refusals so far: the coordinator's (closed rounds) and rounds that failed at the workers. */
function refusedCount(snapshot: ProgressSnapshot): number {
  const byCoordinator = snapshot.view.history.reduce((sum, round) => sum + round.rejected, 0);
  const atWorkers = Object.values(snapshot.stats.failed).reduce((a, b) => a + b, 0);
  return byCoordinator + atWorkers;
}

/** The one-line status of a run in progress. */
export function formatProgress(snapshot: ProgressSnapshot): string {
  const { view, stats } = snapshot;
  const eta = estimateRemainingMs(snapshot);
  const round = Math.min(view.history.length + 1, view.rounds);
  return [
    `round ${round}/${view.rounds} (${view.history.length} done)`,
    `${snapshot.online}/${snapshot.workers} online`,
    `sampled ${snapshot.sampled}`,
    `updates this round ${updatesThisRound(snapshot)}`,
    `accepted ${stats.accepted}`,
    `refused ${refusedCount(snapshot)}`,
    `dropped ${stats.dropped}`,
    `ETA ${eta === undefined ? '…' : formatDuration(eta)}`,
  ].join(' · ');
}

/** Where progress goes: a terminal gets one line redrawn in place, anything else plain lines. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Plain output prints the status line at most this often. */
const PLAIN_STATUS_INTERVAL_MS = 15_000;

/**
 * Prints a run's progress: a status line (on a terminal, redrawn in place; otherwise a plain line
 * now and then, when it changed) and, above it, a permanent line per closed round.
 */
export class ProgressDisplay {
  readonly #out: ProgressOutput;
  readonly #tty: boolean;
  #status = '';
  #lastPlainMs = 0;

  constructor(out: ProgressOutput) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  /** A permanent line, such as a closed round's. */
  line(text: string): void {
    if (this.#tty && this.#status !== '') this.#out.write(`\r\x1b[2K${text}\n${this.#status}`);
    else this.#out.write(`${text}\n`);
  }

  /** The current status. */
  status(text: string, nowMs: number): void {
    if (this.#tty) {
      if (text !== this.#status) this.#out.write(`\r\x1b[2K${text}`);
      this.#status = text;
      return;
    }
    if (text === this.#status || nowMs - this.#lastPlainMs < PLAIN_STATUS_INTERVAL_MS) return;
    this.#status = text;
    this.#lastPlainMs = nowMs;
    this.#out.write(`${text}\n`);
  }

  /** Clears the status line, before other output. */
  done(): void {
    if (this.#tty && this.#status !== '') this.#out.write('\r\x1b[2K');
    this.#status = '';
  }
}
