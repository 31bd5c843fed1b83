import { createStrategy } from '@silo/aggregation';
import type { RunEndedEntry, RunEntry } from '@silo/ledger';
import { layoutSize } from '@silo/tensors';
import { problem, problemFrom, strategyConfig, type Problem, type ReplayContext } from './replay-context.js';

/** Replays a `run` entry: the run must be new, name the coordinator key, and be computable. */
export function replayRun(ctx: ReplayContext, index: number, entry: RunEntry): void {
  const found: Problem[] = [];
  const existing = ctx.runs.get(entry.runId);
  if (existing !== undefined) {
    found.push(
      problem(index, 'ERR_CONFLICT', `run ${entry.runId} was already created by entry ${existing.entry}`),
    );
  }
  if (entry.coordinatorKeyId !== ctx.coordinatorKeyId) {
    found.push(
      problem(
        index,
        'ERR_UNKNOWN_KEY',
        `run ${entry.runId} names coordinator key ${entry.coordinatorKeyId}, not the audited key ${ctx.coordinatorKeyId}`,
      ),
    );
  }
  let length: number | undefined;
  try {
    length = layoutSize(entry.layout);
  } catch (err) {
    found.push(problemFrom(index, err, `run ${entry.runId} layout`));
  }
  try {
    createStrategy(strategyConfig(entry.strategy));
  } catch (err) {
    found.push(problemFrom(index, err, `run ${entry.runId} strategy`));
  }
  if (existing === undefined) {
    ctx.runs.set(entry.runId, {
      entry: index,
      run: entry,
      length,
      round: 0,
      base: entry.initialCheckpoint,
      strategyState: null,
      lastAggregate: undefined,
      status: 'open',
      endedAt: undefined,
      checkpoints: new Map(),
      privateRounds: [],
    });
  }
  ctx.report.tally('runs', found);
}

/** Replays a `run-ended` entry: a completed run ends on its last aggregate's checkpoint and round. */
export function replayRunEnded(ctx: ReplayContext, index: number, entry: RunEndedEntry): void {
  const found: Problem[] = [];
  const run = ctx.runs.get(entry.runId);
  if (run === undefined) {
    found.push(problem(index, 'ERR_WRONG_RUN', `ends run ${entry.runId}, which no earlier entry created`));
  } else if (run.endedAt !== undefined) {
    found.push(problem(index, 'ERR_CONFLICT', `run ${entry.runId} already ended at entry ${run.endedAt}`));
  } else {
    if (entry.status === 'completed') found.push(...completionProblems(index, entry, run.round, run.base));
    run.status = entry.status;
    run.endedAt = index;
  }
  ctx.report.tally('run-ended', found);
}

function completionProblems(
  index: number,
  entry: RunEndedEntry,
  round: number,
  checkpoint: string,
): Problem[] {
  const found: Problem[] = [];
  if (entry.checkpoint !== checkpoint) {
    found.push(
      problem(
        index,
        'ERR_DIGEST_MISMATCH',
        `run ${entry.runId} completed with checkpoint ${entry.checkpoint}, but its last aggregate produced ${checkpoint}`,
      ),
    );
  }
  if (entry.round !== round) {
    found.push(
      problem(
        index,
        'ERR_STALE_ROUND',
        `run ${entry.runId} completed at round ${entry.round}, but its last aggregated round is ${round}`,
      ),
    );
  }
  return found;
}
