import type { Role } from './control-tokens.js';
import type { HttpApi } from './http-api.js';
import type { RejectedUpdate, StateStore } from './state.js';

/** Runs, newest first, that `GET /v1/workers/activity` reads. */
export const MAX_ACTIVITY_RUNS = 50;

/** Refusals listed one by one, newest first, beside the counts. */
export const RECENT_REJECTIONS = 20;

/** What happened in one round, as far as the workers' updates go. */
export interface RoundActivity {
  runId: string;
  round: number;
  /** Keys whose update the round accepted. */
  accepted: readonly string[];
  rejections: readonly RejectedUpdate[];
}

/** One key's updates over the rounds read. */
export interface WorkerActivity {
  keyId: string;
  accepted: number;
  rejected: number;
  /** The last round that accepted an update of this key. */
  lastAccepted?: { runId: string; round: number };
  /** Refusals by code, the most frequent first, with the latest reason given for each. */
  rejections: { code: string; count: number; lastReason: string; lastAt: number }[];
}

/** A refusal with the run and round it was recorded under. */
export type RoundRejection = RejectedUpdate & { runId: string; round: number };

/**
 * Tallies accepted and refused updates per key. `rounds` come oldest first; a refused update is
 * counted under the key it claimed, which is unverified when the signature or key was the problem.
 */
export function tallyActivity(rounds: readonly RoundActivity[]): {
  workers: WorkerActivity[];
  recentRejections: RoundRejection[];
} {
  const byKey = new Map<string, WorkerActivity>();
  const of = (keyId: string): WorkerActivity => {
    let entry = byKey.get(keyId);
    if (entry === undefined) {
      entry = { keyId, accepted: 0, rejected: 0, rejections: [] };
      byKey.set(keyId, entry);
    }
    return entry;
  };
  const rejections: RoundRejection[] = [];
  for (const { runId, round, accepted, rejections: refused } of rounds) {
    for (const keyId of accepted) {
      const entry = of(keyId);
      entry.accepted++;
      entry.lastAccepted = { runId, round };
    }
    for (const rejection of refused) {
      rejections.push({ ...rejection, runId, round });
      const entry = of(rejection.keyId);
      entry.rejected++;
      let code = entry.rejections.find((c) => c.code === rejection.code);
      if (code === undefined) {
        code = { code: rejection.code, count: 0, lastReason: rejection.reason, lastAt: rejection.at };
        entry.rejections.push(code);
      }
      code.count++;
      if (rejection.at >= code.lastAt) {
        code.lastReason = rejection.reason;
        code.lastAt = rejection.at;
      }
    }
  }
  const workers = [...byKey.values()].sort((a, b) => (a.keyId < b.keyId ? -1 : 1));
  for (const worker of workers) worker.rejections.sort((a, b) => b.count - a.count || b.lastAt - a.lastAt);
  rejections.sort((a, b) => b.at - a.at);
  return { workers, recentRejections: rejections.slice(0, RECENT_REJECTIONS) };
}

type ActivityState = Pick<StateStore, 'listRuns' | 'getRun' | 'history' | 'updates' | 'rejections'>;

/**
 * The rounds of one run as {@link RoundActivity}: closed rounds from the run's history (its
 * contributors), refusals read only for rounds that recorded some, and the round in progress
 * (or the one the run failed in) from its stored updates.
 */
async function runActivity(state: ActivityState, runId: string): Promise<RoundActivity[]> {
  const [run, history] = await Promise.all([state.getRun(runId), state.history(runId)]);
  const rounds = await Promise.all(
    history.map(async (summary) => ({
      runId,
      round: summary.round,
      accepted: summary.contributors,
      rejections: summary.rejected > 0 ? await state.rejections(runId, summary.round) : [],
    })),
  );
  if (!history.some((summary) => summary.round === run.round)) {
    const [updates, rejections] = await Promise.all([
      state.updates(runId, run.round),
      state.rejections(runId, run.round),
    ]);
    rounds.push({ runId, round: run.round, accepted: updates.map((u) => u.keyId), rejections });
  }
  return rounds;
}

/**
 * `GET /v1/workers/activity`: updates accepted and refused per worker key, with the reasons
 * for refusals, over the latest {@link MAX_ACTIVITY_RUNS} runs. What is online and enrolled is
 * `GET /v1/workers`.
 */
export function addWorkerActivityRoute(api: HttpApi, state: ActivityState, roles: readonly Role[]): HttpApi {
  return api.route('GET', '/v1/workers/activity', roles, async () => {
    const ids = await state.listRuns();
    const read = ids.slice(-MAX_ACTIVITY_RUNS);
    const rounds = (await Promise.all(read.map((id) => runActivity(state, id)))).flat();
    return { json: { runs: read.length, totalRuns: ids.length, ...tallyActivity(rounds) } };
  });
}
