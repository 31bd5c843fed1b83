import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SiloError } from '@silo/common';
import {
  createFederationClient,
  federationService,
  toServiceError,
  type FederationClient,
  type ILedgerReceipt,
  type ReceiptRequest,
} from '@silo/protocol';
import { EgressLog, readEgressLog } from './egress-log.js';
import { ledgerFixture, type LedgerFixture } from './ledger.fixture.js';
import {
  ReceiptFetcher,
  pendingReceipts,
  type PendingReceipt,
  type ReceiptEvent,
  type ReceiptFailedEvent,
  type ReceiptFetcherOptions,
} from './receipt-fetcher.js';
import type { Trainer } from './trainer.js';
import { Worker, type WorkerEvents } from './worker.js';

const quiet = pino({ level: 'silent' });
type Answer = ILedgerReceipt | SiloError | 'hang';

/** A real gRPC server on loopback implementing only GetReceipt, answering from `answer`. */
async function receiptServer(answer: (call: number) => Answer): Promise<{
  address: string;
  calls: ReceiptRequest[];
  called: (n: number) => Promise<void>;
  close: () => void;
}> {
  const calls: ReceiptRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = new grpc.Server();
  server.addService(federationService, {
    getChallenge: (
      _call: unknown,
      callback: grpc.sendUnaryData<{ challenge: string; expiresUnixMs: number }>,
    ) => {
      callback(null, { challenge: 'test-challenge', expiresUnixMs: Date.now() + 30_000 });
    },
    getReceipt: (
      call: grpc.ServerUnaryCall<ReceiptRequest, ILedgerReceipt>,
      callback: grpc.sendUnaryData<ILedgerReceipt>,
    ) => {
      calls.push(call.request);
      for (const w of waiters.filter((w) => calls.length >= w.n)) w.resolve();
      const a = answer(calls.length);
      if (a === 'hang') return;
      if (a instanceof SiloError) callback(toServiceError(a));
      else callback(null, a);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err === null ? resolve(p) : reject(err),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    called: (n) =>
      calls.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    close: () => server.forceShutdown(),
  };
}

const notYet = (): SiloError => new SiloError('ERR_NOT_FOUND', 'no checkpoint covers the entry yet');

let dir: string;
let f: LedgerFixture;
let log: EgressLog;
let pending: PendingReceipt;
const cleanups: (() => Promise<void> | void)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'silo-fetch-'));
  f = await ledgerFixture(join(dir, 'ledger'));
  log = await EgressLog.open(join(dir, 'egress.log'));
  pending = { ...f.sent, acceptedAtMs: Date.now() };
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await log.close();
  await f.store.close();
  await rm(dir, { recursive: true, force: true });
});

const wire = (r: typeof f.receipt): ILedgerReceipt => ({ ...r, proof: [...r.proof] });

/** A fetcher against `address`, with its events as promises of the first of each. */
function fetcher(
  address: string,
  options: Partial<ReceiptFetcherOptions> = {},
): { fetcher: ReceiptFetcher; receipt: Promise<ReceiptEvent>; failed: Promise<ReceiptFailedEvent> } {
  const client: FederationClient = createFederationClient(address, grpc.credentials.createInsecure());
  let onReceipt!: (e: ReceiptEvent) => void;
  let onFailed!: (e: ReceiptFailedEvent) => void;
  const receipt = new Promise<ReceiptEvent>((resolve) => (onReceipt = resolve));
  const failed = new Promise<ReceiptFailedEvent>((resolve) => (onFailed = resolve));
  const instance = new ReceiptFetcher({
    client,
    log,
    logger: quiet,
    trust: { verifierKey: f.coordinator.verifierKey },
    initialDelayMs: 10,
    maxDelayMs: 20,
    onReceipt,
    onFailed,
    ...options,
  });
  cleanups.push(async () => {
    await instance.stop();
    client.close();
  });
  return { fetcher: instance, receipt, failed };
}

/** Appends a record of its own and returns the kinds of every record in the log so far. */
async function logged(): Promise<string[]> {
  await log.append({ kind: 'fetch-model', bytes: 1, runId: 'marker', round: 1, keyId: 'k' });
  return (await readEgressLog(log.path)).records.map((r) => r.kind);
}

describe('ReceiptFetcher', () => {
  it('retries while the coordinator has no checkpoint, then verifies and records the receipt', async () => {
    const server = await receiptServer((n) => (n < 3 ? notYet() : wire(f.receipt)));
    cleanups.push(server.close);
    const { fetcher: fx, receipt } = fetcher(server.address);
    fx.track(pending);
    fx.track(pending); // a duplicate acceptance does not start a second loop
    expect(await receipt).toEqual({
      runId: f.sent.runId,
      round: 1,
      entryIndex: f.sent.entryIndex,
      updateDigest: f.sent.updateDigest,
      treeSize: 5,
      signature: 'verified',
    });
    expect(server.calls).toHaveLength(3);
    expect(server.calls[0]).toMatchObject({
      entryIndex: f.sent.entryIndex,
      updateDigest: f.sent.updateDigest,
    });

    const { records, problems } = await readEgressLog(log.path);
    expect(problems).toEqual([]);
    expect(records.map((r) => r.kind)).toEqual([
      'receipt-request',
      'receipt-request',
      'receipt-request',
      'receipt',
    ]);
    expect(records[0]?.bytes).toBeGreaterThan(64);
    expect(records[3]).toMatchObject({ kind: 'receipt', status: 'verified', treeSize: 5, bytes: 0 });
    expect(pendingReceipts(records)).toEqual([]);
  });

  it('waits for the round of a just-accepted update to close before the first request', async () => {
    let closed = false;
    const server = await receiptServer(() => (closed ? wire(f.receipt) : notYet()));
    cleanups.push(server.close);
    const { fetcher: fx, receipt } = fetcher(server.address, { maxDelayMs: 600_000 });
    const { runId, round } = pending;
    fx.track(pending, Date.now() + 600_000);
    // Appends are written in call order: a request asked for at once would be logged before this.
    expect(await logged()).toEqual(['fetch-model']);
    fx.roundClosed(runId, round - 1);
    fx.roundClosed('another-run', round);
    // A loop woken by these would have logged its request by the time the second append is in.
    await logged();
    expect(await logged()).toEqual(['fetch-model', 'fetch-model', 'fetch-model']);
    expect(server.calls).toHaveLength(0);
    closed = true;
    fx.roundClosed(runId, round);
    expect(await receipt).toMatchObject({ entryIndex: f.sent.entryIndex, signature: 'verified' });
    expect(server.calls).toHaveLength(1);
    const { records } = await readEgressLog(log.path);
    expect(records.slice(3).map((r) => r.kind)).toEqual(['receipt-request', 'receipt']);
  });

  it('asks at once for an update whose round is already known to have closed', async () => {
    const server = await receiptServer(() => wire(f.receipt));
    cleanups.push(server.close);
    const { fetcher: fx, receipt } = fetcher(server.address, { maxDelayMs: 600_000 });
    fx.roundClosed(pending.runId, pending.round + 1);
    fx.track(pending, Date.now() + 600_000);
    expect(await receipt).toMatchObject({ entryIndex: f.sent.entryIndex });
    expect(server.calls).toHaveLength(1);
  });

  it('asks without hearing of the close once maxDelayMs has passed, or the round deadline', async () => {
    const server = await receiptServer(() => wire(f.receipt));
    cleanups.push(server.close);
    for (const [maxDelayMs, deadlineInMs] of [
      [150, 600_000],
      [600_000, 150],
    ] as const) {
      const { fetcher: fx, receipt } = fetcher(server.address, { maxDelayMs });
      const started = Date.now();
      fx.track(pending, started + deadlineInMs);
      await receipt;
      // Timers never fire early; a millisecond of slack for the clock's rounding.
      expect(Date.now() - started).toBeGreaterThanOrEqual(149);
    }
    expect(server.calls).toHaveLength(2);
  });

  it('stops while waiting for a round to close, leaving the receipt pending', async () => {
    const server = await receiptServer(() => wire(f.receipt));
    cleanups.push(server.close);
    const { fetcher: fx } = fetcher(server.address, { maxDelayMs: 600_000 });
    fx.track(pending, Date.now() + 600_000);
    expect(fx.pending).toBe(1);
    await fx.stop();
    expect(fx.pending).toBe(0);
    expect(server.calls).toHaveLength(0);
    expect((await readEgressLog(log.path)).records).toEqual([]);
  });

  it('stores a receipt as unverified-signature when no key is pinned', async () => {
    const server = await receiptServer(() => wire(f.receipt));
    cleanups.push(server.close);
    const { fetcher: fx, receipt } = fetcher(server.address, { trust: {} });
    fx.track(pending);
    expect(await receipt).toMatchObject({ signature: 'unverified' });
    const { records } = await readEgressLog(log.path);
    expect(records.at(-1)).toMatchObject({ kind: 'receipt', status: 'unverified-signature' });
  });

  it('records a receipt that fails verification as evidence and reports it', async () => {
    const forged = { ...f.receipt, proof: f.store.inclusionProof(0) };
    const server = await receiptServer(() => wire(forged));
    cleanups.push(server.close);
    const { fetcher: fx, failed } = fetcher(server.address);
    fx.track(pending);
    expect(await failed).toMatchObject({ reason: 'bad-proof', error: { code: 'ERR_DIGEST_MISMATCH' } });
    const { records } = await readEgressLog(log.path);
    expect(records.at(-1)).toMatchObject({ kind: 'receipt', status: 'failed', reason: 'bad-proof' });
    expect(server.calls).toHaveLength(1);
  });

  it('gives up after the give-up time and records receipt-missing', async () => {
    const server = await receiptServer(() => notYet());
    cleanups.push(server.close);
    const giveUpMs = 60_000;
    // The clock jumps past the give-up time once three requests have been answered.
    const now = (): number => pending.acceptedAtMs + (server.calls.length >= 3 ? giveUpMs : 0);
    const { fetcher: fx, failed } = fetcher(server.address, { giveUpMs, now });
    fx.track(pending);
    expect(await failed).toMatchObject({ reason: 'receipt-missing', error: { code: 'ERR_TIMEOUT' } });
    const { records } = await readEgressLog(log.path);
    expect(records.at(-1)).toMatchObject({
      kind: 'receipt-missing',
      entryIndex: f.sent.entryIndex,
      attempts: 3,
      waitedMs: giveUpMs,
      lastError: expect.stringContaining('ERR_NOT_FOUND') as unknown,
    });
    expect(pendingReceipts(records)).toEqual([]);
  });

  it('records receipt-missing at once for a resumed receipt already past its time', async () => {
    const server = await receiptServer(() => wire(f.receipt));
    cleanups.push(server.close);
    const { fetcher: fx, failed } = fetcher(server.address, { giveUpMs: 1_000 });
    fx.track({ ...pending, acceptedAtMs: Date.now() - 5_000 });
    expect(await failed).toMatchObject({ reason: 'receipt-missing' });
    expect(server.calls).toHaveLength(0);
  });

  it('stops during a long backoff without waiting it out, leaving the receipt pending', async () => {
    const server = await receiptServer(() => notYet());
    cleanups.push(server.close);
    const { fetcher: fx } = fetcher(server.address, { initialDelayMs: 600_000, maxDelayMs: 600_000 });
    fx.track(pending);
    await server.called(1);
    await fx.stop();
    expect(fx.pending).toBe(0);
    const { records } = await readEgressLog(log.path);
    expect(records.every((r) => r.kind === 'receipt-request')).toBe(true);
  });

  it('stops with a call in flight by cancelling it', async () => {
    const server = await receiptServer(() => 'hang');
    cleanups.push(server.close);
    const { fetcher: fx } = fetcher(server.address);
    fx.track(pending);
    await server.called(1);
    const started = Date.now();
    await fx.stop();
    // Without the cancel, stop would wait for the call's 10 s deadline.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fx.pending).toBe(0);
    fx.track(pending); // a stopped fetcher starts nothing
    expect(fx.pending).toBe(0);
  });
});

describe('Worker with records', () => {
  it('resumes a receipt owed by its egress log, emits it, and stops cleanly', async () => {
    await log.append({
      kind: 'update',
      bytes: 2_000,
      runId: f.sent.runId,
      round: 1,
      manifest: f.sent.manifest,
      updateDigest: f.sent.updateDigest,
      updateBytes: 1024,
      chunks: 1,
      metrics: { loss: 0.5 },
      numExamples: 10,
      attempt: 0,
    });
    await log.append({
      kind: 'accepted',
      bytes: 0,
      runId: f.sent.runId,
      round: 1,
      entryIndex: f.sent.entryIndex,
      updateDigest: f.sent.updateDigest,
      duplicate: false,
      acceptedAt: Date.now(),
    });
    await log.close();
    log = await EgressLog.open(log.path);
    expect(pendingReceipts(log.recovered.records)).toHaveLength(1);

    // The same server is the "coordinator": Join is unimplemented there, so the worker keeps
    // reconnecting while its receipt loop runs independently.
    const server = await receiptServer((n) => (n < 2 ? notYet() : wire(f.receipt)));
    cleanups.push(server.close);
    const trainer = { numExamples: 10, dispose: () => undefined } as unknown as Trainer;
    const worker = new Worker({
      coordinator: server.address,
      credentials: grpc.credentials.createInsecure(),
      name: 'w',
      key: f.key,
      trainer,
      backend: 'test',
      logger: quiet,
      initialDelayMs: 10,
      maxDelayMs: 50,
      records: {
        log,
        ledgerKey: f.coordinator.verifierKey,
        receiptInitialDelayMs: 10,
        receiptMaxDelayMs: 20,
      },
    });
    const receipt = new Promise<WorkerEvents['receipt'][0]>((resolve) => worker.once('receipt', resolve));
    const disconnected = new Promise<void>((resolve) => worker.once('disconnected', () => resolve()));
    worker.start();
    expect(await receipt).toMatchObject({ entryIndex: f.sent.entryIndex, signature: 'verified' });
    await disconnected;
    await worker.stop();
    await expect(
      log.append({ kind: 'fetch-model', bytes: 1, runId: 'r', round: 1, keyId: 'k' }),
    ).rejects.toThrow(/closed/);

    const { records, problems } = await readEgressLog(log.path);
    expect(problems).toEqual([]);
    expect(records.filter((r) => r.kind === 'receipt')).toEqual([
      expect.objectContaining({ status: 'verified', entryIndex: f.sent.entryIndex }),
    ]);
    expect(records.find((r) => r.kind === 'join')).toMatchObject({
      keyId: f.key.keyId,
      name: 'w',
      numExamples: 10,
    });
    expect(pendingReceipts(records)).toEqual([]);
  });
});
