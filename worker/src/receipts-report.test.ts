import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerStore, signCheckpoint } from '@silo/ledger';
import type { SigningKey } from '@silo/signing';
import { EgressLog } from './egress-log.js';
import { receiptRecordFields } from './egress-records.js';
import { FIXTURE_ORIGIN, noteKey, signedUpdate, workerKey, type FixtureNoteKey } from './ledger.fixture.js';
import type { LedgerReceiptData, SentUpdate } from './receipt-verify.js';
import { verifyReceipts } from './receipts-report.js';
import { egressLogPath, ensureStateDir } from './state-dir.js';

const withCode = (code: string): unknown => expect.objectContaining({ code });

let dir: string;
let stateDir: string;
let store: LedgerStore;
let log: EgressLog;
let key: SigningKey;
let coordinator: FixtureNoteKey;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'silo-report-'));
  stateDir = join(dir, 'state');
  await ensureStateDir(stateDir);
  store = await LedgerStore.open(join(dir, 'ledger'));
  log = await EgressLog.open(egressLogPath(stateDir));
  key = await workerKey();
  coordinator = noteKey();
});
afterEach(async () => {
  await log.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Appends one of our updates to the ledger and returns what the worker would remember. */
async function ledgered(round = 1): Promise<SentUpdate> {
  const u = await signedUpdate(key, round);
  const { index } = await store.append(u.entry);
  return { runId: u.runId, round, entryIndex: index, updateDigest: u.updateDigest, manifest: u.jws };
}

/** An update the worker sent that never reached this ledger. */
async function unledgered(round = 1): Promise<SentUpdate> {
  const u = await signedUpdate(key, round);
  return { runId: u.runId, round, entryIndex: 999, updateDigest: u.updateDigest, manifest: u.jws };
}

async function receiptOf(
  sent: SentUpdate,
  checkpoint: string,
  size = store.size,
): Promise<LedgerReceiptData> {
  return {
    entryIndex: sent.entryIndex,
    entry: await store.entry(sent.entryIndex),
    checkpoint,
    treeSize: size,
    proof: store.inclusionProof(sent.entryIndex, size),
  };
}

async function logSent(sent: SentUpdate): Promise<void> {
  const { runId, round, updateDigest, manifest } = sent;
  await log.append({
    kind: 'update',
    bytes: 2_000,
    runId,
    round,
    manifest,
    updateDigest,
    updateBytes: 1024,
    chunks: 1,
    metrics: { loss: 0.5 },
    numExamples: 10,
    attempt: 0,
  });
}

async function logAccepted(sent: SentUpdate): Promise<void> {
  const { runId, round, updateDigest, entryIndex } = sent;
  await log.append({
    kind: 'accepted',
    bytes: 0,
    runId,
    round,
    entryIndex,
    updateDigest,
    duplicate: false,
    acceptedAt: 1,
  });
}

async function logReceipt(
  sent: SentUpdate,
  receipt: LedgerReceiptData,
  status: 'verified' | 'failed',
): Promise<void> {
  const { runId, round, updateDigest, entryIndex } = sent;
  await log.append({
    kind: 'receipt',
    bytes: 0,
    runId,
    round,
    entryIndex,
    updateDigest,
    status,
    ...receiptRecordFields(receipt),
  });
}

const checkpointNow = (): Promise<string> => store.checkpoint(FIXTURE_ORIGIN, coordinator.signer);

describe('verifyReceipts', () => {
  it('passes when every update has a verified receipt', async () => {
    const a = await ledgered();
    const b = await ledgered();
    const checkpoint = await checkpointNow();
    for (const sent of [a, b]) {
      await logSent(sent);
      await logAccepted(sent);
      await logReceipt(sent, await receiptOf(sent, checkpoint), 'verified');
    }
    const report = await verifyReceipts(stateDir, { coordinatorKey: coordinator.verifierKeyText });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.updates.map((u) => [u.entryIndex, u.status, u.treeSize])).toEqual([
      [0, 'verified', 2],
      [1, 'verified', 2],
    ]);
    expect(report.checkpoints).toEqual([{ treeSize: 2, root: Buffer.from(store.root()).toString('hex') }]);
    expect(report.egress).toEqual({ records: 6, problems: [] });
  });

  it('names every update without a verified receipt, with run, round and entry index', async () => {
    const good = await ledgered();
    const pending = await ledgered();
    const missing = await ledgered();
    const forged = await ledgered();
    const checkpoint = await checkpointNow();

    await logSent(good);
    await logAccepted(good);
    await logReceipt(good, await receiptOf(good, checkpoint), 'verified');
    await logSent(pending);
    await logAccepted(pending);
    await logSent(missing);
    await logAccepted(missing);
    const { runId, round, entryIndex, updateDigest } = missing;
    await log.append({
      kind: 'receipt-missing',
      bytes: 0,
      runId,
      round,
      entryIndex,
      updateDigest,
      waitedMs: 1_800_000,
      attempts: 40,
    });
    // The coordinator answered for `forged` with `good`'s entry bytes.
    await logSent(forged);
    await logAccepted(forged);
    await logReceipt(
      forged,
      { ...(await receiptOf(forged, checkpoint)), entry: await store.entry(good.entryIndex) },
      'failed',
    );
    const rejected = await unledgered(2);
    await logSent(rejected);
    await log.append({
      ...pick(rejected),
      kind: 'update-failed',
      bytes: 0,
      code: 'ERR_STALE_ROUND',
      message: 'late',
    });
    const lost = await unledgered(2);
    await logSent(lost);
    await log.append({
      ...pick(lost),
      kind: 'update-failed',
      bytes: 0,
      code: 'ERR_UNAVAILABLE',
      message: 'reset',
    });
    const unanswered = await unledgered(3);
    await logSent(unanswered);

    const report = await verifyReceipts(stateDir, { coordinatorKey: coordinator.verifierKeyText });
    expect(report.ok).toBe(false);
    expect(report.updates.map((u) => [u.entryIndex, u.status, u.reason])).toEqual([
      [0, 'verified', undefined],
      [1, 'no-receipt', 'pending'],
      [2, 'no-receipt', 'receipt-missing'],
      [3, 'receipt-failed', 'manifest-mismatch'],
      [undefined, 'rejected', 'ERR_STALE_ROUND'],
      [undefined, 'no-receipt', 'no-answer'],
      [undefined, 'no-receipt', 'unanswered'],
    ]);
    expect(report.problems).toHaveLength(5);
    expect(report.problems[0]).toMatch(/^run run-1 round 1 entry 1: .*may have dropped it/);
    expect(report.problems[1]).toMatch(/^run run-1 round 1 entry 2: no ledger receipt after 1800 s/);
    expect(report.problems[2]).toMatch(/^run run-1 round 1 entry 3: receipt refused \(manifest-mismatch\)/);
    expect(report.problems[3]).toMatch(/^run run-1 round 2: the upload failed in transit/);
    expect(report.problems[4]).toMatch(/^run run-1 round 3: /);
    expect(report.notes).toEqual([
      expect.stringMatching(/round 2: rejected by the coordinator with ERR_STALE_ROUND/),
    ]);
  });

  it('re-verifies stored receipts with the key given, not the verdict stored', async () => {
    const a = await ledgered();
    const checkpoint = await checkpointNow();
    await logSent(a);
    await logAccepted(a);
    await logReceipt(a, await receiptOf(a, checkpoint), 'verified');
    const other = noteKey();
    const report = await verifyReceipts(stateDir, { coordinatorKey: other.verifierKey });
    expect(report.ok).toBe(false);
    expect(report.updates[0]).toMatchObject({ status: 'receipt-failed', reason: 'bad-signature' });
    expect(report.checkpoints).toEqual([]);
  });

  it('notes that checkpoints of different sizes need a consistency proof from a mirror', async () => {
    const a = await ledgered();
    const early = await checkpointNow();
    const b = await ledgered();
    const late = await checkpointNow();
    await logSent(a);
    await logAccepted(a);
    await logReceipt(a, await receiptOf(a, early, 1), 'verified');
    await logSent(b);
    await logAccepted(b);
    await logReceipt(b, await receiptOf(b, late), 'verified');
    const report = await verifyReceipts(stateDir, { coordinatorKey: coordinator.verifierKeyText });
    expect(report.ok).toBe(true);
    expect(report.checkpoints.map((c) => c.treeSize)).toEqual([1, 2]);
    expect(report.notes).toEqual([expect.stringMatching(/tree sizes 1, 2: .*consistency proofs/)]);
  });

  it('flags two signed checkpoints of one tree size with different roots as a split view', async () => {
    const a = await ledgered();
    const checkpoint = await checkpointNow();
    await logSent(a);
    await logAccepted(a);
    await logReceipt(a, await receiptOf(a, checkpoint), 'verified');
    // A second ledger, same coordinator key, same size, another history.
    const fork = await LedgerStore.open(join(dir, 'fork'));
    const u = await signedUpdate(key, 1);
    await fork.append(u.entry);
    const forkCheckpoint = signCheckpoint(
      { origin: FIXTURE_ORIGIN, size: 1, root: fork.root() },
      coordinator.signer,
    );
    const b: SentUpdate = {
      runId: u.runId,
      round: 1,
      entryIndex: 0,
      updateDigest: u.updateDigest,
      manifest: u.jws,
    };
    await logSent(b);
    await logAccepted(b);
    await logReceipt(
      b,
      { entryIndex: 0, entry: await fork.entry(0), checkpoint: forkCheckpoint, treeSize: 1, proof: [] },
      'verified',
    );
    await fork.close();

    const report = await verifyReceipts(stateDir, { coordinatorKey: coordinator.verifierKeyText });
    expect(report.updates.map((x) => x.status)).toEqual(['verified', 'verified']);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.stringMatching(/tree size 1 with 2 different roots.*split view/),
    ]);
  });

  it('fails on an egress log whose chain is broken', async () => {
    const a = await ledgered();
    const checkpoint = await checkpointNow();
    await logSent(a);
    await logAccepted(a);
    await logReceipt(a, await receiptOf(a, checkpoint), 'verified');
    await log.close();
    const path = egressLogPath(stateDir);
    const lines = (await readFile(path, 'utf8')).split('\n');
    await writeFile(path, [lines[0], lines[2], lines[3], ''].join('\n'));
    const report = await verifyReceipts(stateDir, { coordinatorKey: coordinator.verifierKeyText });
    expect(report.ok).toBe(false);
    expect(report.egress.problems.map((p) => p.kind)).toContain('chain-break');
    expect(report.problems[0]).toMatch(/^egress log line 1:/);
  });

  it('refuses a malformed key and a state directory without a log', async () => {
    await expect(verifyReceipts(stateDir, { coordinatorKey: 'not-a-key' })).rejects.toEqual(
      withCode('ERR_BAD_INPUT'),
    );
    await expect(
      verifyReceipts(join(dir, 'nowhere'), { coordinatorKey: coordinator.verifierKeyText }),
    ).rejects.toEqual(withCode('ERR_NOT_FOUND'));
  });
});

function pick(sent: SentUpdate): { runId: string; round: number; updateDigest: string } {
  return { runId: sent.runId, round: sent.round, updateDigest: sent.updateDigest };
}
