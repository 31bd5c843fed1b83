import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { SiloError, type Logger } from '@silo/common';
import { LedgerStore, decodeEntry, leafHash, type StoredCheckpoint } from '@silo/ledger';
import type { CoordinatorKey } from './coordinator-key.js';
import type { LedgerOutbox } from './state.js';

/** What {@link LedgerWriter.receipt} returns: everything a worker needs to prove its update was logged. */
export interface LedgerReceiptData {
  index: number;
  entry: Uint8Array;
  checkpoint: StoredCheckpoint;
  proof: Uint8Array[];
}

/** Options of {@link LedgerWriter.open}. */
export interface LedgerWriterOptions {
  /** The ledger directory. */
  dir: string;
  outbox: LedgerOutbox;
  key: CoordinatorKey;
  /** Checkpoint origin line; the ledger's name. */
  origin: string;
  logger: Logger;
  /** How often to look for entries queued by other coordinator processes. Default 1 s. */
  pollMs?: number;
}

/** Events of a {@link LedgerWriter}. */
export interface LedgerWriterEvents {
  checkpoint: [StoredCheckpoint];
  /** Draining failed (for example while Redis is unreachable); it is retried on the next poll. */
  'drain-failed': [SiloError];
}

const BATCH = 256;

/**
 * Moves ledger entries from the Redis outbox (where state changes queue them atomically) to the
 * on-disk {@link LedgerStore}, in index order, and signs a checkpoint whenever a round's aggregate
 * or a run's end has been written. Exactly one writer per Redis prefix holds the ledger: see
 * {@link LedgerLease}.
 *
 * Crash safety: an entry is trimmed from the outbox only after it is fsynced. On open, entries
 * still queued below the store's size must hash to what the store holds (a crash between fsync
 * and trim) and are trimmed; anything else that does not line up is refused as corruption.
 */
export class LedgerWriter extends EventEmitter<LedgerWriterEvents> {
  readonly store: LedgerStore;
  readonly #o: LedgerWriterOptions;
  #queue: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(store: LedgerStore, options: LedgerWriterOptions) {
    super();
    this.store = store;
    this.#o = options;
  }

  /**
   * Opens the store (cutting a torn tail), reconciles it with the outbox, writes whatever is
   * queued and starts polling.
   *
   * @throws SiloError `ERR_LEDGER_CORRUPT` when the disk log and the outbox disagree.
   */
  static async open(options: LedgerWriterOptions): Promise<LedgerWriter> {
    const store = await LedgerStore.open(options.dir, {
      onTruncate: (event) =>
        options.logger.warn({ ...event }, 'ledger: cut a torn record left by a crash mid-append'),
    });
    const writer = new LedgerWriter(store, options);
    try {
      await writer.#reconcile();
      await writer.drain();
    } catch (err) {
      await store.close();
      throw err;
    }
    writer.#timer = setInterval(() => writer.kick(), options.pollMs ?? 1000);
    writer.#timer.unref();
    return writer;
  }

  get origin(): string {
    return this.#o.origin;
  }

  get verifierKey(): string {
    return this.#o.key.verifierKey;
  }

  async #reconcile(): Promise<void> {
    const { outbox, logger } = this.#o;
    const size = this.store.size;
    let next = await outbox.next();
    if (size > next) {
      logger.warn({ size, next }, 'ledger: Redis lost the entry counter; continuing from the log on disk');
      next = await outbox.raiseNext(size);
    }
    const lowest = await outbox.lowest();
    if (lowest !== undefined && lowest < size) {
      // Written and fsynced before a crash, but not yet trimmed: they must be the same entries.
      for (let from = lowest; from < size; from += BATCH) {
        const batch = await outbox.read(from, Math.min(BATCH, size - from));
        for (const { index, entry } of batch) {
          if (!Buffer.from(leafHash(Buffer.from(entry, 'utf8'))).equals(this.store.leafHash(index))) {
            throw new SiloError(
              'ERR_LEDGER_CORRUPT',
              `ledger entry ${index} on disk differs from the one queued in Redis`,
            );
          }
        }
      }
      await outbox.trim(lowest, size);
    }
    const pending = (await outbox.lowest()) ?? next;
    if (next > size && pending !== size) {
      throw new SiloError(
        'ERR_LEDGER_CORRUPT',
        `the ledger in ${this.store.dir} holds ${size} entries but Redis has handed out ${next} ` +
          `and still queues entries from ${pending} on: entries ${size}..${pending - 1} are lost. ` +
          'Restore the ledger directory this coordinator wrote, or use a new Redis prefix.',
      );
    }
  }

  /** Schedules a drain; errors are reported through the `error` event. */
  kick(): void {
    if (this.#closed) return;
    this.drain().catch((err: unknown) => {
      const error = err instanceof SiloError ? err : new SiloError('ERR_INTERNAL', String(err));
      this.#o.logger.error({ err: error }, 'ledger: writing queued entries failed; retrying');
      this.emit('drain-failed', error);
    });
  }

  /** Writes every queued entry, then checkpoints if a round or run ended. Serialised. */
  drain(): Promise<void> {
    const run = this.#queue.then(() => this.#drainOnce());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #drainOnce(): Promise<void> {
    const { outbox } = this.#o;
    const start = this.store.size;
    let checkpointDue = false;
    for (;;) {
      const batch = await outbox.read(this.store.size, BATCH);
      if (batch.length === 0) break;
      for (const { index, entry } of batch) {
        const bytes = Buffer.from(entry, 'utf8');
        const type = decodeEntry(bytes, index).type;
        const appended = await this.store.append(bytes);
        if (appended.index !== index) {
          throw new SiloError('ERR_LEDGER_CORRUPT', `entry ${index} was written at index ${appended.index}`);
        }
        if (type === 'aggregate' || type === 'run-ended') checkpointDue = true;
      }
    }
    if (this.store.size === start) return;
    if (checkpointDue) await this.#checkpoint();
    else await this.store.sync();
    await outbox.trim(start, this.store.size);
  }

  async #checkpoint(): Promise<void> {
    const latest = this.store.checkpoints().at(-1);
    if (latest !== undefined && latest.size >= this.store.size) return;
    await this.store.checkpoint(this.#o.origin, this.#o.key.note);
    const stored = this.store.checkpoints().at(-1);
    if (stored === undefined) throw new SiloError('ERR_INTERNAL', 'checkpoint was not stored');
    this.#o.logger.info({ size: stored.size }, 'ledger checkpoint signed');
    this.emit('checkpoint', stored);
  }

  /**
   * The inclusion proof of update entry `index` to the latest checkpoint, for the worker that
   * knows the entry's update digest.
   *
   * @throws SiloError `ERR_NOT_FOUND` when no such update entry exists or no checkpoint covers it yet.
   */
  async receipt(index: number, updateDigest: string): Promise<LedgerReceiptData> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.store.size) {
      throw new SiloError('ERR_NOT_FOUND', `no ledger entry ${index} yet`);
    }
    // Checked first, from memory: workers ask again and again until the round's checkpoint is
    // signed, and each early ask would otherwise read the entry from disk.
    const checkpoint = this.store.checkpoints().at(-1);
    if (checkpoint === undefined || checkpoint.size <= index) {
      throw new SiloError('ERR_NOT_FOUND', `ledger entry ${index} is not covered by a signed checkpoint yet`);
    }
    const entry = await this.store.entry(index);
    const decoded = decodeEntry(entry, index);
    if (decoded.type !== 'update' || decoded.updateDigest !== updateDigest) {
      throw new SiloError('ERR_NOT_FOUND', `ledger entry ${index} is not an update with that digest`);
    }
    return { index, entry, checkpoint, proof: this.store.inclusionProof(index, checkpoint.size) };
  }

  /** Writes what is queued, signs a final checkpoint over anything unsigned, and closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    try {
      await this.drain();
      await (this.#queue = this.#queue.then(() => this.#checkpoint()));
    } finally {
      this.#closed = true;
      await this.store.close();
    }
  }
}

/**
 * One ledger writer per Redis prefix: a lease in Redis naming the host, ledger directory and
 * process. It is renewed while held; a process on the same host with the same directory takes
 * over at once when the holder's process is gone (a restart after a crash), anyone else when
 * the lease expires.
 */
export class LedgerLease {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #identity: string;
  readonly #host = hostname();
  readonly #dir: string;
  readonly #ttlMs: number;

  constructor(redis: Redis, prefix: string, dir: string, ttlMs = 15_000) {
    this.#redis = redis;
    this.#key = `${prefix}:ledger:writer`;
    this.#dir = resolve(dir);
    this.#identity = JSON.stringify({
      host: this.#host,
      dir: this.#dir,
      pid: process.pid,
      instance: randomBytes(6).toString('hex'),
    });
    this.#ttlMs = ttlMs;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Takes or renews the lease; false when another live writer holds it. */
  async acquire(): Promise<boolean> {
    const script =
      "local v = redis.call('GET', KEYS[1]); " +
      "if v == false or v == ARGV[1] or v == ARGV[3] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 1 end; " +
      'return v';
    const holder = await this.#redis.eval(script, 1, this.#key, this.#identity, String(this.#ttlMs), '');
    if (holder === 1) return true;
    if (typeof holder !== 'string' || !this.#holderIsGone(holder)) return false;
    const taken = await this.#redis.eval(script, 1, this.#key, this.#identity, String(this.#ttlMs), holder);
    return taken === 1;
  }

  /** Gives the lease up if this process holds it. */
  async release(): Promise<void> {
    await this.#redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      this.#key,
      this.#identity,
    );
  }

  #holderIsGone(holder: string): boolean {
    let parsed: { host?: unknown; dir?: unknown; pid?: unknown };
    try {
      parsed = JSON.parse(holder) as typeof parsed;
    } catch {
      return false;
    }
    if (parsed.host !== this.#host || parsed.dir !== this.#dir || typeof parsed.pid !== 'number')
      return false;
    if (parsed.pid === process.pid) return false;
    try {
      process.kill(parsed.pid, 0);
      return false;
    } catch (err) {
      return (err as { code?: unknown }).code === 'ESRCH';
    }
  }
}
