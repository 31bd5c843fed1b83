import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { SiloError, createLogger, validateConfig, type Logger } from '@silo/common';
import { initBackend } from '@silo/model';
import { federationService, type EvaluationClaims } from '@silo/protocol';
import type { EnrolledWorker, PublicJwk } from '@silo/signing';
import { toCanonicalBytes } from '@silo/tensors';
import { DiskBlobStore } from './blob-store.js';
import { loadCoordinatorKey, type CoordinatorKey } from './coordinator-key.js';
import { controlPlaneAuthenticator, type Role } from './control-tokens.js';
import { withDashboard } from './dashboard.js';
import { addLedgerRoutes } from './ledger-api.js';
import { addTokenRoutes } from './token-api.js';
import { runEndedEntry, runEntry } from './ledger-entries.js';
import { LedgerLease, LedgerWriter } from './ledger-writer.js';
import { checkRedisDurability } from './redis-check.js';
import { runConfigSchema, type CoordinatorConfig, type RunConfig } from './config.js';
import { Dispatcher } from './dispatcher.js';
import { CoordinatorMetrics } from './metrics.js';
import { modelCard, modelCardMarkdown } from './model-card.js';
import { Enrollment } from './enrollment.js';
import { TfjsEvaluator, initialModel, type InitialModel } from './evaluator.js';
import { fullCollection } from './full-collection.js';
import { summarizeEvaluation, type FederatedEvaluation } from './evaluations.js';
import { FederationService } from './federation-service.js';
import { HttpApi } from './http-api.js';
import { SecureAggregation } from './secagg.js';
import { RoundEngine, type RoundEvents } from './rounds.js';
import { RunEventHub, addRunEventRoutes } from './run-events.js';
import { addWorkerActivityRoute } from './worker-activity.js';
import { RoundScheduler } from './scheduler.js';
import { StateStore, type RoundSummary, type RunRecord } from './state.js';
import { federationServerCredentials } from './tls.js';
import type { AcceptedUpdate } from './state.js';

/** Everything a coordinator process tells its observers. */
export interface CoordinatorEvents extends RoundEvents {
  /** The enrolled keys changed, here or in another process sharing the Redis prefix. */
  'enrollment-changed': [];
  'update-accepted': [AcceptedUpdate & { runId: string; round: number }];
  'update-rejected': [{ runId: string; round: number; keyId: string; code: string; reason: string }];
  /** A worker's federated-evaluation report was recorded. */
  'evaluation-reported': [EvaluationClaims];
  /** This process signed a ledger checkpoint. */
  'ledger-checkpoint': [{ size: number; note: string }];
}

/** A run as the API shows it. */
export interface RunView {
  id: string;
  name: string;
  status: string;
  round: number;
  rounds: number;
  checkpoint: string;
  error?: string;
  /** Why the run completed before its last configured round (its privacy budget). */
  reason?: string;
  createdAt: number;
  history: (RoundSummary & { federatedEvaluation?: FederatedEvaluation })[];
}

/** Options for {@link Coordinator.start}. */
export interface CoordinatorOptions {
  config: CoordinatorConfig;
  logger?: Logger;
}

/** The coordinator: gRPC federation plane, HTTP control plane, and the round scheduler on Redis. */
export class Coordinator extends EventEmitter<CoordinatorEvents> {
  readonly config: CoordinatorConfig;
  readonly logger: Logger;
  readonly state: StateStore;
  readonly enrollment: Enrollment;
  /** Prometheus metrics, served on `GET /metrics`. */
  readonly metrics: CoordinatorMetrics;
  readonly #redis: Redis;
  readonly #bullRedis: Redis;
  readonly #subscriber: Redis;
  readonly #engine: RoundEngine;
  readonly #scheduler: RoundScheduler;
  readonly #service: FederationService;
  readonly #blobs: DiskBlobStore;
  readonly #dispatcher: Dispatcher;
  readonly #evaluator = new TfjsEvaluator();
  readonly #grpcServer = new grpc.Server({
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_permit_without_calls': 1,
  });
  readonly key: CoordinatorKey;
  readonly #lease: LedgerLease;
  #ledger: LedgerWriter | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #httpServer: Server | undefined;
  #grpcPort = 0;

  private constructor(config: CoordinatorConfig, logger: Logger, key: CoordinatorKey) {
    super();
    this.config = config;
    this.logger = logger;
    this.key = key;
    // Commands issued in the same tick go out in one write: a round's many concurrent uploads and
    // downloads otherwise cost a socket write per command, on each side of the connection.
    this.#redis = new Redis(config.redisUrl, { lazyConnect: true, enableAutoPipelining: true });
    // BullMQ connects this one itself as soon as the queue is built.
    this.#bullRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    this.#subscriber = new Redis(config.redisUrl, { lazyConnect: true });
    this.#watchConnections();
    this.state = new StateStore(this.#redis, config.prefix);
    this.enrollment = new Enrollment(this.state);
    this.#blobs = new DiskBlobStore(join(this.ledgerDir, 'blobs'));
    this.#lease = new LedgerLease(this.#redis, config.prefix, this.ledgerDir);
    const ledgerChanged = (): void => this.#ledger?.kick();
    const dispatcher = new Dispatcher(this.#redis, this.#subscriber, config.prefix, logger);
    const secagg = new SecureAggregation({
      redis: this.#redis,
      prefix: config.prefix,
      state: this.state,
      blobs: this.#blobs,
      key: key.signing,
      logger,
      activeKey: (kid) => this.enrollment.activeKey(kid),
      notify: (keyIds, runId, round) => dispatcher.notify(keyIds, runId, round, 'secagg'),
      schedule: (runId, round, delayMs, tag) => this.#engine.scheduleSecAgg(runId, round, delayMs, tag),
      aggregate: (runId, round, tag) => this.#engine.scheduleAggregate(runId, round, tag),
      fail: (runId, round, error) => this.#engine.failRound(runId, round, error),
    });
    this.#engine = new RoundEngine({
      secagg,
      state: this.state,
      blobs: this.#blobs,
      evaluator: this.#evaluator,
      logger,
      onlineFreshMs: config.pingIntervalMs * 3,
      notify: (keyIds, runId, round, kind) => dispatcher.notify(keyIds, runId, round, kind),
      key: key.signing,
      ledgerChanged,
    });
    this.#scheduler = new RoundScheduler({
      connection: this.#bullRedis,
      prefix: config.prefix,
      steps: this.#engine,
      logger,
    });
    this.#engine.bind(this.#scheduler);
    this.#service = new FederationService({
      config,
      state: this.state,
      blobs: this.#blobs,
      enrollment: this.enrollment,
      engine: this.#engine,
      logger,
      receipt: (index, digest) => this.ledger.receipt(index, digest),
      key: key.signing,
      ledgerChanged,
      secagg,
    });
    this.metrics = new CoordinatorMetrics(
      async () => (await this.state.onlineWorkers(config.pingIntervalMs * 3)).length,
    );
    this.#service.events = {
      accepted: (update) => this.emit('update-accepted', update),
      rejected: (rejection) => this.emit('update-rejected', rejection),
      evaluated: (claims) => this.emit('evaluation-reported', claims),
      bytes: (direction, count) => this.metrics.bytes(direction, count),
    };
    this.metrics.observe(this);
    this.#engine.on('round-opened', (event) => this.emit('round-opened', event));
    this.#engine.on('round-retried', (event) => this.emit('round-retried', event));
    this.#engine.on('evaluation-opened', (event) => this.emit('evaluation-opened', event));
    this.#engine.on('round-closed', (event) => this.emit('round-closed', event));
    this.#engine.on('run-ended', (event) => this.emit('run-ended', event));
    this.#dispatcher = dispatcher;
  }

  /** Connects to Redis, loads enrolled workers and starts both servers and the scheduler. */
  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const logger = options.logger ?? createLogger({ name: 'coordinator' });
    const { config } = options;
    const credentials = await federationServerCredentials(config, logger);
    const key = await loadCoordinatorKey(
      config.keyFile ?? join(config.dataDir, 'coordinator-key.json'),
      config.ledgerName,
    );
    const coordinator = new Coordinator(config, logger, key);
    await coordinator.#start(credentials);
    return coordinator;
  }

  async #start(credentials: grpc.ServerCredentials): Promise<void> {
    try {
      await Promise.all([this.#redis.connect(), this.#subscriber.connect()]);
    } catch (err) {
      this.#disconnectRedis();
      throw new SiloError(
        'ERR_UNAVAILABLE',
        `cannot reach Redis at ${this.config.redisUrl}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    await checkRedisDurability(this.#redis, this.logger);
    const backend = await initBackend();
    this.logger.info({ backend }, 'tfjs backend');
    await this.#holdLedger();
    // Auditors pin this key; it is written beside the ledger, never inside it.
    await writeFile(join(this.config.dataDir, 'ledger-verifier.key'), `${this.key.verifierKey}\n`);
    await this.enrollment.load(this.config.workers);
    await this.#followEnrollment();
    await this.#dispatcher.start((notice) => this.#service.deliver(notice));
    this.#grpcServer.addService(federationService, this.#service.handlers());
    this.#grpcPort = await new Promise<number>((resolve, reject) => {
      this.#grpcServer.bindAsync(
        `${this.config.grpc.host}:${this.config.grpc.port}`,
        credentials,
        (err, port) => (err === null ? resolve(port) : reject(err)),
      );
    });
    this.#httpServer = createServer(withDashboard(this.#api().listener, this.logger));
    const http = this.#httpServer;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.config.http.port, this.config.http.host, () => resolve());
    });
    this.#scheduler.start();
    await this.#resumeRuns();
    this.logger.info({ grpc: this.grpcAddress, http: this.httpUrl }, 'coordinator listening');
  }

  /** Directory of the ledger: entries, checkpoints and blobs, everything an auditor copies. */
  get ledgerDir(): string {
    return join(this.config.dataDir, 'ledger');
  }

  /** The ledger this process writes. @throws SiloError ERR_UNAVAILABLE when another process holds it. */
  get ledger(): LedgerWriter {
    if (this.#ledger === undefined) {
      throw new SiloError(
        'ERR_UNAVAILABLE',
        'another coordinator process sharing this Redis prefix writes the ledger',
      );
    }
    return this.#ledger;
  }

  /**
   * Takes the ledger lease and opens the ledger when free, and keeps renewing it; a process that
   * does not get it keeps trying, so it takes over if the writer goes away.
   */
  async #holdLedger(): Promise<void> {
    const step = async (): Promise<void> => {
      const held = await this.#lease.acquire();
      if (held && this.#ledger === undefined) {
        const writer = await LedgerWriter.open({
          dir: this.ledgerDir,
          outbox: this.state.outbox,
          key: this.key,
          origin: this.config.ledgerName,
          logger: this.logger,
        });
        writer.on('checkpoint', (cp) => this.emit('ledger-checkpoint', { size: cp.size, note: cp.note }));
        this.#ledger = writer;
        this.logger.info(
          { dir: this.ledgerDir, size: writer.store.size, verifierKey: this.key.verifierKey },
          'writing the ledger',
        );
      } else if (!held && this.#ledger !== undefined) {
        this.logger.error('lost the ledger lease to another process; no longer writing the ledger');
        const writer = this.#ledger;
        this.#ledger = undefined;
        await writer.close();
      }
    };
    await step();
    if (this.#ledger === undefined) this.logger.info('another coordinator process writes the ledger');
    this.#leaseTimer = setInterval(() => {
      step().catch((err: unknown) => this.logger.error({ err }, 'ledger lease'));
    }, this.#lease.ttlMs / 3);
    this.#leaseTimer.unref();
  }

  /** Requeues the current step of every running run: this process may be a restart after a crash. */
  async #resumeRuns(): Promise<void> {
    const tag = `boot-${randomBytes(4).toString('hex')}`;
    for (const id of await this.state.listRuns()) {
      const run = await this.state.getRun(id);
      if (run.status === 'running') await this.#engine.resume(id, tag);
    }
  }

  get #enrollmentChannel(): string {
    return `${this.config.prefix}:enrollment`;
  }

  /** Every process reloads the registry when any of them changes it, so all accept the same keys. */
  async #followEnrollment(): Promise<void> {
    this.#subscriber.on('message', (channel: string) => {
      if (channel !== this.#enrollmentChannel) return;
      this.enrollment.reload().then(
        () => this.emit('enrollment-changed'),
        (err: unknown) => this.logger.error({ err }, 'could not reload enrolled workers'),
      );
    });
    await this.#subscriber.subscribe(this.#enrollmentChannel);
  }

  /** Enrolls a worker key and tells every coordinator process sharing this Redis prefix. */
  async enroll(publicJwk: PublicJwk, name: string, org: string): Promise<EnrolledWorker> {
    const entry = await this.enrollment.enroll(publicJwk, name, org);
    this.#ledger?.kick();
    await this.#redis.publish(this.#enrollmentChannel, entry.keyId);
    return entry;
  }

  /** `host:port` of the gRPC federation plane. */
  get grpcAddress(): string {
    return `${this.config.grpc.host}:${this.#grpcPort}`;
  }

  /** Base URL of the HTTP API. */
  get httpUrl(): string {
    const address = this.#httpServer?.address() as AddressInfo | null | undefined;
    return `http://${this.config.http.host}:${address?.port ?? this.config.http.port}`;
  }

  /** Validates a run configuration, stores the initial model and queues round 1. */
  async createRun(raw: unknown): Promise<RunRecord> {
    const model = await this.#storeInitialModel(validateConfig(runConfigSchema, raw, 'run config'));
    // Building the model left several of its sizes of arrays behind (see full-collection.ts).
    if (this.config.collectAfterModelBuild) fullCollection()?.();
    const { config, checkpoint } = model;
    const now = Date.now();
    const run: RunRecord = {
      id: `r${now.toString(36)}${randomBytes(4).toString('hex')}`,
      config,
      status: 'running',
      round: 1,
      checkpoint,
      layout: model.layout,
      specDigest: model.specDigest,
      createdAt: now,
      updatedAt: now,
    };
    await this.state.createRun(run, runEntry(run, this.key.signing.keyId));
    this.#ledger?.kick();
    await this.#scheduler.schedule('open', { runId: run.id, round: 1 });
    this.logger.info({ runId: run.id, name: config.name, rounds: config.rounds }, 'run created');
    return run;
  }

  /** Builds a run's initial model and stores its weights; returns all but the weights. */
  async #storeInitialModel(
    config: RunConfig,
  ): Promise<Omit<InitialModel, 'weights'> & { checkpoint: string }> {
    const { weights, ...model } = await initialModel(config);
    return { ...model, checkpoint: await this.#blobs.put(toCanonicalBytes(weights)) };
  }

  /** The run's rounds, each with the federated evaluation of its checkpoint so far, if any. */
  async #historyWithEvaluations(run: RunRecord): Promise<RunView['history']> {
    const history = await this.state.history(run.id);
    if (run.config.federatedEvaluation === undefined) return history;
    return Promise.all(
      history.map(async (summary) => {
        const evaluation = summarizeEvaluation(await this.state.evaluationReports(run.id, summary.round));
        return evaluation === undefined ? summary : { ...summary, federatedEvaluation: evaluation };
      }),
    );
  }

  async runView(id: string): Promise<RunView> {
    const run = await this.state.getRun(id);
    const view: RunView = {
      id,
      name: run.config.name,
      status: run.status,
      round: run.round,
      rounds: run.config.rounds,
      checkpoint: run.checkpoint,
      createdAt: run.createdAt,
      history: await this.#historyWithEvaluations(run),
    };
    if (run.error !== undefined) view.error = run.error;
    if (run.reason !== undefined) view.reason = run.reason;
    return view;
  }

  async cancelRun(id: string): Promise<boolean> {
    const error = 'cancelled by the model team';
    const ended = await this.state.endRun(id, 'cancelled', error, (run, at) =>
      runEndedEntry(run, 'cancelled', at, error),
    );
    this.#ledger?.kick();
    if (ended) this.emit('run-ended', { runId: id, status: 'cancelled' });
    return ended;
  }

  /**
   * The HTTP control plane. Each route names the roles that may call it: the model team runs
   * training, auditors read runs and the ledger, and only admins change who may take part.
   */
  #api(): HttpApi {
    const adminOnly: readonly Role[] = ['admin'];
    const modelTeam: readonly Role[] = ['admin', 'model-team'];
    const runReaders: readonly Role[] = ['admin', 'model-team', 'auditor'];
    const authenticate = controlPlaneAuthenticator({
      bootstrapSecret: this.config.apiToken,
      publicJwk: this.key.signing.publicJwk,
      issuer: this.config.ledgerName,
    });
    const api = new HttpApi(authenticate, this.logger);
    addLedgerRoutes(api, () => this.ledger, this.#blobs);
    // The dashboard's live feed and worker table; the rest of what it shows comes from the routes below.
    addRunEventRoutes(api, { state: this.state, hub: new RunEventHub(this), roles: runReaders });
    addWorkerActivityRoute(api, this.state, modelTeam);
    return addTokenRoutes(api, this.key.signing, this.config.ledgerName, this.logger)
      .route('POST', '/v1/runs', modelTeam, async ({ body }) => {
        const run = await this.createRun(body);
        return { status: 201, json: await this.runView(run.id) };
      })
      .route('GET', '/metrics', ['admin', 'monitor'], async () => {
        const { contentType, body } = await this.metrics.text();
        return { bytes: Buffer.from(body, 'utf8'), headers: { 'content-type': contentType } };
      })
      .route('GET', '/v1/runs', runReaders, async () => {
        const ids = await this.state.listRuns();
        return { json: { runs: await Promise.all(ids.map((id) => this.runView(id))) } };
      })
      .route('GET', '/v1/runs/:id', runReaders, async ({ params }) => ({
        json: await this.runView(params['id'] ?? ''),
      }))
      .route('POST', '/v1/runs/:id/cancel', modelTeam, async ({ params }) => {
        const cancelled = await this.cancelRun(params['id'] ?? '');
        if (!cancelled) throw new SiloError('ERR_CONFLICT', 'run is not running');
        return { json: await this.runView(params['id'] ?? '') };
      })
      .route('GET', '/v1/runs/:id/model', modelTeam, async ({ params }) => {
        const run = await this.state.getRun(params['id'] ?? '');
        return {
          json: {
            model: run.config.model,
            layout: run.layout,
            digest: run.checkpoint,
            round: run.round,
            status: run.status,
          },
        };
      })
      .route('GET', '/v1/runs/:id/card', runReaders, async ({ params }) => {
        const id = params['id'] ?? '';
        const writer = this.#ledger;
        const latest = writer?.store.checkpoints().at(-1);
        const ledger =
          writer === undefined
            ? null
            : {
                origin: writer.origin,
                verifierKey: writer.verifierKey,
                size: writer.store.size,
                checkpoint: latest?.note ?? null,
              };
        const card = modelCard(
          await this.state.getRun(id),
          await this.runView(id),
          this.enrollment.list(),
          ledger,
        );
        return { json: { card, markdown: modelCardMarkdown(card) } };
      })
      .route('GET', '/v1/runs/:id/weights', modelTeam, async ({ params }) => {
        const run = await this.state.getRun(params['id'] ?? '');
        const bytes = await this.#blobs.get(run.checkpoint);
        return {
          bytes,
          headers: { 'content-type': 'application/octet-stream', 'x-silo-digest': run.checkpoint },
        };
      })
      .route('GET', '/v1/workers', modelTeam, async () => ({
        json: {
          enrolled: this.enrollment.list(),
          ...(await this.state.workerPresence(this.config.pingIntervalMs * 3)),
        },
      }))
      .route('POST', '/v1/workers', adminOnly, async ({ body }) => {
        const { name, org, publicJwk } = (body ?? {}) as {
          name?: unknown;
          org?: unknown;
          publicJwk?: unknown;
        };
        if (
          typeof name !== 'string' ||
          name.length === 0 ||
          typeof publicJwk !== 'object' ||
          publicJwk === null
        ) {
          throw new SiloError('ERR_BAD_INPUT', 'enrollment needs a name and a publicJwk object');
        }
        const entry = await this.enroll(publicJwk as PublicJwk, name, typeof org === 'string' ? org : '');
        return { status: 201, json: entry };
      })
      .route('POST', '/v1/workers/:keyId/revoke', adminOnly, async ({ params }) => ({
        json: await this.revoke(params['keyId'] ?? ''),
      }));
  }

  /** Revokes a worker key in every coordinator process sharing this Redis prefix. */
  async revoke(keyId: string): Promise<EnrolledWorker> {
    const entry = await this.enrollment.revoke(keyId);
    this.#ledger?.kick();
    await this.#redis.publish(this.#enrollmentChannel, keyId);
    return entry;
  }

  /**
   * Logs a lost Redis connection once, and its return: ioredis reconnects by itself and queues
   * commands meanwhile, so an outage shows as slow calls and, past its retry limit, ERR_UNAVAILABLE.
   */
  #watchConnections(): void {
    for (const [name, client] of [
      ['state', this.#redis],
      ['jobs', this.#bullRedis],
      ['subscriber', this.#subscriber],
    ] as const) {
      let down = false;
      client.on('error', (err: Error) => {
        if (down) return;
        down = true;
        this.logger.warn({ connection: name, err: err.message }, 'Redis connection lost; reconnecting');
      });
      client.on('ready', () => {
        if (!down) return;
        down = false;
        this.logger.info({ connection: name }, 'Redis connection back');
      });
    }
  }

  #disconnectRedis(): void {
    for (const client of [this.#redis, this.#bullRedis, this.#subscriber]) client.disconnect();
  }

  /** Stops servers, the scheduler (waiting for a running step) and Redis connections. */
  async close(): Promise<void> {
    this.#service.close();
    await this.#scheduler.close();
    await new Promise<void>((resolve) => this.#grpcServer.tryShutdown(() => resolve()));
    this.#grpcServer.forceShutdown();
    const http = this.#httpServer;
    if (http !== undefined) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    this.#evaluator.dispose();
    clearInterval(this.#leaseTimer);
    if (this.#ledger !== undefined) {
      const writer = this.#ledger;
      this.#ledger = undefined;
      await writer.close().catch((err: unknown) => this.logger.error({ err }, 'closing the ledger'));
      await this.#lease.release().catch(() => undefined);
    }
    await Promise.allSettled([this.#redis.quit(), this.#bullRedis.quit(), this.#subscriber.quit()]);
  }
}
