import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { SiloError, toSiloError, type Logger } from '@silo/common';
import {
  JOIN_PROOF_TYP,
  createFederationClient,
  fromServiceError,
  type FederationClient,
  type Instruction,
  type Receipt,
  type TrainInstruction,
} from '@silo/protocol';
import { signManifest, type FlattenedJws, type SigningKey, type UpdateManifest } from '@silo/signing';
import { fromCanonicalBytes, sha256Hex, toCanonicalBytes } from '@silo/tensors';
import { fetchModel, uploadUpdate } from './transfer.js';
import type { Trainer } from './trainer.js';

/** What a worker reports to its host process. */
export interface WorkerEvents {
  joined: [];
  disconnected: [SiloError];
  submitted: [{ receipt: Receipt; manifest: Omit<UpdateManifest, 'v' | 'keyId'> }];
  failed: [{ runId: string; round: number; error: SiloError }];
}

/** Options for {@link Worker}. */
export interface WorkerOptions {
  /** `host:port` of the coordinator. */
  coordinator: string;
  name: string;
  key: SigningKey;
  trainer: Trainer;
  backend: string;
  logger: Logger;
  /** First reconnect delay; doubles up to `maxDelayMs`, with full jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  maxModelBytes?: number;
  credentials?: grpc.ChannelCredentials;
}

/** Computes a reconnect delay: exponential growth capped at `maxMs`, with full jitter. */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * random());
}

/**
 * A data owner's worker: dials out to the coordinator, keeps a Join stream open, and for each
 * train instruction fetches the global model, trains locally, signs and submits the delta.
 */
export class Worker extends EventEmitter<WorkerEvents> {
  readonly #o: WorkerOptions;
  readonly #client: FederationClient;
  readonly #stopping = new AbortController();
  readonly #seen = new Set<string>();
  #tasks: Promise<void> = Promise.resolve();
  #loop: Promise<void> | undefined;
  #stream: grpc.ClientReadableStream<Instruction> | undefined;

  constructor(options: WorkerOptions) {
    super();
    this.#o = options;
    this.#client = createFederationClient(
      options.coordinator,
      options.credentials ?? grpc.credentials.createInsecure(),
      {
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
        'grpc.max_receive_message_length': 8 * 1024 * 1024,
      },
    );
  }

  /** Starts the connect loop; it runs until {@link stop}. */
  start(): void {
    this.#loop ??= this.#run();
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stopping.signal.aborted) {
      let joined = false;
      try {
        await this.#session(() => {
          joined = true;
          attempt = 0;
        });
      } catch (err) {
        const error = toSiloError(err);
        if (this.#stopping.signal.aborted) break;
        this.#o.logger.warn({ code: error.code, message: error.message }, 'connection to coordinator lost');
        this.emit('disconnected', error);
      }
      if (this.#stopping.signal.aborted) break;
      if (!joined) attempt += 1;
      const delay = backoffDelay(attempt, this.#o.initialDelayMs ?? 500, this.#o.maxDelayMs ?? 30_000);
      await sleep(delay, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
    }
  }

  /** One Join stream, from dial to end. */
  async #session(onJoined: () => void): Promise<void> {
    const iat = Date.now();
    const proof = await this.#o.key.sign(JOIN_PROOF_TYP, { kid: this.#o.key.keyId, name: this.#o.name, iat });
    const stream = this.#client.join({
      keyId: this.#o.key.keyId,
      proof,
      name: this.#o.name,
      backend: this.#o.backend,
      numExamples: this.#o.trainer.numExamples,
    });
    this.#stream = stream;
    let joined = false;
    try {
      for await (const instruction of stream as AsyncIterable<Instruction>) {
        if (!joined) {
          joined = true;
          onJoined();
          this.#o.logger.info({ coordinator: this.#o.coordinator }, 'joined');
          this.emit('joined');
        }
        if (instruction.train !== null && instruction.train !== undefined)
          this.#enqueue(instruction.train as TrainInstruction);
      }
    } catch (err) {
      throw fromServiceError(err);
    } finally {
      this.#stream = undefined;
    }
    throw new SiloError('ERR_UNAVAILABLE', 'coordinator ended the Join stream');
  }

  #enqueue(train: TrainInstruction): void {
    const key = `${train.runId}/${train.round}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#tasks = this.#tasks.then(() =>
      this.#train(train).catch((err: unknown) => {
        const error = toSiloError(err);
        // Let a later re-sent instruction for the same round try again.
        this.#seen.delete(key);
        this.#o.logger.error(
          { runId: train.runId, round: train.round, code: error.code, message: error.message },
          'round failed',
        );
        this.emit('failed', { runId: train.runId, round: train.round, error });
      }),
    );
  }

  async #train(train: TrainInstruction): Promise<void> {
    const deadline = Number(train.deadlineUnixMs);
    if (Date.now() > deadline)
      throw new SiloError('ERR_STALE_ROUND', `round ${train.round} deadline has passed`);
    const started = Date.now();
    const model = await fetchModel(
      this.#client,
      { runId: train.runId, round: train.round, keyId: this.#o.key.keyId },
      { deadline, maxBytes: this.#o.maxModelBytes ?? 1024 * 1024 * 1024 },
    );
    if (model.digest !== train.baseDigest) {
      throw new SiloError(
        'ERR_BASE_MISMATCH',
        `coordinator sent model ${model.digest}, instruction names ${train.baseDigest}`,
      );
    }
    const hyper = train.hyperparameters;
    if (hyper === null || hyper === undefined)
      throw new SiloError('ERR_BAD_INPUT', 'instruction has no hyper-parameters');
    const base = fromCanonicalBytes(model.bytes);
    const { delta, result } = await this.#o.trainer.train(base, model.layout, {
      modelSpecJson: train.modelSpecJson,
      epochs: Number(hyper.epochs),
      batchSize: Number(hyper.batchSize),
      learningRate: Number(hyper.learningRate),
      seed: Number(hyper.seed),
    });
    const bytes = toCanonicalBytes(delta);
    const manifest = {
      runId: train.runId,
      round: train.round,
      baseDigest: train.baseDigest,
      updateDigest: sha256Hex(bytes),
      updateBytes: bytes.byteLength,
      numExamples: result.numExamples,
      metrics: { loss: result.loss, accuracy: result.accuracy },
      nonce: train.nonce,
      issuedAt: Date.now(),
    };
    const jws = await signManifest(this.#o.key, manifest);
    const receipt = await this.#submitWithRetry(jws, bytes, deadline);
    this.#o.logger.info(
      {
        runId: train.runId,
        round: train.round,
        loss: result.loss,
        accuracy: result.accuracy,
        ms: Date.now() - started,
      },
      'update accepted',
    );
    this.emit('submitted', { receipt, manifest });
  }

  /** A lost connection during upload is retried; the coordinator answers a repeat with the first receipt. */
  async #submitWithRetry(jws: FlattenedJws, bytes: Uint8Array, deadline: number): Promise<Receipt> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await uploadUpdate(this.#client, jws, bytes, { deadline });
      } catch (err) {
        const error = toSiloError(err);
        if (error.code !== 'ERR_UNAVAILABLE' || attempt >= 4 || this.#stopping.signal.aborted) throw error;
        await sleep(backoffDelay(attempt, this.#o.initialDelayMs ?? 500, this.#o.maxDelayMs ?? 30_000));
      }
    }
  }

  /** Stops reconnecting, waits for the round in progress to finish, and closes the channel. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#stream?.cancel();
    await this.#loop;
    await this.#tasks;
    this.#o.trainer.dispose();
    this.#client.close();
  }
}
