import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SiloError } from '@silo/common';
import { LedgerStore, encodeEntry, type StoredCheckpoint, type VerifierKey } from '@silo/ledger';
import {
  federationService,
  toServiceError,
  type FetchModelRequest,
  type IInstruction,
  type ILedgerReceipt,
  type IModelChunk,
  type IReceipt,
  type JoinRequest,
  type ReceiptRequest,
  type UpdatePart,
} from '@silo/protocol';
import type { FlattenedJws } from '@silo/signing';
import { sha256Hex, toCanonicalBytes } from '@silo/tensors';
import { EgressLog, readEgressLog } from './egress-log.js';
import { FIXTURE_ORIGIN, noteKey, workerKey, type FixtureNoteKey } from './ledger.fixture.js';
import { pendingReceipts } from './receipt-fetcher.js';
import type { Trainer } from './trainer.js';
import { updateWireSize } from './transfer.js';
import { Worker, type WorkerEvents } from './worker.js';

// A worker against a small honest coordinator on loopback gRPC: it sends one train instruction,
// serves the model, refuses the first upload as UNAVAILABLE, logs the second in a real ledger,
// and serves receipts once a checkpoint covers the entry.

const quiet = pino({ level: 'silent' });
const RUN = 'run-1';
const base = toCanonicalBytes(new Float32Array([1, 2, 3, 4]));

interface MiniCoordinator {
  address: string;
  received: FlattenedJws[];
  close: () => void;
}

const trainInstruction = (round: number): IInstruction => ({
  train: {
    runId: RUN,
    round,
    baseDigest: sha256Hex(base),
    nonce: `nonce-${round}`,
    deadlineUnixMs: Date.now() + 600_000,
    modelSpecJson: '"mlp"',
    hyperparameters: { epochs: 1, batchSize: 1, learningRate: 0.1, seed: 1 },
  },
});

/**
 * @param nextRound - once round 1's update is accepted, send round 2's instruction on the Join
 *   stream, as a coordinator does once the round has closed.
 */
async function miniCoordinator(
  store: LedgerStore,
  signer: FixtureNoteKey['signer'],
  nextRound = false,
): Promise<MiniCoordinator> {
  const received: FlattenedJws[] = [];
  let uploads = 0;
  let checkpoint: StoredCheckpoint | undefined;
  let joined: grpc.ServerWritableStream<JoinRequest, IInstruction> | undefined;
  const server = new grpc.Server();
  server.addService(federationService, {
    getChallenge: (
      _call: unknown,
      callback: grpc.sendUnaryData<{ challenge: string; expiresUnixMs: number }>,
    ) => {
      callback(null, { challenge: 'test-challenge', expiresUnixMs: Date.now() + 30_000 });
    },
    join: (call: grpc.ServerWritableStream<JoinRequest, IInstruction>) => {
      joined = call;
      call.write(trainInstruction(1));
    },
    fetchModel: (call: grpc.ServerWritableStream<FetchModelRequest, IModelChunk>) => {
      call.write({
        header: { digest: sha256Hex(base), totalBytes: base.length, layout: [{ name: 'w', shape: [4] }] },
      });
      call.write({ data: base });
      call.end();
    },
    submitUpdate: (
      call: grpc.ServerReadableStream<UpdatePart, IReceipt>,
      callback: grpc.sendUnaryData<IReceipt>,
    ) => {
      let manifest: FlattenedJws | undefined;
      call.on('data', (part: UpdatePart) => {
        if (part.manifest !== null && part.manifest !== undefined) manifest = part.manifest as FlattenedJws;
      });
      call.on('end', () => {
        if (manifest === undefined)
          return callback(toServiceError(new SiloError('ERR_STREAM', 'no manifest')));
        if (++uploads === 1) return callback(toServiceError(new SiloError('ERR_UNAVAILABLE', 'try again')));
        received.push(manifest);
        const claims = JSON.parse(Buffer.from(manifest.payload, 'base64url').toString('utf8')) as {
          keyId: string;
          round: number;
          updateDigest: string;
          numExamples: number;
          nonce: string;
        };
        const entry = encodeEntry({
          type: 'update',
          runId: RUN,
          round: claims.round,
          keyId: claims.keyId,
          manifest,
          updateDigest: claims.updateDigest,
          numExamples: claims.numExamples,
          nonce: claims.nonce,
          acceptedAt: Date.now(),
        });
        store.append(entry).then(
          ({ index }) => {
            callback(null, {
              runId: RUN,
              round: claims.round,
              keyId: claims.keyId,
              updateDigest: claims.updateDigest,
              acceptedUnixMs: Date.now(),
              acceptedInRound: 1,
              entryIndex: index,
            });
            if (nextRound && claims.round === 1) joined?.write(trainInstruction(2));
          },
          (err: unknown) => callback(toServiceError(err)),
        );
      });
    },
    getReceipt: (
      call: grpc.ServerUnaryCall<ReceiptRequest, ILedgerReceipt>,
      callback: grpc.sendUnaryData<ILedgerReceipt>,
    ) => {
      const index = Number(call.request.entryIndex);
      if (checkpoint === undefined) {
        // The round "closes" now: the next request finds a checkpoint.
        store.checkpoint(FIXTURE_ORIGIN, signer).then(
          () => {
            checkpoint = store.checkpoints().at(-1);
            callback(toServiceError(new SiloError('ERR_NOT_FOUND', 'no checkpoint covers the entry yet')));
          },
          (err: unknown) => callback(toServiceError(err)),
        );
        return;
      }
      const { note, size } = checkpoint;
      store.entry(index).then(
        (entry) =>
          callback(null, {
            entryIndex: index,
            entry,
            checkpoint: note,
            treeSize: size,
            proof: store.inclusionProof(index, size),
          }),
        (err: unknown) => callback(toServiceError(err)),
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err === null ? resolve(p) : reject(err),
    ),
  );
  return { address: `127.0.0.1:${port}`, received, close: () => server.forceShutdown() };
}

let dir: string;
let store: LedgerStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'silo-worker-records-'));
  store = await LedgerStore.open(join(dir, 'ledger'));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A worker whose training always returns the same delta, logging to `log`. */
async function recordingWorker(
  address: string,
  log: EgressLog,
  ledgerKey: VerifierKey,
  receiptMaxDelayMs: number,
): Promise<Worker> {
  const trainer = {
    numExamples: 10,
    train: () =>
      Promise.resolve({
        delta: new Float32Array([0.5, 0.5, 0.5, 0.5]),
        result: { loss: 0.25, accuracy: 0.75, numExamples: 10, steps: 10 },
      }),
    dispose: () => undefined,
  } as unknown as Trainer;
  return new Worker({
    coordinator: address,
    credentials: grpc.credentials.createInsecure(),
    name: 'w',
    key: await workerKey(),
    trainer,
    backend: 'test',
    logger: quiet,
    initialDelayMs: 10,
    maxDelayMs: 50,
    records: { log, ledgerKey, receiptInitialDelayMs: 10, receiptMaxDelayMs },
  });
}

describe('a worker with records', () => {
  it('logs what it sends before sending it, and verifies the receipt of its accepted update', async () => {
    const coordinator = noteKey();
    const mini = await miniCoordinator(store, coordinator.signer);
    const log = await EgressLog.open(join(dir, 'egress.log'));
    const worker = await recordingWorker(mini.address, log, coordinator.verifierKey, 20);
    const submitted = new Promise<WorkerEvents['submitted'][0]>((resolve) =>
      worker.once('submitted', resolve),
    );
    const receipt = new Promise<WorkerEvents['receipt'][0]>((resolve) => worker.once('receipt', resolve));
    worker.start();
    try {
      const { receipt: accepted } = await submitted;
      expect(await receipt).toMatchObject({
        runId: RUN,
        round: 1,
        entryIndex: accepted.entryIndex,
        treeSize: 1,
        signature: 'verified',
      });
    } finally {
      await worker.stop();
      mini.close();
    }

    const { records, problems } = await readEgressLog(log.path);
    expect(problems).toEqual([]);
    const kinds = records.map((r) => r.kind).filter((k) => k !== 'receipt-request');
    expect(kinds).toEqual([
      'challenge-request',
      'join',
      'fetch-model',
      'update',
      'update-failed',
      'update',
      'accepted',
      'receipt',
    ]);
    expect(records.filter((r) => r.kind === 'receipt-request')).toHaveLength(2);
    const updates = records.filter((r) => r.kind === 'update');
    const sent = mini.received[0] as FlattenedJws;
    expect(updates.map((u) => [u.attempt, u.manifest])).toEqual([
      [0, sent],
      [1, sent],
    ]);
    const delta = toCanonicalBytes(new Float32Array([0.5, 0.5, 0.5, 0.5]));
    expect(updates[0]).toMatchObject({
      runId: RUN,
      round: 1,
      updateDigest: sha256Hex(delta),
      updateBytes: delta.length,
      chunks: 1,
      bytes: updateWireSize(sent, delta).bytes,
      metrics: { loss: 0.25, accuracy: 0.75 },
      numExamples: 10,
    });
    expect(records.find((r) => r.kind === 'update-failed')).toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(records.find((r) => r.kind === 'accepted')).toMatchObject({ entryIndex: 0, duplicate: false });
    expect(records.find((r) => r.kind === 'receipt')).toMatchObject({ status: 'verified', treeSize: 1 });
    expect(pendingReceipts(records)).toEqual([]);
  });

  it('asks for the receipt of a round once an instruction of the next round shows it has closed', async () => {
    const coordinator = noteKey();
    const mini = await miniCoordinator(store, coordinator.signer, true);
    const log = await EgressLog.open(join(dir, 'egress.log'));
    // Without word of the next round, the first request would wait for the round's deadline, ten
    // minutes away, or receiptMaxDelayMs, as long.
    const worker = await recordingWorker(mini.address, log, coordinator.verifierKey, 600_000);
    const receipt = new Promise<WorkerEvents['receipt'][0]>((resolve) => worker.once('receipt', resolve));
    worker.start();
    try {
      expect(await receipt).toMatchObject({ runId: RUN, round: 1, signature: 'verified' });
    } finally {
      await worker.stop();
      mini.close();
    }
    const { records, problems } = await readEgressLog(log.path);
    expect(problems).toEqual([]);
    const round1 = records.filter((r) => 'round' in r && r.round === 1).map((r) => r.kind);
    expect(round1.slice(round1.indexOf('accepted'))).toEqual([
      'accepted',
      'receipt-request',
      'receipt-request',
      'receipt',
    ]);
  });
});
