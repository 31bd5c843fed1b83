import { describe, expect, it } from 'vitest';
import type { RunView } from '@silo/coordinator';
import type { VirtualPoolStats } from '@silo/worker';
import { sampleSize } from './options.js';
import {
  ProgressDisplay,
  estimateRemainingMs,
  formatDuration,
  formatProgress,
  type ProgressSnapshot,
} from './progress.js';

const STATS: VirtualPoolStats = {
  workers: 100,
  online: 100,
  started: 0,
  dropped: 0,
  trained: 0,
  accepted: 0,
  failed: {},
  declined: 0,
  receipts: 0,
  receiptFailures: 0,
  trainingMs: 0,
  queued: 0,
};

/** A run of `rounds` whose closed rounds opened at 0 and closed every `cycleMs`. */
function snapshot(closed: number, cycleMs: number, extra: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  const history = Array.from({ length: closed }, (_, i) => ({
    round: i + 1,
    closedAt: (i + 1) * cycleMs,
    durationMs: cycleMs,
    numUpdates: 10,
    rejected: i === 0 ? 1 : 0,
  }));
  const view = { status: 'running', rounds: 5, history } as unknown as RunView;
  return {
    view,
    stats: { ...STATS, accepted: closed * 10 },
    online: 100,
    workers: 100,
    sampled: 10,
    roundStartedMs: closed * cycleMs,
    nowMs: closed * cycleMs,
    ...extra,
  };
}

describe('estimateRemainingMs', () => {
  it('takes the mean closed round for each round to go, less what the current one has run', () => {
    expect(estimateRemainingMs(snapshot(2, 10_000))).toBe(30_000);
    expect(estimateRemainingMs(snapshot(2, 10_000, { nowMs: 24_000 }))).toBe(26_000);
    // Overdue: the current round counts as done, not as negative time.
    expect(estimateRemainingMs(snapshot(2, 10_000, { nowMs: 45_000 }))).toBe(20_000);
  });

  it('extrapolates the first round from its share of updates, and knows nothing before the first', () => {
    const first = snapshot(0, 0, { roundStartedMs: 0, nowMs: 6_000 });
    expect(estimateRemainingMs(first)).toBeUndefined();
    const quarter = { ...first, stats: { ...STATS, accepted: 5 } };
    expect(estimateRemainingMs(quarter)).toBe(4 * 12_000 + 6_000);
  });

  it('is 0 for a run that ended', () => {
    const done = snapshot(5, 1_000);
    expect(estimateRemainingMs({ ...done, view: { ...done.view, status: 'completed' } })).toBe(0);
  });
});

describe('progress text', () => {
  it('formats durations and the status line', () => {
    expect(formatDuration(12_400)).toBe('12s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
    const line = formatProgress({ ...snapshot(2, 10_000), stats: { ...STATS, accepted: 27, dropped: 2 } });
    expect(line).toBe(
      'round 3/5 (2 done) · 100/100 online · sampled 10 · updates this round 7 · accepted 27 · refused 1 · dropped 2 · ETA 30s',
    );
  });

  it('redraws one line on a terminal and prints plain lines, now and then, elsewhere', () => {
    const tty: string[] = [];
    const terminal = new ProgressDisplay({ isTTY: true, write: (t: string) => tty.push(t) });
    terminal.status('a', 0);
    terminal.status('b', 1);
    terminal.line('round 1');
    terminal.done();
    expect(tty.join('')).toBe('\r\x1b[2Ka\r\x1b[2Kb\r\x1b[2Kround 1\nb\r\x1b[2K');
    const plain: string[] = [];
    const file = new ProgressDisplay({ write: (t: string) => plain.push(t) });
    file.status('a', 20_000);
    file.status('b', 21_000);
    file.line('round 1');
    file.status('c', 40_000);
    expect(plain).toEqual(['a\n', 'round 1\n', 'c\n']);
  });
});

describe('sampleSize', () => {
  it('resolves a count or a share as the coordinator does', () => {
    expect(sampleSize(undefined, 1000)).toBe(1000);
    expect(sampleSize('10%', 1000)).toBe(100);
    expect(sampleSize('10%', 15)).toBe(2);
    expect(sampleSize('50', 20)).toBe(20);
    expect(sampleSize('0.01%', 10)).toBe(1);
  });
});
