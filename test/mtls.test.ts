import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { loadTlsFiles, type SiloError, type TlsFiles } from '@silo/common';
import { Coordinator, type CoordinatorConfig } from '@silo/coordinator';
import { loadMnist, subset } from '@silo/data';
import { initBackend } from '@silo/model';
import { createFederationClient } from '@silo/protocol';
import type { SigningKey } from '@silo/signing';
import { Trainer, Worker, federationChannelCredentials } from '@silo/worker';
import { initPki, type Pki } from '../packages/cli/src/pki.js';
import {
  REDIS_URL,
  SILO_BIN,
  cleanRedis,
  coordinatorConfig,
  coordinatorTls,
  makeKey,
  makePki,
  nextEvent,
  quietLogger,
  startCoordinatorProcess,
  tempDir,
  uniquePrefix,
  workerCredentials,
  workerTls,
} from './helpers.js';

const run = promisify(execFile);

/** The outcome of one unary call: its status code and details (code 0 when it was answered). */
interface Probe {
  code: grpc.status;
  details: string;
}

describe('the federation plane over mTLS', () => {
  const prefix = uniquePrefix();
  let dir: string;
  let cleanupDir: () => Promise<void>;
  let pki: Pki;
  /** Another deployment's PKI: its certificates must be worthless here. */
  let other: Pki;
  let key: SigningKey;
  let coordinator: Coordinator;
  let config: CoordinatorConfig;
  const stops: (() => Promise<void>)[] = [];

  /** One GetReceipt call on a fresh channel with these credentials. */
  function probe(credentials: grpc.ChannelCredentials, options: grpc.ClientOptions = {}): Promise<Probe> {
    const client = createFederationClient(coordinator.grpcAddress, credentials, options);
    return new Promise((resolve) => {
      client.getReceipt(
        { entryIndex: 0, updateDigest: '0'.repeat(64) },
        { deadline: Date.now() + 15_000 },
        (err) => {
          client.close();
          resolve(
            err === null ? { code: grpc.status.OK, details: '' } : { code: err.code, details: err.details },
          );
        },
      );
    });
  }

  /** Raw client credentials from PEM files, the way any gRPC client would build them. */
  async function sslCredentials(ca: string, identity?: { cert: string; key: string }) {
    const root = await readFile(ca);
    if (identity === undefined) return grpc.credentials.createSsl(root);
    return grpc.credentials.createSsl(root, await readFile(identity.key), await readFile(identity.cert));
  }

  /** A client with a deployment certificate still gets through the handshake to the service. */
  async function expectServing(): Promise<void> {
    const answered = await probe(await workerCredentials(pki, 'hospital-a'));
    // The service itself answered: nothing in the ledger has this digest.
    expect(answered.code).toBe(grpc.status.NOT_FOUND);
  }

  beforeAll(async () => {
    await initBackend();
    ({ dir, cleanup: cleanupDir } = await tempDir());
    const made = await makeKey(dir, 'hospital-a');
    key = made.key;
    pki = await makePki(dir, ['hospital-a', 'hospital-b']);
    other = await initPki({
      dir: join(dir, 'other'),
      coordinatorHosts: ['127.0.0.1'],
      workers: ['hospital-a'],
    });
    config = coordinatorConfig({
      tls: coordinatorTls(pki),
      prefix,
      dataDir: dir,
      apiToken: 'mtls-token-0123456789',
      ledgerName: 'silo-mtls',
      workers: [{ name: 'hospital-a', org: 'test', publicKeyFile: made.publicPath }],
    });
    coordinator = await Coordinator.start({ config, logger: quietLogger });
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanupDir?.();
  });

  it('lets a worker with a certificate from the deployment CA join and finish a run', async () => {
    const { train } = loadMnist({ trainSize: 200, testSize: 100, seed: 1 });
    const worker = new Worker({
      coordinator: coordinator.grpcAddress,
      credentials: await workerCredentials(pki, 'hospital-a'),
      name: 'hospital-a',
      key,
      trainer: new Trainer(
        subset(
          train,
          Array.from({ length: 200 }, (_, i) => i),
        ),
      ),
      backend: 'test',
      logger: quietLogger,
      initialDelayMs: 50,
      maxDelayMs: 500,
    });
    stops.push(() => worker.stop());
    const joined = nextEvent(worker, 'joined');
    worker.start();
    await joined;

    const ended = nextEvent<{ status: string }>(coordinator, 'run-ended');
    const submitted = nextEvent(worker, 'submitted');
    const created = await coordinator.createRun({
      name: 'mtls',
      model: 'mlp',
      rounds: 1,
      minWorkers: 1,
      train: { epochs: 1, batchSize: 50, learningRate: 0.05 },
      evaluation: { dataset: 'mnist-test', size: 100, seed: 1, trainSize: 200 },
    });
    await submitted;
    expect((await ended).status).toBe('completed');
    const view = await coordinator.runView(created.id);
    expect(view.history.map((r) => [r.round, r.numUpdates])).toEqual([[1, 1]]);
  });

  it('refuses a certificate issued to another worker than the one the key is enrolled as', async () => {
    const { train } = loadMnist({ trainSize: 50, testSize: 10, seed: 1 });
    const worker = new Worker({
      coordinator: coordinator.grpcAddress,
      credentials: await workerCredentials(pki, 'hospital-b'),
      name: 'hospital-a',
      key,
      trainer: new Trainer(
        subset(
          train,
          Array.from({ length: 50 }, (_, i) => i),
        ),
      ),
      backend: 'test',
      logger: quietLogger,
      initialDelayMs: 50,
      maxDelayMs: 500,
    });
    stops.push(() => worker.stop());
    const disconnected = nextEvent<SiloError>(worker, 'disconnected');
    worker.start();
    const error = await disconnected;
    expect(error.code).toBe('ERR_UNAUTHENTICATED');
    expect(error.message).toMatch(/issued to 'hospital-b', but key .* is enrolled as 'hospital-a'/);
    await worker.stop();
  });

  it('refuses a client that presents no certificate, and keeps serving', async () => {
    const refused = await probe(await sslCredentials(pki.ca));
    expect(refused.code).toBe(grpc.status.UNAVAILABLE);
    expect(refused.details).toMatch(/certificate required/);
    const plain = await probe(grpc.credentials.createInsecure());
    expect(plain.code).toBe(grpc.status.UNAVAILABLE);
    await expectServing();
  });

  it("refuses a client whose certificate comes from another deployment's CA", async () => {
    const refused = await probe(await sslCredentials(pki.ca, workerTls(other, 'hospital-a')));
    expect(refused.code).toBe(grpc.status.UNAVAILABLE);
    await expectServing();
  });

  it('makes a worker refuse a coordinator whose certificate is not from the pinned CA', async () => {
    // The worker's own certificate is valid here; it is the worker that will not go on.
    const untrusting = await federationChannelCredentials(
      { tls: { ...workerTls(pki, 'hospital-a'), ca: other.ca } },
      quietLogger,
    );
    const refused = await probe(untrusting);
    expect(refused.code).toBe(grpc.status.UNAVAILABLE);
    expect(refused.details).toMatch(/certificate/);
    await expectServing();
  });

  it('makes a worker refuse a coordinator addressed by a name its certificate does not carry', async () => {
    const credentials = await workerCredentials(pki, 'hospital-a');
    // Checking the certificate for another name is what dialling the coordinator by that name does.
    const refused = await probe(credentials, { 'grpc.ssl_target_name_override': 'coordinator.example.org' });
    expect(refused.code).toBe(grpc.status.UNAVAILABLE);
    expect(refused.details).toMatch(/coordinator\.example\.org/);
    const named = await probe(credentials, { 'grpc.ssl_target_name_override': 'localhost' });
    expect(named.code).toBe(grpc.status.NOT_FOUND);
  });

  it('refuses unusable TLS files at start, naming the field and the file', async () => {
    const files = coordinatorTls(pki);
    const refusal = (tls: TlsFiles) =>
      loadTlsFiles(tls).then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(await refusal({ ...files, key: join(dir, 'missing.key') })).toMatchObject({
      code: 'ERR_BAD_CONFIG',
      message: expect.stringMatching(/^tls\.key: cannot read .*missing\.key/) as unknown,
    });
    expect(await refusal({ ...files, ca: files.key })).toMatchObject({
      code: 'ERR_BAD_CONFIG',
      message: expect.stringMatching(/^tls\.ca: .* is not a PEM certificate/) as unknown,
    });
    // Another key of the same deployment: readable, but not this certificate's.
    expect(await refusal({ ...files, key: pki.workers['hospital-a']!.key })).toMatchObject({
      code: 'ERR_BAD_CONFIG',
      message: expect.stringContaining('is not the private key of the certificate') as unknown,
    });
    const exposed = join(dir, 'exposed.key');
    await writeFile(exposed, await readFile(files.key));
    await chmod(exposed, 0o644);
    expect(await refusal({ ...files, key: exposed })).toMatchObject({
      code: 'ERR_BAD_CONFIG',
      message: expect.stringContaining('accessible by group or others (mode 0644)') as unknown,
    });
    await expect(loadTlsFiles(files, new Date(Date.now() + 400 * 24 * 60 * 60 * 1000))).rejects.toMatchObject(
      {
        code: 'ERR_BAD_CONFIG',
        message: expect.stringMatching(/^tls\.cert: .* expired/) as unknown,
      },
    );
    await expect(loadTlsFiles(files)).resolves.toMatchObject({ key: await readFile(files.key) });

    // A coordinator refuses them before it opens any connection, as it refuses no choice at all.
    const plain: CoordinatorConfig = { ...config, tls: undefined };
    await expect(
      Coordinator.start({
        config: { ...config, tls: { ...files, cert: join(dir, 'nope.crt') } },
        logger: quietLogger,
      }),
    ).rejects.toMatchObject({
      code: 'ERR_BAD_CONFIG',
      message: expect.stringContaining('nope.crt') as unknown,
    });
    await expect(Coordinator.start({ config: plain, logger: quietLogger })).rejects.toMatchObject({
      code: 'ERR_BAD_CONFIG',
      message: expect.stringMatching(/^tls: /) as unknown,
    });
  });
});

describe('silo coordinator start and the plain-text opt-out', () => {
  const prefix = uniquePrefix();
  let dir: string;
  let cleanup: () => Promise<void>;
  let configPath: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    configPath = join(dir, 'coordinator.json');
    await writeFile(
      configPath,
      JSON.stringify({
        grpc: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        redisUrl: REDIS_URL,
        prefix,
        dataDir: join(dir, 'data'),
        apiToken: 'cli-mtls-token-0123456789',
      }),
    );
  });

  afterAll(async () => {
    await cleanRedis(prefix);
    await cleanup?.();
  });

  it('refuses a configuration without tls, naming it', async () => {
    const failed = await run(process.execPath, [
      SILO_BIN,
      'coordinator',
      'start',
      '--config',
      configPath,
    ]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/ERR_BAD_CONFIG: .*coordinator\.json: tls: /);
  });

  it('runs in plain text with --insecure, warning on stderr', async () => {
    const started = await startCoordinatorProcess(configPath, {}, ['--insecure']);
    expect(started.ready.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
    // 'close' comes after every byte of stderr was read.
    const closed = once(started.child, 'close');
    started.child.kill('SIGTERM');
    await closed;
    const log = started.log();
    expect(log).toContain('silo: warning: federation plane is plain text: ');
    // The coordinator's own log says it too, for whoever reads only the JSON log.
    expect(log).toMatch(/"level":40,.*"msg":"federation plane is plain text: /);
  });
});
