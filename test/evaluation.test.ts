import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { auditLedger } from '@silo/audit';
import { Coordinator, mintControlToken } from '@silo/coordinator';
import { holdOut, loadMnist, partition, subset, type Dataset } from '@silo/data';
import { decodeEntry } from '@silo/ledger';
import { buildModel, evaluate, initBackend, parseModelSpec, setFlatWeights } from '@silo/model';
import {
  EVALUATION_TYP,
  createFederationClient,
  fromServiceError,
  type EvaluationClaims,
} from '@silo/protocol';
import type { SigningKey } from '@silo/signing';
import { fromCanonicalBytes, layoutSize, type Layout } from '@silo/tensors';
import { Trainer, Worker, type LocalTraining } from '@silo/worker';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cleanRedis,
  coordinatorConfig,
  makeKey,
  nextEvent,
  quietLogger,
  tempDir,
  uniquePrefix,
} from './helpers.js';

const NAMES = ['a', 'b', 'c'] as const;

/** A trainer that remembers the FedProx μ of every round it trains. */
class RecordingTrainer extends Trainer {
  readonly mus: (number | undefined)[] = [];

  override train(base: Float32Array, layout: Layout, options: LocalTraining) {
    this.mus.push(options.proximalMu);
    return super.train(base, layout, options);
  }
}

describe('federated evaluation and FedProx in a run', () => {
  const prefix = uniquePrefix();
  let cleanupDir: () => Promise<void>;
  let coordinator: Coordinator;
  const workers: Worker[] = [];
  const trainers: RecordingTrainer[] = [];
  const keys: SigningKey[] = [];
  const heldOut: (Dataset | undefined)[] = [];

  beforeAll(async () => {
    await initBackend();
    const { dir, cleanup } = await tempDir();
    cleanupDir = cleanup;
    const made = await Promise.all(NAMES.map((name) => makeKey(dir, name)));
    keys.push(...made.map((m) => m.key));
    const config = coordinatorConfig({
      prefix,
      dataDir: dir,
      insecure: true,
      apiToken: 'evaluation-token-0123456789',
      ledgerName: 'silo-evaluation',
      workers: NAMES.map((name, i) => ({ name, org: 'test', publicKeyFile: made[i]!.publicPath })),
    });
    coordinator = await Coordinator.start({ config, logger: quietLogger });
    const { train } = loadMnist({ trainSize: 450, testSize: 100, seed: 3 });
    const parts = partition(train, 3, { kind: 'iid' }, 3);
    for (const [i, name] of NAMES.entries()) {
      // a and b hold a fifth of their digits out; c holds none out, so it cannot evaluate.
      const split = holdOut(subset(train, parts[i]!), name === 'c' ? 0 : 0.2, 11);
      heldOut.push(split.heldOut);
      const trainer = new RecordingTrainer(split.train, split.heldOut);
      trainers.push(trainer);
      workers.push(
        new Worker({
          coordinator: coordinator.grpcAddress,
          credentials: grpc.credentials.createInsecure(),
          name,
          key: keys[i]!,
          trainer,
          backend: 'test',
          logger: quietLogger,
          initialDelayMs: 50,
          maxDelayMs: 500,
        }),
      );
    }
    const joined = Promise.all(workers.map((w) => nextEvent(w, 'joined')));
    for (const w of workers) w.start();
    await joined;
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanupDir?.();
  });

  let runId = '';

  it('sends each new checkpoint to the workers, who report signed metrics from their held-out data', async () => {
    const reports: EvaluationClaims[] = [];
    const fourReports = new Promise<void>((resolve) => {
      coordinator.on('evaluation-reported', (claims) => {
        reports.push(claims);
        if (reports.length === 4) resolve();
      });
    });
    const run = await coordinator.createRun({
      model: 'mlp',
      rounds: 2,
      minWorkers: 3,
      strategy: { name: 'fedprox', mu: 0.5 },
      train: { epochs: 1, batchSize: 20, learningRate: 0.05 },
      federatedEvaluation: { every: 1 },
    });
    runId = run.id;
    await fourReports;
    const view = await coordinator.runView(runId);
    expect(view.status).toBe('completed');
    // FedProx's μ reached every worker's local training, every round.
    expect(trainers.map((t) => t.mus)).toEqual([
      [0.5, 0.5],
      [0.5, 0.5],
      [0.5, 0.5],
    ]);

    // Each round moved three training downloads and three float32 updates; the evaluation
    // downloads of its checkpoint come after it closed and are not its traffic.
    const modelBytes = layoutSize(run.layout) * 4;
    expect(view.history.map((s) => [s.bytesOut, s.bytesIn])).toEqual([
      [NAMES.length * modelBytes, NAMES.length * modelBytes],
      [NAMES.length * modelBytes, NAMES.length * modelBytes],
    ]);

    const model = buildModel(parseModelSpec('mlp'), 0);
    try {
      for (const summary of view.history) {
        const evaluation = summary.federatedEvaluation!;
        expect(evaluation.workers).toBe(2);
        expect(evaluation.perWorker.map((w) => w.keyId)).toEqual([keys[0]!.keyId, keys[1]!.keyId].sort());
        // What each worker reported is what its held-out digits give on that round's checkpoint.
        const weights = fromCanonicalBytes(
          await readFile(join(coordinator.ledgerDir, 'blobs', summary.checkpoint)),
        );
        setFlatWeights(model, weights);
        for (const reported of evaluation.perWorker) {
          const own = heldOut[keys.findIndex((k) => k.keyId === reported.keyId)]!;
          const local = evaluate(model, own);
          expect(reported.numExamples).toBe(own.size);
          expect(reported.accuracy).toBeCloseTo(local.accuracy, 10);
          expect(reported.loss).toBeCloseTo(local.loss, 6);
        }
        const total = evaluation.perWorker.reduce((s, w) => s + w.numExamples, 0);
        const mean = evaluation.perWorker.reduce((s, w) => s + w.accuracy * w.numExamples, 0) / total;
        expect(evaluation.numExamples).toBe(total);
        expect(evaluation.accuracy).toBeCloseTo(mean, 12);
        expect(evaluation.minAccuracy).toBe(Math.min(...evaluation.perWorker.map((w) => w.accuracy)));
      }
    } finally {
      model.dispose();
    }

    await coordinator.ledger.drain();
    const store = coordinator.ledger.store;
    let evaluations = 0;
    for (let i = 0; i < store.size; i++)
      if (decodeEntry(await store.entry(i), i).type === 'evaluation') evaluations++;
    expect(evaluations).toBe(4);
    const report = await auditLedger(coordinator.ledgerDir, {
      coordinatorKey: coordinator.key.verifierKey,
      workers: keys.map((k) => k.publicJwk),
    });
    expect(report.problems).toEqual([]);
    expect(report.checks.find((c) => c.name === 'evaluations')?.passed).toBe(4);
  });

  it('serves Prometheus metrics to a monitor token, and only to it and admins', async () => {
    const mint = async (role: 'monitor' | 'model-team'): Promise<string> =>
      (
        await mintControlToken(coordinator.key.signing, {
          issuer: 'silo-evaluation',
          role,
          subject: `test-${role}`,
          ttlMs: 60_000,
        })
      ).token;
    const scrape = (token: string) =>
      fetch(`${coordinator.httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect((await scrape(await mint('model-team'))).status).toBe(403);
    const response = await scrape(await mint('monitor'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    const value = (line: RegExp): number => Number(line.exec(text)?.[1]);
    // Two rounds of three workers: six updates in, six model downloads and four evaluation
    // downloads out, four reports, and all three workers connected.
    expect(value(/^silo_updates_total\{outcome="accepted",code=""\} (\d+)$/m)).toBe(6);
    expect(value(/^silo_rounds_total\{status="completed"\} (\d+)$/m)).toBe(2);
    expect(value(/^silo_evaluation_reports_total (\d+)$/m)).toBe(4);
    expect(value(/^silo_round_duration_seconds_count (\d+)$/m)).toBe(2);
    expect(value(/^silo_aggregation_duration_seconds_count (\d+)$/m)).toBe(2);
    expect(value(/^silo_connected_workers (\d+)$/m)).toBe(3);
    const paramBytes = 199_210 * 4;
    expect(value(/^silo_federation_bytes_total\{direction="in"\} (\d+)$/m)).toBe(6 * paramBytes);
    expect(value(/^silo_federation_bytes_total\{direction="out"\} (\d+)$/m)).toBe(10 * paramBytes);
  });

  it('refuses a report with a nonce it never issued, for another checkpoint, or from an unsampled key', async () => {
    const client = createFederationClient(coordinator.grpcAddress, grpc.credentials.createInsecure());
    const send = async (key: SigningKey, claims: Partial<EvaluationClaims>): Promise<string> => {
      const report = await key.sign(EVALUATION_TYP, claims);
      return new Promise((resolve) =>
        client.reportEvaluation({ report }, { deadline: Date.now() + 10_000 }, (err) =>
          resolve(err === null ? 'accepted' : fromServiceError(err).code),
        ),
      );
    };
    const record = await coordinator.state.getEvaluation(runId, 2);
    const nonce = await coordinator.state.evaluationNonce(runId, 2, keys[0]!.keyId);
    const claims: EvaluationClaims = {
      runId,
      round: 2,
      checkpoint: record!.checkpoint,
      nonce: nonce!,
      keyId: keys[0]!.keyId,
      numExamples: 10,
      loss: 0.5,
      accuracy: 0.9,
      issuedAt: Date.now(),
    };
    try {
      expect(await send(keys[0]!, { ...claims, nonce: 'made-up' })).toBe('ERR_BAD_NONCE');
      expect(await send(keys[0]!, { ...claims, checkpoint: 'f'.repeat(64) })).toBe('ERR_BASE_MISMATCH');
      expect(await send(keys[0]!, { ...claims, accuracy: 1.5 })).toBe('ERR_BAD_INPUT');
      // c was sampled too, but its nonce is not a's: signing a's claims with c's key fails.
      expect(await send(keys[2]!, claims)).toBe('ERR_BAD_INPUT');
      // A second report from a stands as the first: accepted as a repeat, not recorded again.
      expect(await send(keys[0]!, claims)).toBe('accepted');
      const reports = await coordinator.state.evaluationReports(runId, 2);
      expect(reports.find((r) => r.keyId === keys[0]!.keyId)?.accuracy).not.toBe(0.9);
    } finally {
      client.close();
    }
  });
});
