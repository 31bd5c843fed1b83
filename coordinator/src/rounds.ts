import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { SiloError, toSiloError, type Logger } from '@silo/common';
import { createStrategy } from '@silo/aggregation';
import type { AggregateRecord } from '@silo/ledger';
import { epsilonOfRounds } from '@silo/privacy';
import { fromCanonicalBytes, layoutSize } from '@silo/tensors';
import type { SigningKey } from '@silo/signing';
import type { BlobStore } from './blob-store.js';
import { faultPoint } from './faults.js';
import { aggregateEntry, runEndedEntry } from './ledger-entries.js';
import type { Evaluator } from './evaluator.js';
import { evaluationDue, openEvaluation } from './evaluations.js';
import { sampleWorkers, type RoundJobData, type RoundScheduler, type RoundSteps } from './scheduler.js';
import { resolveCount } from './config.js';
import { streamable, streamingFedAvg } from './streaming-aggregate.js';
import { RoundCombiner, plainEncoding, type ReleasedRound, type RoundAggregate } from './round-combine.js';
import type { SecAggPhase, SecureAggregation, SecureSum } from './secagg.js';
import type { RoundPrivacy, RoundRecord, RoundSummary, RunRecord, StateStore } from './state.js';

/** Events the round engine emits in this process. */
export interface RoundEvents {
  'round-opened': [{ runId: string; round: number; sampled: string[] }];
  'round-closed': [{ runId: string; summary: RoundSummary; aggregateMs: number }];
  'round-retried': [{ runId: string; round: number; attempt: number; added: string[] }];
  'evaluation-opened': [{ runId: string; round: number; sampled: string[] }];
  'run-ended': [{ runId: string; status: string; error?: string }];
}

/** Options for {@link RoundEngine}. */
export interface RoundEngineOptions {
  state: StateStore;
  blobs: BlobStore;
  evaluator: Evaluator;
  logger: Logger;
  /** A worker counts as online when seen within this long. */
  onlineFreshMs: number;
  /** Tells workers that an instruction (train, or evaluate) waits for them. */
  notify(
    keyIds: readonly string[],
    runId: string,
    round: number,
    kind?: 'train' | 'evaluate' | 'secagg',
  ): Promise<void>;
  /** Signs aggregate records. */
  key: SigningKey;
  /** Called after a step queued ledger entries, so this process's writer picks them up at once. */
  ledgerChanged(): void;
  /** The coordinator's half of secure aggregation, for runs that ask for it. */
  secagg?: SecureAggregation | undefined;
}

/**
 * The round state machine: open (sample, issue nonces) → collect (in the gRPC service) →
 * aggregate → close and open the next. Every step reads its state from Redis and is safe to repeat.
 */
export class RoundEngine extends EventEmitter<RoundEvents> implements RoundSteps {
  readonly #o: RoundEngineOptions;
  readonly #combiner: RoundCombiner;
  #scheduler: RoundScheduler | undefined;

  constructor(options: RoundEngineOptions) {
    super();
    this.#o = options;
    this.#combiner = new RoundCombiner(options.blobs, (runId) => this.#privateRounds(runId));
  }

  /** The scheduler is created after the engine, which it calls back. */
  bind(scheduler: RoundScheduler): void {
    this.#scheduler = scheduler;
  }

  get #jobs(): RoundScheduler {
    if (this.#scheduler === undefined) throw new SiloError('ERR_INTERNAL', 'round engine is not bound');
    return this.#scheduler;
  }

  async open({ runId, round }: RoundJobData): Promise<'opened' | 'waiting' | 'skipped'> {
    const { state } = this.#o;
    const run = await state.getRun(runId);
    if (run.status !== 'running' || run.round !== round) return 'skipped';
    const existing = await state.getRound(runId, round);
    if (existing !== undefined) {
      // A repeated delivery after a crash: make sure the deadline exists and the workers know.
      await this.#jobs.schedule('deadline', { runId, round }, Math.max(0, existing.deadline - Date.now()));
      await this.#o.notify(existing.sampled, runId, round);
      return 'opened';
    }
    const online = await state.onlineWorkers(this.#o.onlineFreshMs);
    if (online.length < run.config.minWorkers) {
      this.#o.logger.info(
        { runId, round, online: online.length, need: run.config.minWorkers },
        'waiting for workers',
      );
      return 'waiting';
    }
    const sampled = sampleWorkers(
      online.map((w) => w.keyId),
      run.config,
      round,
    );
    const nonces = new Map(sampled.map((keyId) => [keyId, randomBytes(24).toString('base64url')]));
    const openedAt = Date.now();
    const deadline = openedAt + run.config.roundTimeoutMs;
    let quorum = resolveCount(run.config.minUpdates, sampled.length);
    if (run.config.secureAggregation !== undefined) {
      const threshold = await this.#openSecure(run, round, sampled, online);
      if (threshold === undefined) return 'skipped';
      // A round must not close with fewer masked inputs than unmasking needs.
      quorum = Math.max(quorum, threshold);
    }
    const privacy = roundPrivacy(run, online.length, sampled.length, quorum);
    if (privacy !== undefined && (await this.#overBudget(run, round, privacy))) return 'skipped';
    const fresh = await state.openRound(
      runId,
      round,
      {
        status: 'collecting',
        base: run.checkpoint,
        openedAt,
        deadline,
        sampled,
        quorum,
        attempt: 0,
        ...(privacy === undefined ? {} : { privacy }),
      },
      nonces,
    );
    const record = fresh ? { sampled } : await state.getRound(runId, round);
    await this.#jobs.schedule('deadline', { runId, round }, run.config.roundTimeoutMs);
    await this.#o.notify(record?.sampled ?? sampled, runId, round);
    this.#o.logger.info({ runId, round, sampled: sampled.length }, 'round opened');
    this.emit('round-opened', { runId, round, sampled });
    return 'opened';
  }

  /**
   * Fixes the secure aggregation of a round about to open; returns its threshold, or `undefined`
   * after failing the run when the round's size does not allow the run's parameters.
   */
  async #openSecure(
    run: RunRecord,
    round: number,
    sampled: readonly string[],
    online: readonly { keyId: string; numExamples: number }[],
  ): Promise<number | undefined> {
    const secagg = this.#secagg;
    const sizes = online.filter((w) => sampled.includes(w.keyId)).map((w) => w.numExamples);
    try {
      return (await secagg.open(run, round, sampled, Math.max(1, ...sizes))).threshold;
    } catch (err) {
      const error = toSiloError(err);
      if (error.code !== 'ERR_BAD_CONFIG') throw error;
      await this.failRound(run.id, round, `round ${round} cannot aggregate securely: ${error.message}`);
      return undefined;
    }
  }

  get #secagg(): SecureAggregation {
    if (this.#o.secagg === undefined)
      throw new SiloError('ERR_INTERNAL', 'this coordinator was started without secure aggregation');
    return this.#o.secagg;
  }

  /** Ends a run as failed at round `round`, with `error` in its record and the ledger. */
  async failRound(runId: string, round: number, error: string): Promise<void> {
    const ended = await this.#o.state.endRun(runId, 'failed', error, (r, at) =>
      runEndedEntry(r, 'failed', at, error),
    );
    this.#o.ledgerChanged();
    if (ended) {
      this.#o.logger.error({ runId, round }, error);
      this.emit('run-ended', { runId, status: 'failed', error });
    }
  }

  /**
   * With a privacy budget: completes the run, rather than open `round`, when releasing it would
   * take ε past `maxEpsilon`. Returns true when the run was ended here.
   */
  async #overBudget(run: RunRecord, round: number, privacy: RoundPrivacy): Promise<boolean> {
    const dp = run.config.privacy;
    if (dp?.maxEpsilon === undefined) return false;
    const spent = await this.#privateRounds(run.id);
    const next = { samplingRate: privacy.samplingRate, noiseMultiplier: dp.noiseMultiplier };
    const epsilon = epsilonOfRounds([...spent, next], dp.delta);
    if (epsilon <= dp.maxEpsilon) return false;
    const before = spent.length === 0 ? 0 : epsilonOfRounds(spent, dp.delta);
    const reason =
      `privacy budget: round ${round} would take ε from ${before.toFixed(4)} to ${epsilon.toFixed(4)} ` +
      `at δ = ${dp.delta}, past maxEpsilon ${dp.maxEpsilon}`;
    const ended = await this.#o.state.endRun(
      run.id,
      'completed',
      undefined,
      (r, at) =>
        runEndedEntry(r, 'completed', at, undefined, { round: round - 1, checkpoint: r.checkpoint, reason }),
      reason,
    );
    this.#o.ledgerChanged();
    if (ended) {
      this.#o.logger.info({ runId: run.id, round, epsilon: before }, reason);
      this.emit('run-ended', { runId: run.id, status: 'completed' });
    }
    return true;
  }

  /** The accountant's view of the rounds a run has released so far. */
  async #privateRounds(runId: string): Promise<ReleasedRound[]> {
    return (await this.#o.state.history(runId)).flatMap((summary) =>
      summary.privacy === undefined
        ? []
        : [{ samplingRate: summary.privacy.samplingRate, noiseMultiplier: summary.privacy.noiseMultiplier }],
    );
  }

  /**
   * Picks a running run up after a coordinator restart: queues again, under `tag`, whatever step
   * its current round was in, since the process that was running it may have died mid-step.
   * Every step is idempotent, so a step that also comes back from BullMQ's stalled-job check
   * does no harm.
   */
  async resume(runId: string, tag: string): Promise<void> {
    const { state } = this.#o;
    const run = await state.getRun(runId);
    if (run.status !== 'running') return;
    const data = { runId, round: run.round };
    const record = await state.getRound(runId, run.round);
    if (record === undefined) {
      await this.#jobs.schedule('open', data, 0, tag);
    } else if (record.status === 'aggregating') {
      await this.#jobs.schedule('aggregate', data, 0, tag);
    } else if (record.status === 'collecting') {
      const count = await state.countUpdates(runId, run.round);
      if (count >= record.quorum) await this.#jobs.schedule('aggregate', data, 0, tag);
      else await this.#jobs.schedule('deadline', data, Math.max(0, record.deadline - Date.now()), tag);
      await this.#o.notify(record.sampled, runId, run.round);
    }
    this.#o.logger.info({ runId, round: run.round, status: record?.status ?? 'not opened' }, 'resumed run');
  }

  /** Called by the service after a worker declined its instruction: judge the round now if nobody else is owed. */
  async onDeclined(runId: string, round: number, keyId: string): Promise<void> {
    await this.#jobs.schedule('deadline', { runId, round }, 0, `declined-${keyId.slice(0, 16)}`);
  }

  /** Called by the service after each accepted update. */
  async onAccepted(runId: string, round: number, count: number): Promise<void> {
    const record = await this.#o.state.roundHead(runId, round);
    if (record === undefined) return;
    if (count >= record.quorum) await this.#jobs.schedule('aggregate', { runId, round });
  }

  /** A step of secure aggregation reached its deadline. */
  async secagg({ runId, round, phase }: RoundJobData): Promise<void> {
    const run = await this.#o.state.getRun(runId);
    if (run.status !== 'running' || run.round !== round) return;
    await this.#secagg.stepDue(runId, round, phase as SecAggPhase | undefined);
  }

  /** Queues the step that moves secure aggregation on from `phase` after `delayMs`. */
  async scheduleSecAgg(runId: string, round: number, delayMs: number, phase: string): Promise<void> {
    await this.#jobs.schedule('secagg', { runId, round, phase }, delayMs, phase);
  }

  /** Queues the aggregate step again now, under `tag`. */
  async scheduleAggregate(runId: string, round: number, tag: string): Promise<void> {
    await this.#jobs.schedule('aggregate', { runId, round }, 0, tag);
  }

  async deadline({ runId, round }: RoundJobData): Promise<void> {
    const { state } = this.#o;
    const run = await state.getRun(runId);
    const record = await state.getRound(runId, round);
    if (run.status !== 'running' || record?.status !== 'collecting') return;
    const count = await state.countUpdates(runId, round);
    const declined = (await state.declined(runId, round)).filter((k) => record.sampled.includes(k)).length;
    // Before the deadline only when every sampled worker has answered; otherwise this is the
    // deadline job of an earlier attempt, and the retry queued one for the new deadline.
    if (Date.now() < record.deadline && count + declined < record.sampled.length) return;
    if (count >= record.quorum) {
      await this.#jobs.schedule('aggregate', { runId, round });
      return;
    }
    const { onQuorumFailure } = run.config;
    if (onQuorumFailure.action === 'retry' && record.attempt < onQuorumFailure.retries) {
      await this.#retry(run, round, record, count);
      return;
    }
    const tries = record.attempt > 0 ? ` after ${record.attempt + 1} deadlines` : '';
    const declines = declined > 0 ? ` (${declined} of the sampled workers declined)` : '';
    const error =
      Date.now() < record.deadline
        ? `round ${round} cannot reach its quorum: ${count} of ${record.quorum} required updates, every sampled worker has answered${declines}`
        : `round ${round} reached its deadline with ${count} of ${record.quorum} required updates${tries}${declines}`;
    await this.failRound(runId, round, error);
  }

  /**
   * Extends a round short of its quorum: keeps what was accepted, samples online workers not yet
   * in the round to stand in for the missing ones, and gives everyone another deadline.
   */
  async #retry(run: RunRecord, round: number, record: RoundRecord, count: number): Promise<void> {
    const { state } = this.#o;
    const submitted = new Set((await state.updates(run.id, round)).map((u) => u.keyId));
    const missing = record.sampled.filter((k) => !submitted.has(k));
    const candidates = (await state.onlineWorkers(this.#o.onlineFreshMs))
      .map((w) => w.keyId)
      .filter((k) => !record.sampled.includes(k));
    const added = sampleWorkers(candidates, { ...run.config, workersPerRound: missing.length }, round);
    const nonces = new Map(added.map((keyId) => [keyId, randomBytes(24).toString('base64url')]));
    const deadline = Date.now() + run.config.roundTimeoutMs;
    const sampled = [...record.sampled, ...added];
    if (!(await state.retryRound(run.id, round, record.attempt, deadline, sampled, nonces))) return;
    const attempt = record.attempt + 1;
    await this.#jobs.schedule(
      'deadline',
      { runId: run.id, round },
      run.config.roundTimeoutMs,
      `retry-${attempt}`,
    );
    await this.#o.notify(sampled, run.id, round);
    this.#o.logger.warn(
      { runId: run.id, round, attempt, accepted: count, quorum: record.quorum, added: added.length },
      'round short of its quorum at its deadline: retrying',
    );
    this.emit('round-retried', { runId: run.id, round, attempt, added });
  }

  async aggregate({ runId, round }: RoundJobData): Promise<void> {
    const { state, blobs } = this.#o;
    const run = await state.getRun(runId);
    if (run.status !== 'running') return;
    const status = await state.beginAggregation(runId, round);
    if (status === 'closed' || status === '') {
      // A repeat after a crash: the evaluation and the next round may not have been opened.
      await this.#openEvaluation(runId, round);
      await this.#openNext(runId, round);
      return;
    }
    const started = Date.now();
    const record = await state.getRound(runId, round);
    if (record === undefined) throw new SiloError('ERR_INTERNAL', `round ${round} of ${runId} vanished`);
    const accepted = await state.updates(runId, round);
    if (accepted.length === 0)
      throw new SiloError('ERR_INTERNAL', `round ${round} of ${runId} has no updates`);
    const length = layoutSize(run.layout);
    const strategy = createStrategy(run.config.strategy);
    let secure: SecureSum | undefined;
    if (run.config.secureAggregation !== undefined) {
      // The first time: collection closes and the survivors are asked to unmask; the step comes
      // back once they have.
      const sum = await this.#secagg.sum(run, round, accepted, length);
      if (sum === 'waiting') return;
      secure = sum;
    }
    const combined: RoundAggregate =
      secure !== undefined
        ? await this.#combiner.inMemory(run, record, strategy, accepted, length, secure)
        : streamable(run.config)
          ? await streamingFedAvg(
              blobs,
              record.base,
              accepted.map((u) => ({ ...u, encoding: plainEncoding(u) })),
              run.layout,
              run.config.strategy.clipNorm,
            )
          : await this.#combiner.inMemory(run, record, strategy, accepted, length);
    const { checkpoint, totalExamples, stateIn, stateOut, privacy, weights } = combined;
    faultPoint('aggregate-stored', round);
    const rejected = (await state.rejections(runId, round)).length;
    // A worker's download is counted before it uploads, and an upload before it is accepted:
    // the traffic of every update aggregated here is in.
    const bytes = await state.roundBytes(runId, round);
    const mean = (name: string): number =>
      accepted.reduce((sum, u) => sum + (u.metrics[name] ?? 0) * u.numExamples, 0) / totalExamples;
    const summary: RoundSummary = {
      round,
      base: record.base,
      checkpoint,
      numUpdates: accepted.length,
      totalExamples,
      contributors: accepted.map((u) => u.keyId),
      rejected,
      trainLoss: mean('loss'),
      trainAccuracy: mean('accuracy'),
      bytesIn: bytes.in,
      bytesOut: bytes.out,
      ...(privacy === undefined
        ? {}
        : {
            privacy: {
              samplingRate: privacy.samplingRate,
              noiseMultiplier: privacy.noiseMultiplier,
              epsilon: privacy.epsilon,
            },
          }),
      durationMs: 0,
      closedAt: 0,
    };
    if (run.config.evaluation !== undefined) {
      const global = weights ?? fromCanonicalBytes(await blobs.get(checkpoint), length);
      const metrics = await this.#o.evaluator.evaluate(run, global);
      summary.evalLoss = metrics.loss;
      summary.evalAccuracy = metrics.accuracy;
    }
    summary.closedAt = Date.now();
    summary.durationMs = summary.closedAt - record.openedAt;
    const last = round >= run.config.rounds;
    const entries = {
      aggregate: await aggregateEntry(this.#o.key, {
        runId,
        round,
        base: record.base,
        strategy: run.config.strategy,
        updates: accepted
          .map((u) => {
            if (u.entryIndex === undefined)
              throw new SiloError(
                'ERR_INTERNAL',
                `update of ${u.keyId} in round ${round} has no ledger entry`,
              );
            return {
              index: u.entryIndex,
              keyId: u.keyId,
              updateDigest: u.updateDigest,
              numExamples: u.numExamples,
            };
          })
          .sort((a, b) => a.index - b.index),
        totalExamples,
        checkpoint,
        ...(strategy.stateful
          ? { stateIn: stateIn ?? null, ...(stateOut === undefined ? {} : { stateOut }) }
          : {}),
        ...(privacy === undefined ? {} : { privacy }),
        ...(secure === undefined ? {} : { secureAggregation: secureRecord(run, secure) }),
        closedAt: summary.closedAt,
      }),
      ...(last
        ? { ended: runEndedEntry(run, 'completed', summary.closedAt, undefined, { round, checkpoint }) }
        : {}),
    };
    const closed = await state.closeRound(runId, summary, last, entries, stateOut);
    this.#o.ledgerChanged();
    faultPoint('round-closed', round);
    if (closed) {
      this.#o.logger.info(
        {
          runId,
          round,
          updates: summary.numUpdates,
          evalAccuracy: summary.evalAccuracy,
          aggregateMs: Date.now() - started,
        },
        'round closed',
      );
      this.emit('round-closed', { runId, summary, aggregateMs: Date.now() - started });
      if (last) this.emit('run-ended', { runId, status: 'completed' });
    }
    await this.#openEvaluation(runId, round);
    await this.#openNext(runId, round);
  }

  /**
   * Sends the checkpoint round `round` produced to online workers for federated evaluation, when
   * the run asks for it after this round. Idempotent: an evaluation already open is left alone.
   */
  async #openEvaluation(runId: string, round: number): Promise<void> {
    const { state } = this.#o;
    const run = await state.getRun(runId);
    const closed = (await state.history(runId)).find((s) => s.round === round);
    if (closed === undefined || !evaluationDue(run.config, round, round >= run.config.rounds)) return;
    const online = (await state.onlineWorkers(this.#o.onlineFreshMs)).map((w) => w.keyId);
    const sampled = await openEvaluation(state, run, round, closed.checkpoint, online);
    if (sampled.length === 0) return;
    await this.#o.notify(sampled, runId, round, 'evaluate');
    this.#o.logger.info({ runId, round, sampled: sampled.length }, 'federated evaluation opened');
    this.emit('evaluation-opened', { runId, round, sampled });
  }

  async #openNext(runId: string, round: number): Promise<void> {
    const run = await this.#o.state.getRun(runId);
    if (run.status === 'running' && run.round === round + 1)
      await this.#jobs.schedule('open', { runId, round: round + 1 });
  }
}

/** What the aggregate record says of a securely aggregated round. */
function secureRecord(run: RunRecord, secure: SecureSum): NonNullable<AggregateRecord['secureAggregation']> {
  const sa = run.config.secureAggregation;
  if (sa === undefined) throw new SiloError('ERR_INTERNAL', `run ${run.id} has no secure aggregation`);
  return {
    threshold: secure.threshold,
    neighbours: secure.neighbours,
    cohort: secure.cohort,
    clipRange: sa.clipRange,
    quantizationBits: sa.quantizationBits,
    survivors: secure.survivors,
    dropped: secure.dropped,
    revealed: secure.revealed,
  };
}

/** The sampling a private round is accounted with; `undefined` for a run without privacy. */
function roundPrivacy(
  run: RunRecord,
  population: number,
  sampled: number,
  quorum: number,
): RoundPrivacy | undefined {
  const dp = run.config.privacy;
  if (dp === undefined) return undefined;
  return {
    population,
    samplingRate: Math.min(1, sampled / population),
    denominator: sampled,
    ...(dp.mode === 'local' ? { shares: quorum } : {}),
  };
}
