import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger } from '@silo/audit';
import type { SiloError } from '@silo/common';
import { Coordinator } from '@silo/coordinator';
import { loadMnist, subset, type Dataset } from '@silo/data';
import { type LedgerStore, decodeEntry, formatVerifierKey, parseVerifierKey } from '@silo/ledger';
import { initBackend } from '@silo/model';
import { fromServiceError } from '@silo/protocol';
import { generateKeyPair, loadPublicJwk, type SigningKey } from '@silo/signing';
import { Trainer, Worker, type Policy } from '@silo/worker';
import {
  cleanRedis,
  coordinatorConfig,
  makeKey,
  nextEvent,
  quietLogger,
  tempDir,
  uniquePrefix,
} from './helpers.js';
import { ManualWorker } from './manual-worker.js';

const RUN = {
  name: 'identity',
  model: 'mlp',
  rounds: 1,
  minWorkers: 1,
  train: { epochs: 1, batchSize: 50, learningRate: 0.05 },
};

/** One coordinator, and worker keys enrolled in it. */
class Deployment {
  readonly prefix = uniquePrefix();
  coordinator!: Coordinator;
  dir = '';
  cleanup: () => Promise<void> = () => Promise.resolve();
  readonly workers: Worker[] = [];
  readonly clients: ManualWorker[] = [];

  async start(): Promise<void> {
    ({ dir: this.dir, cleanup: this.cleanup } = await tempDir());
    this.coordinator = await Coordinator.start({
      config: coordinatorConfig({
        insecure: true,
        prefix: this.prefix,
        dataDir: join(this.dir, 'coordinator'),
        apiToken: 'identity-token-0123456789',
        ledgerName: 'silo-identity',
        pingIntervalMs: 1_000,
      }),
      logger: quietLogger,
    });
  }

  async enrolledKey(name: string): Promise<SigningKey> {
    const { key, publicPath } = await makeKey(this.dir, name);
    await this.coordinator.enroll(await loadPublicJwk(publicPath), name, 'test');
    return key;
  }

  worker(key: SigningKey, data: Dataset, options: { pinned?: string; policy?: Policy } = {}): Worker {
    const worker = new Worker({
      coordinator: this.coordinator.grpcAddress,
      credentials: grpc.credentials.createInsecure(),
      name: 'w',
      key,
      trainer: new Trainer(data),
      backend: 'test',
      logger: quietLogger,
      initialDelayMs: 50,
      maxDelayMs: 500,
      coordinatorKey: parseVerifierKey(options.pinned ?? this.coordinator.key.verifierKey),
      policy: options.policy,
    });
    this.workers.push(worker);
    return worker;
  }

  manual(key: SigningKey): ManualWorker {
    const client = new ManualWorker(this.coordinator.grpcAddress, key);
    this.clients.push(client);
    return client;
  }

  async ledgerTypes(): Promise<string[]> {
    await this.coordinator.ledger.drain();
    const store: LedgerStore = this.coordinator.ledger.store;
    const types: string[] = [];
    for (let i = 0; i < store.size; i++) types.push(decodeEntry(await store.entry(i), i).type);
    return types;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.coordinator?.close();
    await cleanRedis(this.prefix);
    await this.cleanup();
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return fromServiceError(err).code;
  }
}

/** Opens a Join stream and resolves with how it ended: 'joined' on its first message, or the error code. */
function joinOutcome(client: ManualWorker, challenge?: string): Promise<string> {
  return new Promise((resolve) => {
    client.join(challenge).then(
      () => {
        const stream = client.stream;
        stream?.once('data', () => resolve('joined'));
        stream?.once('error', (err) => resolve(fromServiceError(err).code));
      },
      (err: unknown) => resolve(fromServiceError(err).code),
    );
  });
}

describe('worker identity: challenges, signed instructions, revocation and the owner policy', () => {
  let data: Dataset;
  let deployment: Deployment | undefined;

  beforeAll(async () => {
    await initBackend();
    const { train } = loadMnist({ trainSize: 200, testSize: 10, seed: 4 });
    data = subset(
      train,
      Int32Array.from({ length: 200 }, (_, i) => i),
    );
  });

  afterEach(async () => {
    await deployment?.stop();
    deployment = undefined;
  });

  it('accepts a Join only over a fresh challenge issued to that key, once', async () => {
    deployment = new Deployment();
    await deployment.start();
    const a = await deployment.enrolledKey('a');
    const b = await deployment.enrolledKey('b');
    const first = deployment.manual(a);
    const challenge = await first.challenge();
    expect(await joinOutcome(first, challenge)).toBe('joined');
    // The same challenge again: a captured proof cannot be replayed.
    expect(await joinOutcome(deployment.manual(a), challenge)).toBe('ERR_UNAUTHENTICATED');
    // A challenge issued to a is no good for b.
    expect(await joinOutcome(deployment.manual(b), await deployment.manual(a).challenge())).toBe(
      'ERR_UNAUTHENTICATED',
    );
    expect(await joinOutcome(deployment.manual(b), 'made-up')).toBe('ERR_UNAUTHENTICATED');
    // No challenge is handed to a key that is not enrolled.
    const stranger = await generateKeyPair();
    const asStranger = deployment.manual({ keyId: stranger.keyId } as SigningKey);
    expect(await codeOf(asStranger.challenge())).toBe('ERR_UNKNOWN_KEY');
  });

  it('trains on instructions signed by the pinned key, and on nothing else', async () => {
    deployment = new Deployment();
    await deployment.start();
    const key = await deployment.enrolledKey('a');
    const other = await generateKeyPair();
    const wrongPin = formatVerifierKey('silo-identity', Buffer.from(other.publicJwk.x, 'base64url'));
    const fooled = deployment.worker(key, data, { pinned: wrongPin });
    const refused = nextEvent<SiloError>(fooled, 'instruction-refused');
    fooled.start();
    await deployment.coordinator.createRun({ ...RUN, roundTimeoutMs: 60_000 });
    // Signed by a key other than the pinned one: the worker does not know that key.
    expect((await refused).code).toBe('ERR_UNKNOWN_KEY');
    await fooled.stop();

    const honest = deployment.worker(key, data);
    const submitted = nextEvent(honest, 'submitted');
    const ended = nextEvent<{ status: string }>(deployment.coordinator, 'run-ended');
    honest.start();
    await submitted;
    expect((await ended).status).toBe('completed');
  });

  it('declines what the owner policy forbids, tells the coordinator, and the ledger shows it', async () => {
    deployment = new Deployment();
    await deployment.start();
    const key = await deployment.enrolledKey('a');
    const worker = deployment.worker(key, data, { policy: { maxParams: 1000 } });
    const declined = nextEvent<{ code: string; reason: string }>(worker, 'declined');
    const ended = nextEvent<{ status: string; error?: string }>(deployment.coordinator, 'run-ended');
    worker.start();
    await deployment.coordinator.createRun({ ...RUN, roundTimeoutMs: 600_000 });
    expect(await declined).toMatchObject({
      code: 'ERR_POLICY',
      reason: expect.stringMatching(/parameters/) as unknown,
    });
    // Every sampled worker has answered, so the round is judged at once, not after 10 minutes.
    const outcome = await ended;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/1 of the sampled workers declined/);
    expect(await deployment.ledgerTypes()).toContain('declined');
    const audit = await auditLedger(deployment.coordinator.ledgerDir, {
      coordinatorKey: deployment.coordinator.key.verifierKey,
      workers: [key.publicJwk],
    });
    expect(audit.problems).toEqual([]);
    expect(audit.checks.find((c) => c.name === 'declines')).toMatchObject({ passed: 1, problems: 0 });
  });

  it("refuses a revoked key's new updates and challenges, while its earlier entries still verify", async () => {
    deployment = new Deployment();
    await deployment.start();
    const key = await deployment.enrolledKey('a');
    const worker = deployment.worker(key, data);
    const ended = nextEvent<{ status: string }>(deployment.coordinator, 'run-ended');
    worker.start();
    await deployment.coordinator.createRun(RUN);
    expect((await ended).status).toBe('completed');
    await worker.stop();

    await deployment.coordinator.revoke(key.keyId);
    expect(await codeOf(deployment.manual(key).challenge())).toBe('ERR_UNKNOWN_KEY');
    const types = await deployment.ledgerTypes();
    expect(types).toContain('key-revoked');
    const audit = await auditLedger(deployment.coordinator.ledgerDir, {
      coordinatorKey: deployment.coordinator.key.verifierKey,
      workers: [key.publicJwk],
    });
    expect(audit.problems).toEqual([]);
    expect(audit.checks.find((c) => c.name === 'update-signatures')).toMatchObject({
      passed: 1,
      problems: 0,
    });
  });
});
