import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as grpc from '@grpc/grpc-js';
import { SiloError, toSiloError } from '@silo/common';
import {
  DECLINE_TYP,
  JOIN_PROOF_TYP,
  createFederationClient,
  fromServiceError,
  pb,
  type Challenge,
  type FederationClient,
  type IFetchModelRequest,
  type IJoinRequest,
  type Instruction,
  type Receipt,
  type SecAggClaims,
  type SignedEvaluateInstruction,
  type SignedTrainInstruction,
} from '@silo/protocol';
import { signManifest, type FlattenedJws, type UpdateManifest } from '@silo/signing';
import { privatizeDelta } from '@silo/privacy';
import { InstructionVerifier, verifySecAggStep } from './instructions.js';
import { SecAggParticipant } from './secagg-participant.js';
import { policyRefusal, type TrainedRound } from './policy.js';
import { encodeUpdate, fromCanonicalBytes, sha256Hex } from '@silo/tensors';
import { backoffDelay } from './backoff.js';
import { evaluateAndReport } from './evaluation-task.js';
import type { WorkerEvents, WorkerOptions } from './worker-options.js';
import { ReceiptFetcher, pendingReceipts } from './receipt-fetcher.js';
import { fetchModel, updateWireSize, uploadUpdate } from './transfer.js';
import { attackDelta, attackSeed, formatAttack } from './attack.js';

export { backoffDelay } from './backoff.js';

export type { WorkerEvents, WorkerOptions, WorkerRecords } from './worker-options.js';

/**
 * A data owner's worker: dials out to the coordinator, keeps a Join stream open, and for each
 * train instruction fetches the global model, trains locally, signs and submits the delta. With
 * {@link WorkerOptions.records} it logs every message before sending it and collects a ledger
 * receipt for every accepted update.
 */
export class Worker extends EventEmitter<WorkerEvents> {
  readonly #o: WorkerOptions;
  readonly #client: FederationClient;
  readonly #stopping = new AbortController();
  readonly #seen = new Set<string>();
  #tasks: Promise<void> = Promise.resolve();
  #loop: Promise<void> | undefined;
  #stream: grpc.ClientReadableStream<Instruction> | undefined;
  readonly #receipts: ReceiptFetcher | undefined;
  readonly #instructions: InstructionVerifier;
  /** Rounds trained, for the policy's per-run and per-day limits. */
  readonly #trained: TrainedRound[] = [];
  /** This worker's part in the secure aggregation of rounds in progress, by `run/round`. */
  readonly #secure = new Map<string, SecAggParticipant>();

  constructor(options: WorkerOptions) {
    super();
    this.#o = options;
    if (options.attack !== undefined)
      options.logger.warn(
        { attack: formatAttack(options.attack) },
        'SIMULATION: this worker is malicious and corrupts every update it sends',
      );
    this.#instructions = new InstructionVerifier(options.key.keyId, options.coordinatorKey, options.logger);
    this.#client = createFederationClient(options.coordinator, options.credentials, {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': 8 * 1024 * 1024,
    });
    const records = options.records;
    if (records !== undefined) {
      this.#receipts = new ReceiptFetcher({
        client: this.#client,
        log: records.log,
        logger: options.logger,
        trust: {
          verifierKey: records.ledgerKey,
          origin: records.ledgerOrigin,
          checkpoints: records.verifiedCheckpoints,
        },
        giveUpMs: records.receiptGiveUpMs,
        initialDelayMs: records.receiptInitialDelayMs,
        maxDelayMs: records.receiptMaxDelayMs,
        onReceipt: (event) => this.emit('receipt', event),
        onFailed: (event) => this.emit('receipt-failed', event),
      });
    }
  }

  /** Starts the connect loop, and resumes receipts the egress log says are owed; runs until {@link stop}. */
  start(): void {
    if (this.#loop !== undefined) return;
    const log = this.#o.records?.log;
    if (log !== undefined) {
      for (const p of pendingReceipts(log.recovered.records)) this.#receipts?.track(p);
      for (const r of log.recovered.records)
        if (r.kind === 'accepted') this.#trained.push({ runId: r.runId, round: r.round, at: r.at });
    }
    this.#loop = this.#run();
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
    const challenge = await this.#challenge();
    const iat = Date.now();
    const proof = await this.#o.key.sign(JOIN_PROOF_TYP, {
      kid: this.#o.key.keyId,
      name: this.#o.name,
      challenge,
      iat,
    });
    const request: IJoinRequest = {
      keyId: this.#o.key.keyId,
      proof,
      name: this.#o.name,
      backend: this.#o.backend,
      numExamples: this.#o.trainer.numExamples,
    };
    await this.#o.records?.log.append({
      kind: 'join',
      bytes: pb.JoinRequest.encode(request).finish().length,
      keyId: this.#o.key.keyId,
      name: this.#o.name,
      backend: this.#o.backend,
      numExamples: this.#o.trainer.numExamples,
      proofDigest: sha256Hex(Buffer.from(`${proof.protected}.${proof.payload}.${proof.signature}`, 'utf8')),
    });
    const stream = this.#client.join(request);
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
        if (instruction.secagg !== null && instruction.secagg !== undefined) {
          this.#onSecAggStep(instruction);
          continue;
        }
        const train = instruction.train !== null && instruction.train !== undefined;
        const evaluate = instruction.evaluate !== null && instruction.evaluate !== undefined;
        if (train || evaluate) {
          try {
            if (train) {
              const verified = await this.#instructions.verify(instruction);
              // A round is sent once the one before it has closed.
              this.#receipts?.roundClosed(verified.runId, verified.round - 1);
              this.#enqueue(verified);
            } else {
              const verified = await this.#instructions.verifyEvaluate(instruction);
              // A round's checkpoint is evaluated once the round has closed.
              this.#receipts?.roundClosed(verified.runId, verified.round);
              this.#enqueueEvaluation(verified);
            }
          } catch (err) {
            const error = toSiloError(err);
            this.#o.logger.error(
              { code: error.code, reason: error.message },
              'instruction refused: not signed by the pinned coordinator key',
            );
            this.emit('instruction-refused', error);
          }
        }
      }
    } catch (err) {
      throw fromServiceError(err);
    } finally {
      this.#stream = undefined;
    }
    throw new SiloError('ERR_UNAVAILABLE', 'coordinator ended the Join stream');
  }

  /**
   * Acts on a step of secure aggregation at once, beside any training in progress: the round's
   * participant shares keys, takes shares, or reveals (or refuses to).
   */
  #onSecAggStep(instruction: Instruction): void {
    const act = async (): Promise<void> => {
      const step = await verifySecAggStep(this.#instructions, instruction);
      const participant = this.#secure.get(`${step.runId}/${step.round}`);
      if (participant === undefined) return;
      try {
        await participant.onStep(step);
      } catch (err) {
        const error = toSiloError(err);
        this.#o.logger.error(
          { runId: step.runId, round: step.round, step: step.step, code: error.code, reason: error.message },
          'secure aggregation step refused',
        );
        this.emit('secagg-refused', { runId: step.runId, round: step.round, step: step.step, error });
      }
      if (step.step === 'unmask') this.#secure.delete(`${step.runId}/${step.round}`);
    };
    act().catch((err: unknown) => {
      const error = toSiloError(err);
      this.#o.logger.error({ code: error.code, reason: error.message }, 'instruction refused');
      this.emit('instruction-refused', error);
    });
  }

  /** Logs and sends one signed secure-aggregation message. */
  async #sendSecAgg(
    train: SignedTrainInstruction,
    step: SecAggClaims['step'],
    message: FlattenedJws,
  ): Promise<void> {
    await this.#o.records?.log.append({
      kind: 'secagg',
      bytes: pb.SecAggMessage.encode({ message }).finish().length,
      runId: train.runId,
      round: train.round,
      step,
      message,
    });
    await new Promise<void>((resolve, reject) => {
      this.#client.submitSecAgg({ message }, { deadline: Date.now() + 15_000 }, (err) =>
        err === null ? resolve() : reject(fromServiceError(err)),
      );
    });
  }

  /** Asks for a fresh Join challenge. */
  async #challenge(): Promise<string> {
    const keyId = this.#o.key.keyId;
    await this.#o.records?.log.append({
      kind: 'challenge-request',
      bytes: pb.ChallengeRequest.encode({ keyId }).finish().length,
      keyId,
    });
    const answer = await new Promise<Challenge>((resolve, reject) => {
      this.#client.getChallenge({ keyId }, { deadline: Date.now() + 15_000 }, (err, value) => {
        if (err !== null) reject(fromServiceError(err));
        else if (value === undefined) reject(new SiloError('ERR_STREAM', 'coordinator sent no challenge'));
        else resolve(value);
      });
    });
    return answer.challenge;
  }

  #enqueue(train: SignedTrainInstruction): void {
    const key = `${train.runId}/${train.round}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#tasks = this.#tasks.then(() =>
      this.#handle(train).catch((err: unknown) => {
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

  #enqueueEvaluation(instruction: SignedEvaluateInstruction): void {
    const key = `evaluate:${instruction.runId}/${instruction.round}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#tasks = this.#tasks.then(() =>
      this.#evaluate(instruction).catch((err: unknown) => {
        const error = toSiloError(err);
        this.#seen.delete(key);
        this.#o.logger.error(
          { runId: instruction.runId, round: instruction.round, code: error.code, message: error.message },
          'evaluation failed',
        );
        this.emit('failed', { runId: instruction.runId, round: instruction.round, error });
      }),
    );
  }

  /** Runs an evaluate instruction (see {@link evaluateAndReport}) and tells the host how it ended. */
  async #evaluate(instruction: SignedEvaluateInstruction): Promise<void> {
    const outcome = await evaluateAndReport(this.#o, this.#client, instruction);
    const { runId, round } = instruction;
    if (outcome.kind === 'refused') this.emit('evaluation-refused', { runId, round, reason: outcome.reason });
    if (outcome.kind === 'reported') this.emit('evaluated', outcome.claims);
  }

  /** Trains for an instruction the owner's policy allows, and declines, saying why, one it does not. */
  async #handle(train: SignedTrainInstruction): Promise<void> {
    const policy = this.#o.policy;
    const refusal =
      policy === undefined
        ? undefined
        : policyRefusal(policy, train, { numExamples: this.#o.trainer.numExamples, history: this.#trained });
    if (refusal === undefined) {
      await this.#train(train);
      return;
    }
    this.#o.logger.warn(
      { runId: train.runId, round: train.round, reason: refusal },
      'instruction refused by policy',
    );
    await this.#decline(train, 'ERR_POLICY', refusal);
    this.emit('declined', { runId: train.runId, round: train.round, code: 'ERR_POLICY', reason: refusal });
  }

  /** Tells the coordinator, in a signed message, that this worker will not do an instruction. */
  async #decline(train: SignedTrainInstruction, code: string, reason: string): Promise<void> {
    const decline = await this.#o.key.sign(DECLINE_TYP, {
      runId: train.runId,
      round: train.round,
      nonce: train.nonce,
      keyId: this.#o.key.keyId,
      code,
      reason,
      issuedAt: Date.now(),
    });
    await this.#o.records?.log.append({
      kind: 'decline',
      bytes: pb.DeclineRequest.encode({ decline }).finish().length,
      runId: train.runId,
      round: train.round,
      code,
      reason,
      declineDigest: sha256Hex(
        Buffer.from(`${decline.protected}.${decline.payload}.${decline.signature}`, 'utf8'),
      ),
    });
    await new Promise<void>((resolve, reject) => {
      this.#client.decline({ decline }, { deadline: Date.now() + 15_000 }, (err) =>
        err === null ? resolve() : reject(fromServiceError(err)),
      );
    });
  }

  async #train(train: SignedTrainInstruction): Promise<void> {
    const deadline = Number(train.deadlineUnixMs);
    if (Date.now() > deadline)
      throw new SiloError('ERR_STALE_ROUND', `round ${train.round} deadline has passed`);
    const started = Date.now();
    const secure = this.#joinSecAgg(train);
    // Keys are agreed while the model downloads and trains.
    await secure?.advertise();
    const request: IFetchModelRequest = { runId: train.runId, round: train.round, keyId: this.#o.key.keyId };
    await this.#o.records?.log.append({
      kind: 'fetch-model',
      bytes: pb.FetchModelRequest.encode(request).finish().length,
      runId: train.runId,
      round: train.round,
      keyId: this.#o.key.keyId,
    });
    const model = await fetchModel(this.#client, request, {
      deadline,
      maxBytes: this.#o.maxModelBytes ?? 1024 * 1024 * 1024,
    });
    if (model.digest !== train.baseDigest) {
      throw new SiloError(
        'ERR_BASE_MISMATCH',
        `coordinator sent model ${model.digest}, instruction names ${train.baseDigest}`,
      );
    }
    const hyper = train.hyperparameters;
    const base = fromCanonicalBytes(model.bytes);
    const attack = this.#o.attack;
    const trained = await this.#o.trainer.train(
      base,
      model.layout,
      {
        modelSpecJson: train.modelSpecJson,
        epochs: Number(hyper.epochs),
        batchSize: Number(hyper.batchSize),
        learningRate: Number(hyper.learningRate),
        seed: Number(hyper.seed),
        proximalMu: hyper.proximalMu,
        freeze: hyper.freeze,
      },
      attack,
    );
    const { result } = trained;
    const privateDelta =
      train.privacy === null ? trained.delta : privatizeDelta(trained.delta, train.privacy);
    // A simulated attacker corrupts its update here, before signing, so the signature is valid.
    const delta =
      attack === undefined
        ? privateDelta
        : attackDelta(attack, privateDelta, attackSeed(this.#o.key.keyId, train.runId, train.round));
    const encoding = train.updateEncoding ?? 'float32';
    if (secure !== undefined) await secure.ready(deadline);
    const bytes =
      secure === undefined
        ? encodeUpdate(delta, model.layout, encoding)
        : secure.mask(delta, result.numExamples);
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
      ...(secure !== undefined
        ? { encoding: 'masked' as const }
        : train.updateEncoding === undefined
          ? {}
          : { encoding: train.updateEncoding }),
    };
    const jws = await signManifest(this.#o.key, manifest);
    const receipt = await this.#submitWithRetry(jws, manifest, bytes, deadline);
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
    this.#trained.push({ runId: train.runId, round: train.round, at: Date.now() });
    this.emit('submitted', { receipt, manifest });
  }

  /** This worker's part in the round's secure aggregation, when the run asks for it. */
  #joinSecAgg(train: SignedTrainInstruction): SecAggParticipant | undefined {
    const { secureAggregation } = train;
    if (secureAggregation === undefined) return undefined;
    const participant = new SecAggParticipant({
      key: this.#o.key,
      train: { ...train, secureAggregation },
      send: (step, message) => this.#sendSecAgg(train, step, message),
    });
    this.#secure.set(`${train.runId}/${train.round}`, participant);
    return participant;
  }

  /**
   * A lost connection during upload is retried; the coordinator answers a repeat with the first
   * receipt. Each attempt is logged (on stable storage) before it is sent, and its outcome after.
   */
  async #submitWithRetry(
    jws: FlattenedJws,
    manifest: Omit<UpdateManifest, 'v' | 'keyId'>,
    bytes: Uint8Array,
    deadline: number,
  ): Promise<Receipt> {
    const { runId, round, updateDigest } = manifest;
    const log = this.#o.records?.log;
    const wire = updateWireSize(jws, bytes);
    for (let attempt = 0; ; attempt++) {
      await log?.append({
        kind: 'update',
        bytes: wire.bytes,
        runId,
        round,
        manifest: { protected: jws.protected, payload: jws.payload, signature: jws.signature },
        updateDigest,
        updateBytes: bytes.byteLength,
        chunks: wire.chunks,
        metrics: manifest.metrics,
        numExamples: manifest.numExamples,
        attempt,
      });
      let receipt: Receipt;
      try {
        receipt = await uploadUpdate(this.#client, jws, bytes, { deadline });
      } catch (err) {
        const error = toSiloError(err);
        const { code, message } = error;
        await log?.append({ kind: 'update-failed', bytes: 0, runId, round, updateDigest, code, message });
        if (code !== 'ERR_UNAVAILABLE' || attempt >= 4 || this.#stopping.signal.aborted) throw error;
        await sleep(backoffDelay(attempt, this.#o.initialDelayMs ?? 500, this.#o.maxDelayMs ?? 30_000));
        continue;
      }
      await this.#recordAccepted(jws, manifest, receipt, deadline);
      return receipt;
    }
  }

  /**
   * Logs the coordinator's acceptance and starts fetching the ledger receipt it owes, once the
   * round (open until `roundDeadlineMs` at the latest) has closed.
   */
  async #recordAccepted(
    jws: FlattenedJws,
    manifest: Omit<UpdateManifest, 'v' | 'keyId'>,
    receipt: Receipt,
    roundDeadlineMs: number,
  ): Promise<void> {
    const log = this.#o.records?.log;
    if (log === undefined) return;
    const { runId, round, updateDigest } = manifest;
    const entryIndex = Number(receipt.entryIndex);
    const record = await log.append({
      kind: 'accepted',
      bytes: 0,
      runId,
      round,
      entryIndex,
      updateDigest,
      duplicate: receipt.duplicate,
      acceptedAt: Number(receipt.acceptedUnixMs),
    });
    this.#receipts?.track(
      { runId, round, entryIndex, updateDigest, manifest: jws, acceptedAtMs: record.at },
      roundDeadlineMs,
    );
  }

  /**
   * Stops reconnecting, waits for the round in progress to finish, stops the receipt loops (a
   * receipt still owed stays pending in the egress log and is fetched after a restart), closes the
   * egress log, and closes the channel.
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#stream?.cancel();
    await this.#loop;
    await this.#tasks;
    await this.#receipts?.stop();
    await this.#o.records?.log.close();
    this.#o.trainer.dispose();
    this.#client.close();
  }
}
