import { createHash } from 'node:crypto';
import { DelayedError, Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '@silo/common';
import { resolveCount, type RunConfig } from './config.js';

/** The steps of a round, each a BullMQ job with a deterministic id so a repeated delivery does no harm. */
export type RoundStep = 'open' | 'aggregate' | 'deadline' | 'secagg';

/** Data of every round job. */
export interface RoundJobData {
  runId: string;
  round: number;
  /** For a `secagg` step: the phase of secure aggregation whose deadline it is. */
  phase?: string;
}

/** What the scheduler calls to do each step; the coordinator provides it. */
export interface RoundSteps {
  open(data: RoundJobData): Promise<'opened' | 'waiting' | 'skipped'>;
  aggregate(data: RoundJobData): Promise<void>;
  deadline(data: RoundJobData): Promise<void>;
  secagg(data: RoundJobData): Promise<void>;
}

/** Options for {@link RoundScheduler}. */
export interface RoundSchedulerOptions {
  connection: ConnectionOptions;
  prefix: string;
  steps: RoundSteps;
  logger: Logger;
  /** How long to wait before checking again for enough online workers. Default 500 ms. */
  waitForWorkersMs?: number;
}

const QUEUE_NAME = 'rounds';

/** BullMQ forbids ':' in custom ids; run ids are restricted to characters that keep these unique. */
function jobId(step: RoundStep, { runId, round }: RoundJobData): string {
  return `${runId}.${round}.${step}`;
}

/** Queues and runs round steps on Redis, so a restarted coordinator picks up where it stopped. */
export class RoundScheduler {
  readonly #queue: Queue<RoundJobData>;
  readonly #worker: Worker<RoundJobData>;
  readonly #options: RoundSchedulerOptions;

  constructor(options: RoundSchedulerOptions) {
    this.#options = options;
    const common = { connection: options.connection, prefix: `${options.prefix}:bull` };
    this.#queue = new Queue<RoundJobData>(QUEUE_NAME, common);
    this.#worker = new Worker<RoundJobData>(QUEUE_NAME, (job, token) => this.#process(job, token), {
      ...common,
      concurrency: 4,
      autorun: false,
    });
    this.#worker.on('failed', (job, err) => {
      options.logger.error({ job: job?.id, err }, 'round job failed');
    });
    this.#worker.on('error', (err) => {
      options.logger.error({ err }, 'round scheduler error');
    });
  }

  /** Starts processing jobs. */
  start(): void {
    void this.#worker.run().catch((err: unknown) => this.#options.logger.error({ err }, 'scheduler stopped'));
  }

  /**
   * Queues a step. Its job id is deterministic, so scheduling a step twice queues it once; `tag`
   * makes a distinct id, for a restart that must run a step again now rather than wait for
   * BullMQ to notice that the dead process's job stalled.
   */
  async schedule(step: RoundStep, data: RoundJobData, delayMs = 0, tag?: string): Promise<void> {
    await this.#queue.add(step, data, {
      jobId: tag === undefined ? jobId(step, data) : `${jobId(step, data)}.${tag}`,
      delay: delayMs,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
  }

  async #process(job: Job<RoundJobData>, token: string | undefined): Promise<void> {
    const steps = this.#options.steps;
    switch (job.name as RoundStep) {
      case 'open': {
        const outcome = await steps.open(job.data);
        if (outcome === 'waiting') {
          // Not enough workers online yet: come back later without using up an attempt.
          await job.moveToDelayed(Date.now() + (this.#options.waitForWorkersMs ?? 500), token);
          throw new DelayedError();
        }
        return;
      }
      case 'aggregate':
        return steps.aggregate(job.data);
      case 'deadline':
        return steps.deadline(job.data);
      case 'secagg':
        return steps.secagg(job.data);
      default:
        throw new Error(`unknown round step ${job.name}`);
    }
  }

  async close(): Promise<void> {
    await this.#worker.close();
    await this.#queue.close();
  }
}

/**
 * Picks the workers of a round: a deterministic order from (seed, round, key id), so a replayed
 * open step samples the same workers.
 */
export function sampleWorkers(keyIds: readonly string[], config: RunConfig, round: number): string[] {
  const rank = (keyId: string): string =>
    createHash('sha256').update(`${config.seed}|${round}|${keyId}`).digest('hex');
  const ordered = [...keyIds].sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
  return ordered.slice(0, resolveCount(config.workersPerRound, ordered.length)).sort();
}
