import { decodeEntry, type LedgerEntry } from '@silo/ledger';
import { KeyRegistry, type PublicJwk } from '@silo/signing';
import { readBlob, replayAggregate } from './replay-aggregates.js';
import { problemFrom, type ReplayContext } from './replay-context.js';
import { replayEnrolment, replayRevocation } from './replay-keys.js';
import { replayRun, replayRunEnded } from './replay-runs.js';
import { replayDecline } from './replay-declines.js';
import { replayEvaluation } from './replay-evaluations.js';
import { replayUpdate } from './replay-updates.js';
import type { AuditRun, ReportBuilder } from './report.js';

/** What a {@link LedgerReplay} needs to start. */
export interface LedgerReplayOptions {
  readonly report: ReportBuilder;
  readonly blobsDir: string;
  readonly coordinatorKeyId: string;
  readonly coordinatorJwk: PublicJwk;
  readonly trustedKeyIds: ReadonlySet<string> | undefined;
}

/**
 * Replays ledger entries one at a time, in order, holding only what later entries are checked
 * against (keys, runs, the small facts of each update, nonces), never the entries themselves.
 */
export class LedgerReplay {
  readonly #ctx: ReplayContext;

  constructor(options: LedgerReplayOptions) {
    this.#ctx = {
      ...options,
      registry: new KeyRegistry(),
      enrolled: new Set(),
      runs: new Map(),
      updates: new Map(),
      nonces: new Map(),
      submissions: new Map(),
      rejections: new Map(),
    };
  }

  /** Checks entry `index` given its stored bytes. */
  async entry(index: number, bytes: Uint8Array): Promise<void> {
    let entry: LedgerEntry;
    try {
      entry = decodeEntry(bytes, index);
      this.#ctx.report.tally('schema', []);
    } catch (err) {
      this.#ctx.report.tally('schema', [problemFrom(index, err, 'entry does not decode')]);
      return;
    }
    await this.#dispatch(index, entry);
  }

  /**
   * Checks what only the end of the ledger shows: each run's latest checkpoint blob is intact,
   * and which accepted updates no aggregate used.
   */
  async finish(): Promise<void> {
    const ctx = this.#ctx;
    for (const run of ctx.runs.values()) {
      if (run.lastAggregate === undefined || run.length === undefined) continue;
      await readBlob(
        ctx,
        run.lastAggregate,
        run.base,
        run.length,
        `latest checkpoint of run ${run.run.runId}`,
      );
    }
    for (const [index, update] of ctx.updates) {
      if (update.aggregatedBy !== undefined) continue;
      ctx.report.warn({
        entry: index,
        check: 'aggregates',
        code: 'WARN_NOT_AGGREGATED',
        reason: `update by ${update.keyId} for round ${update.round} of run ${update.runId} was accepted but no aggregate used it`,
      });
    }
  }

  /** Rejection entries by code. */
  rejections(): Record<string, number> {
    return Object.fromEntries([...this.#ctx.rejections].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** The runs seen, in ledger order. */
  runs(): AuditRun[] {
    return [...this.#ctx.runs.values()].map((run) => ({
      runId: run.run.runId,
      entry: run.entry,
      rounds: run.round,
      checkpoint: run.base,
      status: run.status,
    }));
  }

  async #dispatch(index: number, entry: LedgerEntry): Promise<void> {
    const ctx = this.#ctx;
    switch (entry.type) {
      case 'key-enrolled':
        return replayEnrolment(ctx, index, entry);
      case 'key-revoked':
        return replayRevocation(ctx, index, entry);
      case 'run':
        return replayRun(ctx, index, entry);
      case 'update':
        return replayUpdate(ctx, index, entry);
      case 'aggregate':
        return replayAggregate(ctx, index, entry);
      case 'run-ended':
        return replayRunEnded(ctx, index, entry);
      case 'rejection':
        // What the coordinator refused carries no signature of its own; it is counted.
        ctx.rejections.set(entry.code, (ctx.rejections.get(entry.code) ?? 0) + 1);
        ctx.report.pass('rejections');
        return;
      case 'declined':
        return replayDecline(ctx, index, entry);
      case 'evaluation':
        return replayEvaluation(ctx, index, entry);
    }
  }
}
