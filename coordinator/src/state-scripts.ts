import type { Redis } from 'ioredis';

// The ledger outbox: every state change an auditor must see is queued as a ledger entry in the
// same script that makes the change, under the next entry index. The ledger writer appends the
// outbox to disk in index order and deletes what is durable, so an index is never reused, never
// skipped, and no accepted update can exist in Redis without its entry. Each script takes the
// counter and the outbox as its last two keys and the entry as its last argument.
export const LEDGER_APPEND = `
local function ledger_append(next_key, outbox_key, entry)
  local index = redis.call('INCR', next_key) - 1
  redis.call('HSET', outbox_key, index, entry)
  return index
end
`;

// The update's JSON is produced by JSON.stringify of an object, so it ends with '}': the entry
// index is spliced in before it.
const ACCEPT_UPDATE = `${LEDGER_APPEND}
if redis.call('HGET', KEYS[1], 'status') ~= 'collecting' then return {-1, ''} end
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return {0, existing} end
local index = ledger_append(KEYS[3], KEYS[4], ARGV[3])
local json = string.sub(ARGV[2], 1, -2) .. ',"entryIndex":' .. index .. '}'
redis.call('HSET', KEYS[2], ARGV[1], json)
return {redis.call('HLEN', KEYS[2]), json}
`;

const RECORD_REJECTION = `${LEDGER_APPEND}
redis.call('RPUSH', KEYS[1], ARGV[1])
return ledger_append(KEYS[2], KEYS[3], ARGV[2])
`;

const CREATE_RUN = `${LEDGER_APPEND}
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[1])))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return ledger_append(KEYS[3], KEYS[4], ARGV[4])
`;

const END_RUN = `${LEDGER_APPEND}
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return -1 end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[1])))
return ledger_append(KEYS[2], KEYS[3], ARGV[2])
`;

// Compare-and-set: the registry is replaced only if it still is what the caller read (ARGV[1],
// '' for none), so two processes enrolling at once cannot overwrite each other's keys.
const SAVE_WORKERS = `${LEDGER_APPEND}
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
for i = 3, #ARGV do ledger_append(KEYS[2], KEYS[3], ARGV[i]) end
return 1
`;

const BEGIN_AGGREGATION = `
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'collecting' then redis.call('HSET', KEYS[1], 'status', 'aggregating'); return 'aggregating' end
return status or ''
`;

const CLOSE_ROUND = `${LEDGER_APPEND}
if redis.call('HGET', KEYS[1], 'status') == 'closed' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'closed')
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[2], 'round', ARGV[2], 'checkpoint', ARGV[3], 'status', ARGV[4], 'updatedAt', ARGV[5], 'strategyState', ARGV[8])
ledger_append(KEYS[4], KEYS[5], ARGV[6])
if ARGV[7] ~= '' then ledger_append(KEYS[4], KEYS[5], ARGV[7]) end
return 1
`;

/** The Redis connection with the store's scripts defined as commands. */
export type ScriptRedis = Redis & {
  siloAcceptUpdate(...args: string[]): Promise<[number, string]>;
  siloRecordRejection(...args: string[]): Promise<number>;
  siloCreateRun(...args: string[]): Promise<number>;
  siloEndRun(...args: string[]): Promise<number>;
  siloSaveWorkers(...args: string[]): Promise<number>;
  siloBeginAggregation(round: string): Promise<string>;
  siloCloseRound(...args: string[]): Promise<number>;
};

/** Ledger entries queued by state changes, by index, until the ledger writer has them on disk. */
export interface LedgerOutbox {
  /** The index the next queued entry gets (= entries ever queued). */
  next(): Promise<number>;
  /** Queued entries from `from` on, in index order, at most `limit`; stops at the first gap. */
  read(from: number, limit: number): Promise<{ index: number; entry: string }[]>;
  /** The lowest queued index, if any entry is queued. */
  lowest(): Promise<number | undefined>;
  /** Removes queued entries below `below` (they are durable on disk). */
  trim(from: number, below: number): Promise<void>;
  /** Raises the counter to at least `next` (after Redis lost state the disk log still has). */
  raiseNext(next: number): Promise<number>;
}

/** Defines the store's scripts as commands on `redis` (ioredis loads each by its SHA once). */
export function withScripts(redis: Redis): ScriptRedis {
  redis.defineCommand('siloAcceptUpdate', { numberOfKeys: 4, lua: ACCEPT_UPDATE });
  redis.defineCommand('siloRecordRejection', { numberOfKeys: 3, lua: RECORD_REJECTION });
  redis.defineCommand('siloCreateRun', { numberOfKeys: 4, lua: CREATE_RUN });
  redis.defineCommand('siloEndRun', { numberOfKeys: 3, lua: END_RUN });
  redis.defineCommand('siloSaveWorkers', { numberOfKeys: 3, lua: SAVE_WORKERS });
  redis.defineCommand('siloBeginAggregation', { numberOfKeys: 1, lua: BEGIN_AGGREGATION });
  redis.defineCommand('siloCloseRound', { numberOfKeys: 5, lua: CLOSE_ROUND });
  return redis as ScriptRedis;
}

/** The outbox under `nextKey` (the counter) and `outboxKey` (index → entry). */
export function redisLedgerOutbox(redis: Redis, nextKey: string, outboxKey: string): LedgerOutbox {
  return {
    async next() {
      return Number((await redis.get(nextKey)) ?? 0);
    },
    async read(from, limit) {
      const indices = Array.from({ length: limit }, (_, i) => String(from + i));
      const values = limit === 0 ? [] : await redis.hmget(outboxKey, ...indices);
      const out: { index: number; entry: string }[] = [];
      for (const [i, value] of values.entries()) {
        if (value === null) break;
        out.push({ index: from + i, entry: value });
      }
      return out;
    },
    async lowest() {
      const keys = await redis.hkeys(outboxKey);
      return keys.length === 0 ? undefined : Math.min(...keys.map(Number));
    },
    async trim(from, below) {
      if (below <= from) return;
      const indices = Array.from({ length: below - from }, (_, i) => String(from + i));
      for (let i = 0; i < indices.length; i += 1000)
        await redis.hdel(outboxKey, ...indices.slice(i, i + 1000));
    },
    async raiseNext(next) {
      const raised = await redis.eval(
        "local c = tonumber(redis.call('GET', KEYS[1]) or '0'); if c < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]); return tonumber(ARGV[1]) end; return c",
        1,
        nextKey,
        String(next),
      );
      return Number(raised);
    },
  };
}
