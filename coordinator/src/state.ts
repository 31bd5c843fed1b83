import type { Redis } from 'ioredis';
import { SiloError } from '@silo/common';
import type { Layout } from '@silo/tensors';
import type { RunConfig } from './config.js';
import type {
  RunStatus,
  RoundStatus,
  RunRecord,
  RoundSummary,
  AcceptedUpdate,
  RejectedUpdate,
  RoundRecord,
  EvaluationRecord,
  EvaluationReportRecord,
  RoundPrivacy,
  OnlineWorker,
  OfflineWorker,
  ByteDirection,
} from './state-records.js';
import {
  LEDGER_APPEND,
  redisLedgerOutbox,
  withScripts,
  type LedgerOutbox,
  type ScriptRedis,
} from './state-scripts.js';

/** What the store keeps, record by record. */
export type * from './state-records.js';
export type { LedgerOutbox } from './state-scripts.js';

function parseJson<T>(text: string | null | undefined, what: string): T {
  if (text === null || text === undefined) throw new SiloError('ERR_NOT_FOUND', `${what} not found`);
  return JSON.parse(text) as T;
}

/** Splits stored presence entries into workers seen within `freshMs`, in key order, and the rest. */
function splitFresh(
  entries: readonly string[],
  freshMs: number,
): { online: OnlineWorker[]; stale: OnlineWorker[] } {
  const cutoff = Date.now() - freshMs;
  const all = entries.map((json) => JSON.parse(json) as OnlineWorker);
  return {
    online: all.filter((w) => w.lastSeen >= cutoff).sort((a, b) => (a.keyId < b.keyId ? -1 : 1)),
    stale: all.filter((w) => w.lastSeen < cutoff),
  };
}

/** Run, round and worker state in Redis: the only state a restarted coordinator needs besides blobs. */
export class StateStore {
  readonly #redis: ScriptRedis;
  readonly #p: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = withScripts(redis);
    this.#p = prefix;
  }

  #run(id: string): string {
    return `${this.#p}:run:${id}`;
  }
  #round(id: string, round: number): string {
    return `${this.#p}:round:${id}:${round}`;
  }
  /** The ledger counter and outbox keys every ledger-writing script takes last. */
  get #ledgerKeys(): [string, string] {
    return [`${this.#p}:ledger:next`, `${this.#p}:ledger:outbox`];
  }

  /** Creates a run and queues its ledger entry; returns the entry's index. */
  async createRun(run: RunRecord, entry: Uint8Array): Promise<number> {
    const fields = {
      id: run.id,
      config: JSON.stringify(run.config),
      status: run.status,
      round: String(run.round),
      checkpoint: run.checkpoint,
      layout: JSON.stringify(run.layout),
      specDigest: run.specDigest,
      createdAt: String(run.createdAt),
      updatedAt: String(run.updatedAt),
    };
    const index = await this.#redis.siloCreateRun(
      this.#run(run.id),
      `${this.#p}:runs`,
      ...this.#ledgerKeys,
      JSON.stringify(Object.entries(fields).flat()),
      String(run.createdAt),
      run.id,
      Buffer.from(entry).toString('utf8'),
    );
    if (index < 0) throw new SiloError('ERR_CONFLICT', `run ${run.id} already exists`);
    return index;
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
    if (h['reason'] !== undefined) record.reason = h['reason'];
    if (h['strategyState'] !== undefined && h['strategyState'] !== '')
      record.strategyState = h['strategyState'];
    return record;
  }

  async listRuns(): Promise<string[]> {
    return this.#redis.zrange(`${this.#p}:runs`, 0, -1);
  }

  /**
   * Ends a run that is still running and queues `entry` (its run-ended ledger entry, built by
   * `entryFor` from the run as it stands); returns false when it had already ended.
   */
  async endRun(
    id: string,
    status: Exclude<RunStatus, 'running'>,
    error: string | undefined,
    entryFor: (run: RunRecord, at: number) => Uint8Array,
    reason?: string,
  ): Promise<boolean> {
    const run = await this.getRun(id);
    if (run.status !== 'running') return false;
    const at = Date.now();
    const fields: Record<string, string> = { status, updatedAt: String(at) };
    if (error !== undefined) fields['error'] = error;
    if (reason !== undefined) fields['reason'] = reason;
    const index = await this.#redis.siloEndRun(
      this.#run(id),
      ...this.#ledgerKeys,
      JSON.stringify(Object.entries(fields).flat()),
      Buffer.from(entryFor(run, at)).toString('utf8'),
    );
    return index >= 0;
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
      quorum: String(record.quorum),
      attempt: String(record.attempt),
      ...(record.privacy === undefined ? {} : { privacy: JSON.stringify(record.privacy) }),
    });
    if (nonces.size > 0) tx.hset(`${key}:nonces`, Object.fromEntries(nonces));
    await tx.exec();
    return true;
  }

  async getRound(id: string, round: number): Promise<RoundRecord | undefined> {
    const h = await this.#redis.hgetall(this.#round(id, round));
    if (h['status'] === undefined || h['base'] === undefined) return undefined;
    const sampled = parseJson<string[]>(h['sampled'], 'round sample');
    return {
      status: h['status'] as RoundStatus,
      base: h['base'],
      openedAt: Number(h['openedAt']),
      deadline: Number(h['deadline']),
      sampled,
      quorum: h['quorum'] === undefined ? sampled.length : Number(h['quorum']),
      attempt: Number(h['attempt'] ?? 0),
      ...(h['privacy'] === undefined
        ? {}
        : { privacy: parseJson<RoundPrivacy>(h['privacy'], 'round privacy') }),
    };
  }

  /**
   * A round's status, base and quorum without its sample (a JSON list of every sampled key): what
   * each upload and download checks, read in one step however many workers the round sampled.
   */
  async roundHead(
    id: string,
    round: number,
  ): Promise<Pick<RoundRecord, 'status' | 'base' | 'quorum'> | undefined> {
    const [status, base, quorum] = await this.#redis.hmget(
      this.#round(id, round),
      'status',
      'base',
      'quorum',
    );
    if (status === null || status === undefined || base === null || base === undefined) return undefined;
    if (quorum === null || quorum === undefined) return this.getRound(id, round);
    return { status: status as RoundStatus, base, quorum: Number(quorum) };
  }

  /**
   * What a worker's instruction needs of a round: its status, base, deadline and DP sampling,
   * without its sample (whether a worker is in it is whether it has a nonce), so building one
   * instruction does not read the whole sample.
   */
  async roundBrief(
    id: string,
    round: number,
  ): Promise<Pick<RoundRecord, 'status' | 'base' | 'deadline' | 'privacy'> | undefined> {
    const [status, base, deadline, privacy] = await this.#redis.hmget(
      this.#round(id, round),
      'status',
      'base',
      'deadline',
      'privacy',
    );
    if (status === null || status === undefined || base === null || base === undefined) return undefined;
    return {
      status: status as RoundStatus,
      base,
      deadline: Number(deadline),
      ...(privacy === null || privacy === undefined
        ? {}
        : { privacy: parseJson<RoundPrivacy>(privacy, 'round privacy') }),
    };
  }

  /**
   * Gives a collecting round another deadline: `attempt` must be the current attempt (so a
   * repeated delivery of the same deadline step retries once), and `added` workers join the
   * sample with their nonces. Returns false when the round moved on meanwhile.
   */
  async retryRound(
    id: string,
    round: number,
    attempt: number,
    deadline: number,
    sampled: string[],
    nonces: Map<string, string>,
  ): Promise<boolean> {
    const key = this.#round(id, round);
    const done = await this.#redis.eval(
      "if redis.call('HGET', KEYS[1], 'status') ~= 'collecting' or redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return 0 end " +
        "redis.call('HSET', KEYS[1], 'attempt', ARGV[2], 'deadline', ARGV[3], 'sampled', ARGV[4]) " +
        "for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end " +
        'return 1',
      2,
      key,
      `${key}:nonces`,
      String(attempt),
      String(attempt + 1),
      String(deadline),
      JSON.stringify(sampled),
      ...[...nonces].flat(),
    );
    return done === 1;
  }

  async nonceFor(id: string, round: number, keyId: string): Promise<string | undefined> {
    return (await this.#redis.hget(`${this.#round(id, round)}:nonces`, keyId)) ?? undefined;
  }

  /**
   * Records an accepted update and queues its ledger `entry`, atomically with the round's status:
   * `accepted` with the count so far (the stored update, with its entry index, is `update`),
   * `duplicate` with the first record when this worker already has one, or `closed`.
   */
  async acceptUpdate(
    id: string,
    round: number,
    update: AcceptedUpdate,
    entry: Uint8Array,
  ): Promise<
    | { outcome: 'accepted'; count: number; update: AcceptedUpdate }
    | { outcome: 'duplicate'; first: AcceptedUpdate }
    | { outcome: 'closed' }
  > {
    const key = this.#round(id, round);
    const [count, json] = await this.#redis.siloAcceptUpdate(
      key,
      `${key}:updates`,
      ...this.#ledgerKeys,
      update.keyId,
      JSON.stringify({ ...update, entryIndex: undefined }),
      Buffer.from(entry).toString('utf8'),
    );
    if (count === -1) return { outcome: 'closed' };
    if (count === 0) return { outcome: 'duplicate', first: JSON.parse(json) as AcceptedUpdate };
    return { outcome: 'accepted', count, update: JSON.parse(json) as AcceptedUpdate };
  }

  async updates(id: string, round: number): Promise<AcceptedUpdate[]> {
    const all = await this.#redis.hvals(`${this.#round(id, round)}:updates`);
    return all.map((json) => JSON.parse(json) as AcceptedUpdate).sort((a, b) => (a.keyId < b.keyId ? -1 : 1));
  }

  /** The update `keyId` has in the round, if any: one field read, however many updates the round holds. */
  async updateOf(id: string, round: number, keyId: string): Promise<AcceptedUpdate | undefined> {
    const json = await this.#redis.hget(`${this.#round(id, round)}:updates`, keyId);
    return json === null ? undefined : (JSON.parse(json) as AcceptedUpdate);
  }

  async countUpdates(id: string, round: number): Promise<number> {
    return this.#redis.hlen(`${this.#round(id, round)}:updates`);
  }

  /** Records a refused update and queues its ledger entry; returns the entry's index. */
  async recordRejection(
    id: string,
    round: number,
    rejection: RejectedUpdate,
    entry: Uint8Array,
  ): Promise<number> {
    return this.#redis.siloRecordRejection(
      `${this.#round(id, round)}:rejections`,
      ...this.#ledgerKeys,
      JSON.stringify(rejection),
      Buffer.from(entry).toString('utf8'),
    );
  }

  async rejections(id: string, round: number): Promise<RejectedUpdate[]> {
    const all = await this.#redis.lrange(`${this.#round(id, round)}:rejections`, 0, -1);
    return all.map((json) => JSON.parse(json) as RejectedUpdate);
  }

  /** Moves a collecting round to aggregating; returns the status it is in afterwards. */
  async beginAggregation(id: string, round: number): Promise<RoundStatus | ''> {
    return (await this.#redis.siloBeginAggregation(this.#round(id, round))) as RoundStatus | '';
  }

  /**
   * Closes a round, advances the run and queues the round's aggregate entry (and, for the last
   * round, the run-ended entry) in one step; false when the round was already closed.
   */
  async closeRound(
    id: string,
    summary: RoundSummary,
    last: boolean,
    entries: { aggregate: Uint8Array; ended?: Uint8Array },
    strategyState?: string,
  ): Promise<boolean> {
    const done = await this.#redis.siloCloseRound(
      this.#round(id, summary.round),
      this.#run(id),
      `${this.#run(id)}:history`,
      ...this.#ledgerKeys,
      JSON.stringify(summary),
      String(last ? summary.round : summary.round + 1),
      summary.checkpoint,
      last ? 'completed' : 'running',
      String(summary.closedAt),
      Buffer.from(entries.aggregate).toString('utf8'),
      entries.ended === undefined ? '' : Buffer.from(entries.ended).toString('utf8'),
      strategyState ?? '',
    );
    return done === 1;
  }

  /**
   * Adds `count` bytes moved for round `round` of run `id`: a completed model download (`out`) or
   * what an upload delivered (`in`). One call per transfer, not per chunk.
   */
  async addRoundBytes(id: string, round: number, direction: ByteDirection, count: number): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 0)
      throw new SiloError('ERR_INTERNAL', `cannot count ${count} bytes moved for round ${round} of ${id}`);
    await this.#redis.hincrby(`${this.#round(id, round)}:bytes`, direction, count);
  }

  /** Bytes moved for a round so far, each way; 0 where nothing was counted. */
  async roundBytes(id: string, round: number): Promise<Record<ByteDirection, number>> {
    const [bytesIn, bytesOut] = await this.#redis.hmget(`${this.#round(id, round)}:bytes`, 'in', 'out');
    return { in: Number(bytesIn ?? 0), out: Number(bytesOut ?? 0) };
  }

  async markOnline(worker: OnlineWorker): Promise<void> {
    await this.#redis.hset(`${this.#p}:online`, worker.keyId, JSON.stringify(worker));
  }

  /** Ends a worker's presence, keeping the time it left as when it was last seen. */
  async markOffline(keyId: string): Promise<void> {
    await this.#redis
      .multi()
      .hdel(`${this.#p}:online`, keyId)
      .hset(`${this.#p}:last-seen`, keyId, String(Date.now()))
      .exec();
  }

  /** Workers seen within `freshMs`. */
  async onlineWorkers(freshMs: number): Promise<OnlineWorker[]> {
    return splitFresh(await this.#redis.hvals(`${this.#p}:online`), freshMs).online;
  }

  /**
   * Workers seen within `freshMs` (as {@link onlineWorkers}), and every other key ever seen with
   * when it was last seen. A worker whose coordinator process died without marking it offline
   * counts from its last ping.
   */
  async workerPresence(freshMs: number): Promise<{ online: OnlineWorker[]; offline: OfflineWorker[] }> {
    const [entries, left] = await Promise.all([
      this.#redis.hvals(`${this.#p}:online`),
      this.#redis.hgetall(`${this.#p}:last-seen`),
    ]);
    const { online, stale } = splitFresh(entries, freshMs);
    const lastSeen = new Map(Object.entries(left).map(([keyId, at]) => [keyId, Number(at)]));
    for (const worker of stale)
      lastSeen.set(worker.keyId, Math.max(worker.lastSeen, lastSeen.get(worker.keyId) ?? 0));
    for (const worker of online) lastSeen.delete(worker.keyId);
    const offline = [...lastSeen]
      .map(([keyId, at]) => ({ keyId, lastSeen: at }))
      .sort((a, b) => (a.keyId < b.keyId ? -1 : 1));
    return { online, offline };
  }

  /**
   * Stores the worker registry and queues the ledger entries of the change, atomically, if the
   * stored registry is still `previous` (as {@link loadWorkersText} returned it); false otherwise.
   */
  async saveWorkers(
    registry: unknown[],
    ledgerEntries: readonly Uint8Array[],
    previous: string | null,
  ): Promise<boolean> {
    const saved = await this.#redis.siloSaveWorkers(
      `${this.#p}:workers`,
      ...this.#ledgerKeys,
      previous ?? '',
      JSON.stringify(registry),
      ...ledgerEntries.map((e) => Buffer.from(e).toString('utf8')),
    );
    return saved === 1;
  }

  /** Stores a Join challenge for `keyId`, valid for `ttlMs`. */
  async issueChallenge(keyId: string, challenge: string, ttlMs: number): Promise<void> {
    await this.#redis.set(`${this.#p}:challenge:${keyId}:${challenge}`, '1', 'PX', ttlMs);
  }

  /** Consumes a Join challenge: true once, for a live challenge issued to `keyId`. */
  async takeChallenge(keyId: string, challenge: string): Promise<boolean> {
    return (await this.#redis.getdel(`${this.#p}:challenge:${keyId}:${challenge}`)) !== null;
  }

  /**
   * Records a worker's decline of its instruction for a round and queues the ledger entry;
   * false when that worker had already declined the round (the first decline stands).
   */
  async recordDecline(id: string, round: number, keyId: string, entry: Uint8Array): Promise<boolean> {
    const index = await this.#redis.eval(
      `${LEDGER_APPEND}
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return -1 end
return ledger_append(KEYS[2], KEYS[3], ARGV[2])`,
      3,
      `${this.#round(id, round)}:declined`,
      ...this.#ledgerKeys,
      keyId,
      Buffer.from(entry).toString('utf8'),
    );
    return Number(index) >= 0;
  }

  /** Workers that declined a round. */
  async declined(id: string, round: number): Promise<string[]> {
    return this.#redis.smembers(`${this.#round(id, round)}:declined`);
  }

  /**
   * Opens the federated evaluation of the checkpoint round `round` produced: the sampled workers
   * and their single-use nonces. Idempotent: an evaluation already open keeps its sample.
   */
  async openEvaluation(
    id: string,
    round: number,
    record: EvaluationRecord,
    nonces: Map<string, string>,
  ): Promise<boolean> {
    const key = this.#evaluation(id, round);
    const opened = await this.#redis.eval(
      "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end " +
        "redis.call('HSET', KEYS[1], 'checkpoint', ARGV[1], 'openedAt', ARGV[2], 'deadline', ARGV[3], 'sampled', ARGV[4]) " +
        "for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end " +
        'return 1',
      2,
      key,
      `${key}:nonces`,
      record.checkpoint,
      String(record.openedAt),
      String(record.deadline),
      JSON.stringify(record.sampled),
      ...[...nonces].flat(),
    );
    return Number(opened) === 1;
  }

  async getEvaluation(id: string, round: number): Promise<EvaluationRecord | undefined> {
    const h = await this.#redis.hgetall(this.#evaluation(id, round));
    if (h['checkpoint'] === undefined) return undefined;
    return {
      checkpoint: h['checkpoint'],
      openedAt: Number(h['openedAt']),
      deadline: Number(h['deadline']),
      sampled: parseJson<string[]>(h['sampled'], 'evaluation sample'),
    };
  }

  async evaluationNonce(id: string, round: number, keyId: string): Promise<string | undefined> {
    return (await this.#redis.hget(`${this.#evaluation(id, round)}:nonces`, keyId)) ?? undefined;
  }

  /**
   * Records a worker's evaluation report and queues its ledger entry, in one step; false when
   * the worker had already reported on this checkpoint (the first report stands).
   */
  async recordEvaluation(
    id: string,
    round: number,
    report: EvaluationReportRecord,
    entry: Uint8Array,
  ): Promise<boolean> {
    const index = await this.#redis.eval(
      `${LEDGER_APPEND}
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return -1 end
return ledger_append(KEYS[2], KEYS[3], ARGV[3])`,
      3,
      `${this.#evaluation(id, round)}:reports`,
      ...this.#ledgerKeys,
      report.keyId,
      JSON.stringify(report),
      Buffer.from(entry).toString('utf8'),
    );
    return Number(index) >= 0;
  }

  /** The evaluation reports on the checkpoint of round `round`, in key-id order. */
  async evaluationReports(id: string, round: number): Promise<EvaluationReportRecord[]> {
    const h = await this.#redis.hgetall(`${this.#evaluation(id, round)}:reports`);
    return Object.keys(h)
      .sort()
      .map((keyId) => parseJson<EvaluationReportRecord>(h[keyId], 'evaluation report'));
  }

  #evaluation(id: string, round: number): string {
    return `${this.#run(id)}:eval:${round}`;
  }

  /** The ledger outbox of this prefix. */
  get outbox(): LedgerOutbox {
    const [nextKey, outboxKey] = this.#ledgerKeys;
    return redisLedgerOutbox(this.#redis, nextKey, outboxKey);
  }

  async loadWorkers(): Promise<unknown[]> {
    const json = await this.loadWorkersText();
    return json === null ? [] : (JSON.parse(json) as unknown[]);
  }

  /** The stored registry exactly as stored, for a compare-and-set with {@link saveWorkers}. */
  async loadWorkersText(): Promise<string | null> {
    return this.#redis.get(`${this.#p}:workers`);
  }
}
