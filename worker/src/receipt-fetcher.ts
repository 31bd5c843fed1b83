import { setTimeout as sleep } from 'node:timers/promises';
import { SiloError, toSiloError, type Logger } from '@silo/common';
import {
  fromServiceError,
  pb,
  type FederationClient,
  type IReceiptRequest,
  type LedgerReceipt,
} from '@silo/protocol';
import type { FlattenedJws } from '@silo/signing';
import { backoffDelay } from './backoff.js';
import type { EgressLog } from './egress-log.js';
import { receiptRecordFields, type EgressRecord } from './egress-records.js';
import {
  verifyLedgerReceipt,
  type LedgerReceiptData,
  type ReceiptFailureReason,
  type ReceiptTrust,
  type SentUpdate,
} from './receipt-verify.js';

/** How long after acceptance the worker keeps asking for a receipt, by default. */
export const DEFAULT_RECEIPT_GIVE_UP_MS = 30 * 60_000;
/** First retry delay of a receipt request, by default; doubles up to the maximum, with full jitter. */
export const DEFAULT_RECEIPT_INITIAL_DELAY_MS = 1_000;
/** Cap of the receipt retry delay, by default. */
export const DEFAULT_RECEIPT_MAX_DELAY_MS = 60_000;
/** Deadline of one GetReceipt call. */
const RECEIPT_CALL_TIMEOUT_MS = 10_000;

/** An accepted update whose ledger receipt is owed. */
export interface PendingReceipt extends SentUpdate {
  /** Unix ms when the worker recorded the acceptance; the give-up time counts from here. */
  readonly acceptedAtMs: number;
}

/** A receipt that arrived and held up. */
export interface ReceiptEvent {
  runId: string;
  round: number;
  entryIndex: number;
  updateDigest: string;
  treeSize: number;
  /** `unverified` when no coordinator key is pinned. */
  signature: 'verified' | 'unverified';
}

/** A receipt that was refused, never came, or could not be recorded. */
export interface ReceiptFailedEvent {
  runId: string;
  round: number;
  entryIndex: number;
  updateDigest: string;
  reason: ReceiptFailureReason | 'receipt-missing' | 'records-unwritable';
  error: SiloError;
}

/** Options of {@link ReceiptFetcher}. */
export interface ReceiptFetcherOptions {
  client: FederationClient;
  log: EgressLog;
  logger: Logger;
  trust: ReceiptTrust;
  /** Default {@link DEFAULT_RECEIPT_GIVE_UP_MS}. */
  giveUpMs?: number;
  /** Default {@link DEFAULT_RECEIPT_INITIAL_DELAY_MS}. */
  initialDelayMs?: number;
  /** Default {@link DEFAULT_RECEIPT_MAX_DELAY_MS}. */
  maxDelayMs?: number;
  onReceipt: (event: ReceiptEvent) => void;
  onFailed: (event: ReceiptFailedEvent) => void;
  /** Clock; default `Date.now`. */
  now?: () => number;
}

const keyOf = (p: { entryIndex: number; updateDigest: string }): string =>
  `${p.entryIndex}/${p.updateDigest}`;

/**
 * The receipts still owed according to an egress log: each `accepted` update (with the manifest
 * its `update` record holds) that has neither a `receipt` nor a `receipt-missing` record yet.
 */
export function pendingReceipts(records: readonly EgressRecord[]): PendingReceipt[] {
  const manifests = new Map<string, FlattenedJws>();
  const accepted = new Map<string, PendingReceipt>();
  const settled = new Set<string>();
  for (const r of records) {
    if (r.kind === 'update') manifests.set(`${r.runId}/${r.round}/${r.updateDigest}`, r.manifest);
    else if (r.kind === 'receipt' || r.kind === 'receipt-missing') settled.add(keyOf(r));
    else if (r.kind === 'accepted' && !accepted.has(keyOf(r))) {
      const manifest = manifests.get(`${r.runId}/${r.round}/${r.updateDigest}`);
      if (manifest === undefined) continue;
      const { runId, round, entryIndex, updateDigest } = r;
      accepted.set(keyOf(r), { runId, round, entryIndex, updateDigest, manifest, acceptedAtMs: r.at });
    }
  }
  return [...accepted.values()].filter((p) => !settled.has(keyOf(p)));
}

/** A loop waiting for the round of its update to close. */
interface RoundWaiter {
  readonly runId: string;
  readonly round: number;
  readonly wake: () => void;
}

/**
 * Fetches owed ledger receipts in the background, one loop per accepted update: asks with
 * GetReceipt (logging each request), retries with capped exponential backoff and jitter while
 * the coordinator has no checkpoint covering the entry, verifies what arrives, and records the
 * verdict (or, after the give-up time, `receipt-missing`) in the egress log.
 *
 * The coordinator signs the checkpoint that covers an update when the update's round closes, so
 * asking while the round is open only fetches NOT_FOUND. An update just accepted therefore waits
 * for its round to close (see {@link ReceiptFetcher.roundClosed}) before the first request.
 */
export class ReceiptFetcher {
  readonly #o: ReceiptFetcherOptions;
  readonly #stopping = new AbortController();
  readonly #loops = new Map<string, Promise<void>>();
  readonly #done = new Set<string>();
  readonly #waiting = new Set<RoundWaiter>();
  /** The latest round of each run known to have closed. */
  readonly #closed = new Map<string, number>();

  constructor(options: ReceiptFetcherOptions) {
    this.#o = options;
  }

  /**
   * Starts fetching the receipt of `pending`, unless it is already being fetched or settled.
   *
   * @param roundDeadlineMs - for an update just accepted, its round's deadline (Unix ms). The
   *   first request then waits until the round is known to have closed ({@link roundClosed}), the
   *   deadline passes, or `maxDelayMs` (the longest wait between requests) has gone by, whichever
   *   comes first. Without it (a receipt resumed from the egress log) the first request goes at once.
   */
  track(pending: PendingReceipt, roundDeadlineMs?: number): void {
    const key = keyOf(pending);
    if (this.#stopping.signal.aborted || this.#loops.has(key) || this.#done.has(key)) return;
    const loop = this.#fetch(pending, roundDeadlineMs)
      .catch((err: unknown) => this.#unrecorded(pending, toSiloError(err)))
      // Only a throwing event listener gets here; it must not become an unhandled rejection.
      .catch((err: unknown) => this.#o.logger.error({ err }, 'a receipt event listener threw'))
      .finally(() => this.#loops.delete(key));
    this.#loops.set(key, loop);
  }

  /**
   * Every round of `runId` up to `round` has closed (the worker was sent an instruction of a later
   * round, or the evaluation of this one): receipts waiting for one of them to close are asked for
   * now. A checkpoint may still be signed a moment later; a request that comes too early is
   * retried with the usual backoff.
   */
  roundClosed(runId: string, round: number): void {
    if (round > (this.#closed.get(runId) ?? -1)) this.#closed.set(runId, round);
    for (const waiter of [...this.#waiting])
      if (waiter.runId === runId && waiter.round <= round) waiter.wake();
  }

  /** Receipts being fetched. */
  get pending(): number {
    return this.#loops.size;
  }

  /** Stops every loop (cancelling calls in flight and timers) and waits for them to end. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await Promise.all([...this.#loops.values()]);
  }

  async #fetch(p: PendingReceipt, roundDeadlineMs: number | undefined): Promise<void> {
    const { log, logger } = this.#o;
    const now = this.#o.now ?? Date.now;
    const signal = this.#stopping.signal;
    const giveUpAt = p.acceptedAtMs + (this.#o.giveUpMs ?? DEFAULT_RECEIPT_GIVE_UP_MS);
    const maxDelayMs = this.#o.maxDelayMs ?? DEFAULT_RECEIPT_MAX_DELAY_MS;
    if (roundDeadlineMs !== undefined)
      await this.#roundClosedOr(p, Math.min(roundDeadlineMs, now() + maxDelayMs, giveUpAt) - now());
    const request: IReceiptRequest = { entryIndex: p.entryIndex, updateDigest: p.updateDigest };
    const requestBytes = pb.ReceiptRequest.encode(request).finish().length;
    let attempts = 0;
    let lastError: SiloError | undefined;
    while (!signal.aborted) {
      if (now() >= giveUpAt) return this.#giveUp(p, attempts, now() - p.acceptedAtMs, lastError);
      const { runId, round, entryIndex, updateDigest } = p;
      await log.append({
        kind: 'receipt-request',
        bytes: requestBytes,
        runId,
        round,
        entryIndex,
        updateDigest,
      });
      attempts += 1;
      let receipt: LedgerReceipt | undefined;
      try {
        receipt = await this.#call(request, signal);
      } catch (err) {
        if (signal.aborted) return;
        const error = toSiloError(err);
        // NOT_FOUND is the expected answer until the round closes; other answers are worth a line once.
        if (error.code !== 'ERR_NOT_FOUND' && error.code !== lastError?.code)
          logger.warn({ entryIndex, code: error.code, message: error.message }, 'receipt request failed');
        lastError = error;
      }
      if (receipt !== undefined) return this.#settle(p, receipt);
      const delay = backoffDelay(
        attempts - 1,
        this.#o.initialDelayMs ?? DEFAULT_RECEIPT_INITIAL_DELAY_MS,
        maxDelayMs,
      );
      await sleep(Math.min(delay, Math.max(0, giveUpAt - now())), undefined, { signal }).catch(
        () => undefined,
      );
    }
  }

  /** Resolves when the round of `p` is known to have closed, after `waitMs`, or on stop. */
  #roundClosedOr(p: PendingReceipt, waitMs: number): Promise<void> {
    const signal = this.#stopping.signal;
    if (signal.aborted || p.round <= (this.#closed.get(p.runId) ?? -1)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiting.delete(waiter);
        resolve();
      };
      const waiter: RoundWaiter = { runId: p.runId, round: p.round, wake: done };
      const timer = setTimeout(done, Math.max(0, waitMs));
      signal.addEventListener('abort', done, { once: true });
      this.#waiting.add(waiter);
    });
  }

  #call(request: IReceiptRequest, signal: AbortSignal): Promise<LedgerReceipt> {
    return new Promise((resolve, reject) => {
      const call = this.#o.client.getReceipt(
        request,
        { deadline: Date.now() + RECEIPT_CALL_TIMEOUT_MS },
        (err, value) => {
          signal.removeEventListener('abort', cancel);
          if (err !== null) reject(fromServiceError(err));
          else if (value === undefined) reject(new SiloError('ERR_STREAM', 'coordinator sent no receipt'));
          else resolve(value);
        },
      );
      const cancel = (): void => call.cancel();
      signal.addEventListener('abort', cancel, { once: true });
      if (signal.aborted) cancel();
    });
  }

  async #settle(p: PendingReceipt, received: LedgerReceipt): Promise<void> {
    const receipt: LedgerReceiptData = {
      entryIndex: Number(received.entryIndex),
      entry: received.entry,
      checkpoint: received.checkpoint,
      treeSize: Number(received.treeSize),
      proof: received.proof,
    };
    const verdict = verifyLedgerReceipt(receipt, p, this.#o.trust);
    const { runId, round, entryIndex, updateDigest } = p;
    const fields = { bytes: 0, runId, round, entryIndex, updateDigest, ...receiptRecordFields(receipt) };
    if (verdict.ok) {
      const status = verdict.signature === 'verified' ? 'verified' : 'unverified-signature';
      await this.#o.log.append({ kind: 'receipt', status, ...fields });
      this.#done.add(keyOf(p));
      this.#o.logger.info(
        { runId, round, entryIndex, treeSize: receipt.treeSize, status },
        'ledger receipt stored',
      );
      this.#o.onReceipt({
        runId,
        round,
        entryIndex,
        updateDigest,
        treeSize: receipt.treeSize,
        signature: verdict.signature,
      });
      return;
    }
    const { reason, error } = verdict;
    await this.#o.log.append({
      kind: 'receipt',
      status: 'failed',
      reason,
      message: error.message,
      ...fields,
    });
    this.#done.add(keyOf(p));
    this.#o.logger.error(
      { runId, round, entryIndex, reason, code: error.code, message: error.message },
      'ledger receipt refused; it is kept in the egress log as evidence',
    );
    this.#o.onFailed({ runId, round, entryIndex, updateDigest, reason, error });
  }

  async #giveUp(p: PendingReceipt, attempts: number, waitedMs: number, lastError?: SiloError): Promise<void> {
    const { runId, round, entryIndex, updateDigest } = p;
    await this.#o.log.append({
      kind: 'receipt-missing',
      bytes: 0,
      runId,
      round,
      entryIndex,
      updateDigest,
      waitedMs,
      attempts,
      ...(lastError === undefined ? {} : { lastError: `${lastError.code}: ${lastError.message}` }),
    });
    this.#done.add(keyOf(p));
    const error = new SiloError(
      'ERR_TIMEOUT',
      `no ledger receipt for entry ${entryIndex} (${runId} round ${round}) after ${Math.round(waitedMs / 1000)} s` +
        ' and ' +
        `${attempts} requests: the coordinator may have dropped the update`,
      { cause: lastError },
    );
    this.#o.logger.error({ runId, round, entryIndex, attempts, code: error.code }, error.message);
    this.#o.onFailed({ runId, round, entryIndex, updateDigest, reason: 'receipt-missing', error });
  }

  /** The egress log refused a write: the receipt stays pending there and is fetched again on restart. */
  #unrecorded(p: PendingReceipt, error: SiloError): void {
    const { runId, round, entryIndex, updateDigest } = p;
    this.#o.logger.error(
      { runId, round, entryIndex, code: error.code, message: error.message },
      'cannot record a ledger receipt in the egress log',
    );
    this.#o.onFailed({ runId, round, entryIndex, updateDigest, reason: 'records-unwritable', error });
  }
}
