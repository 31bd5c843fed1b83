import type { Redis } from 'ioredis';
import { SiloError } from '@silo/common';
import type { Layout } from '@silo/tensors';
import type { RunConfig } from './config.js';

/** Lifecycle of a run. */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';
/** Lifecycle of a round: updates are accepted only while `collecting`. */
export type RoundStatus = 'collecting' | 'aggregating' | 'closed';

/** A run as stored in Redis. */
export interface RunRecord {
  id: string;
  config: RunConfig;
  status: RunStatus;
  /** The round in progress (1-based); after completion, the last round. */
  round: number;
  /** Digest of the global weights the current round starts from (the final model once completed). */
  checkpoint: string;
  layout: Layout;
  specDigest: string;
  createdAt: number;
  updatedAt: number;
  error?: string;
}

/** What one closed round produced. */
export interface RoundSummary {
  round: number;
  base: string;
  checkpoint: string;
  numUpdates: number;
  totalExamples: number;
  contributors: string[];
  rejected: number;
  trainLoss: number;
  trainAccuracy: number;
  evalLoss?: number;
  evalAccuracy?: number;
  durationMs: number;
  closedAt: number;
}

/** An update the coordinator accepted into a round. */
export interface AcceptedUpdate {
  keyId: string;
  updateDigest: string;
  numExamples: number;
  metrics: Record<string, number>;
  nonce: string;
  manifest: { protected: string; payload: string; signature: string };
  acceptedAt: number;
}

/** An update the coordinator refused, kept so operators and auditors see what was refused. */
export interface RejectedUpdate {
  /** The key the update claimed (unverified when the code is a signature or key error). */
  keyId: string;
  /** The round the update claimed; it is recorded under the round that was collecting. */
  claimedRound: number;
  code: string;
  reason: string;
  at: number;
}

/** The state of one round. */
export interface RoundRecord {
  status: RoundStatus;
  base: string;
  openedAt: number;
  deadline: number;
  sampled: string[];
}

/** A worker that currently holds a Join stream. */
export interface OnlineWorker {
  keyId: string;
  name: string;
  backend: string;
  numExamples: number;
  lastSeen: number;
}

const ACCEPT_UPDATE = `
if redis.call('HGET', KEYS[1], 'status') ~= 'collecting' then return {-1, ''} end
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return {0, existing} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {redis.call('HLEN', KEYS[2]), ARGV[2]}
`;

const BEGIN_AGGREGATION = `
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'collecting' then redis.call('HSET', KEYS[1], 'status', 'aggregating'); return 'aggregating' end
return status or ''
`;

const CLOSE_ROUND = `
if redis.call('HGET', KEYS[1], 'status') == 'closed' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'closed')
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[2], 'round', ARGV[2], 'checkpoint', ARGV[3], 'status', ARGV[4], 'updatedAt', ARGV[5])
return 1
`;

type ScriptRedis = Redis & {
  siloAcceptUpdate(round: string, updates: string, keyId: string, json: string): Promise<[number, string]>;
  siloBeginAggregation(round: string): Promise<string>;
  siloCloseRound(
    round: string,
    run: string,
    history: string,
    summary: string,
    nextRound: string,
    checkpoint: string,
    status: string,
    now: string,
  ): Promise<number>;
};

function parseJson<T>(text: string | null | undefined, what: string): T {
  if (text === null || text === undefined) throw new SiloError('ERR_NOT_FOUND', `${what} not found`);
  return JSON.parse(text) as T;
}

/** Run, round and worker state in Redis: the only state a restarted coordinator needs besides blobs. */
export class StateStore {
  readonly #redis: ScriptRedis;
  readonly #p: string;

  constructor(redis: Redis, prefix: string) {
    redis.defineCommand('siloAcceptUpdate', { numberOfKeys: 2, lua: ACCEPT_UPDATE });
    redis.defineCommand('siloBeginAggregation', { numberOfKeys: 1, lua: BEGIN_AGGREGATION });
    redis.defineCommand('siloCloseRound', { numberOfKeys: 3, lua: CLOSE_ROUND });
    this.#redis = redis as ScriptRedis;
    this.#p = prefix;
  }

  #run(id: string): string {
    return `${this.#p}:run:${id}`;
  }
  #round(id: string, round: number): string {
    return `${this.#p}:round:${id}:${round}`;
  }

  async createRun(run: RunRecord): Promise<void> {
    const created = await this.#redis
      .multi()
      .hset(this.#run(run.id), {
        id: run.id,
        config: JSON.stringify(run.config),
        status: run.status,
        round: String(run.round),
        checkpoint: run.checkpoint,
        layout: JSON.stringify(run.layout),
        specDigest: run.specDigest,
        createdAt: String(run.createdAt),
        updatedAt: String(run.updatedAt),
      })
      .zadd(`${this.#p}:runs`, run.createdAt, run.id)
      .exec();
    if (created === null) throw new SiloError('ERR_UNAVAILABLE', 'Redis transaction aborted');
  }

  async getRun(id: string): Promise<RunRecord> {
    const h = await this.#redis.hgetall(this.#run(id));
    if (h['id'] === undefined) throw new SiloError('ERR_NOT_FOUND', `run ${id} not found`);
    const record: RunRecord = {
      id,
      config: parseJson<RunConfig>(h['config'], 'run config'),
      status: h['status'] as RunStatus,
      round: Number(h['round']),
      checkpoint: h['checkpoint'] ?? '',
      layout: parseJson<Layout>(h['layout'], 'run layout'),
      specDigest: h['specDigest'] ?? '',
      createdAt: Number(h['createdAt']),
      updatedAt: Number(h['updatedAt']),
    };
    if (h['error'] !== undefined) record.error = h['error'];
    return record;
  }

  async listRuns(): Promise<string[]> {
    return this.#redis.zrange(`${this.#p}:runs`, 0, -1);
  }

  /** Ends a run that is still running; returns false when it had already ended. */
  async endRun(id: string, status: Exclude<RunStatus, 'running'>, error?: string): Promise<boolean> {
    const key = this.#run(id);
    const current = await this.#redis.hget(key, 'status');
    if (current !== 'running') return false;
    const fields: Record<string, string> = { status, updatedAt: String(Date.now()) };
    if (error !== undefined) fields['error'] = error;
    await this.#redis.hset(key, fields);
    return true;
  }

  async history(id: string): Promise<RoundSummary[]> {
    const items = await this.#redis.lrange(`${this.#run(id)}:history`, 0, -1);
    return items.map((item) => JSON.parse(item) as RoundSummary);
  }

  /** Opens a round (idempotent: an existing round keeps its nonces and sample). */
  async openRound(
    id: string,
    round: number,
    record: RoundRecord,
    nonces: Map<string, string>,
  ): Promise<boolean> {
    const key = this.#round(id, round);
    const fresh = await this.#redis.hsetnx(key, 'status', record.status);
    if (fresh === 0) return false;
    const tx = this.#redis.multi().hset(key, {
      base: record.base,
      openedAt: String(record.openedAt),
      deadline: String(record.deadline),
      sampled: JSON.stringify(record.sampled),
    });
    if (nonces.size > 0) tx.hset(`${key}:nonces`, Object.fromEntries(nonces));
    await tx.exec();
    return true;
  }

  async getRound(id: string, round: number): Promise<RoundRecord | undefined> {
    const h = await this.#redis.hgetall(this.#round(id, round));
    if (h['status'] === undefined || h['base'] === undefined) return undefined;
    return {
      status: h['status'] as RoundStatus,
      base: h['base'],
      openedAt: Number(h['openedAt']),
      deadline: Number(h['deadline']),
      sampled: parseJson<string[]>(h['sampled'], 'round sample'),
    };
  }

  async nonceFor(id: string, round: number, keyId: string): Promise<string | undefined> {
    return (await this.#redis.hget(`${this.#round(id, round)}:nonces`, keyId)) ?? undefined;
  }

  /**
   * Records an accepted update atomically with the round's status: `accepted` with the count so far,
   * `duplicate` with the first record when this worker already has one, or `closed`.
   */
  async acceptUpdate(
    id: string,
    round: number,
    update: AcceptedUpdate,
  ): Promise<
    | { outcome: 'accepted'; count: number }
    | { outcome: 'duplicate'; first: AcceptedUpdate }
    | { outcome: 'closed' }
  > {
    const key = this.#round(id, round);
    const [count, json] = await this.#redis.siloAcceptUpdate(
      key,
      `${key}:updates`,
      update.keyId,
      JSON.stringify(update),
    );
    if (count === -1) return { outcome: 'closed' };
    if (count === 0) return { outcome: 'duplicate', first: JSON.parse(json) as AcceptedUpdate };
    return { outcome: 'accepted', count };
  }

  async updates(id: string, round: number): Promise<AcceptedUpdate[]> {
    const all = await this.#redis.hvals(`${this.#round(id, round)}:updates`);
    return all.map((json) => JSON.parse(json) as AcceptedUpdate).sort((a, b) => (a.keyId < b.keyId ? -1 : 1));
  }

  async countUpdates(id: string, round: number): Promise<number> {
    return this.#redis.hlen(`${this.#round(id, round)}:updates`);
  }

  async recordRejection(id: string, round: number, rejection: RejectedUpdate): Promise<void> {
    await this.#redis.rpush(`${this.#round(id, round)}:rejections`, JSON.stringify(rejection));
  }

  async rejections(id: string, round: number): Promise<RejectedUpdate[]> {
    const all = await this.#redis.lrange(`${this.#round(id, round)}:rejections`, 0, -1);
    return all.map((json) => JSON.parse(json) as RejectedUpdate);
  }

  /** Moves a collecting round to aggregating; returns the status it is in afterwards. */
  async beginAggregation(id: string, round: number): Promise<RoundStatus | ''> {
    return (await this.#redis.siloBeginAggregation(this.#round(id, round))) as RoundStatus | '';
  }

  /** Closes a round and advances the run in one step; false when the round was already closed. */
  async closeRound(id: string, summary: RoundSummary, last: boolean): Promise<boolean> {
    const done = await this.#redis.siloCloseRound(
      this.#round(id, summary.round),
      this.#run(id),
      `${this.#run(id)}:history`,
      JSON.stringify(summary),
      String(last ? summary.round : summary.round + 1),
      summary.checkpoint,
      last ? 'completed' : 'running',
      String(Date.now()),
    );
    return done === 1;
  }

  async markOnline(worker: OnlineWorker): Promise<void> {
    await this.#redis.hset(`${this.#p}:online`, worker.keyId, JSON.stringify(worker));
  }

  async markOffline(keyId: string): Promise<void> {
    await this.#redis.hdel(`${this.#p}:online`, keyId);
  }

  /** Workers seen within `freshMs`. */
  async onlineWorkers(freshMs: number): Promise<OnlineWorker[]> {
    const all = await this.#redis.hvals(`${this.#p}:online`);
    const cutoff = Date.now() - freshMs;
    return all
      .map((json) => JSON.parse(json) as OnlineWorker)
      .filter((w) => w.lastSeen >= cutoff)
      .sort((a, b) => (a.keyId < b.keyId ? -1 : 1));
  }

  async saveWorkers(entries: unknown[]): Promise<void> {
    await this.#redis.set(`${this.#p}:workers`, JSON.stringify(entries));
  }

  async loadWorkers(): Promise<unknown[]> {
    const json = await this.#redis.get(`${this.#p}:workers`);
    return json === null ? [] : (JSON.parse(json) as unknown[]);
  }
}
