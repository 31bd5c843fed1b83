import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { SiloError, toSiloError, type Logger } from '@silo/common';
import {
  CHALLENGE_TTL_MS,
  DECLINE_TYP,
  JOIN_PROOF_TYP,
  JOIN_PROOF_WINDOW_MS,
  refuseMalformed,
  type DeclineClaims,
  type EvaluationClaims,
  type EvaluationReport,
  toServiceError,
  PacedWriter,
  writeWithBackpressure,
  type FederationHandlers,
  type FetchModelRequest,
  type IModelChunk,
  type JoinRequest,
  type IInstruction,
} from '@silo/protocol';
import { verifySigned, type FlattenedJws, type SigningKey } from '@silo/signing';
import { layoutSize } from '@silo/tensors';
import type { BlobStore } from './blob-store.js';
import type { CoordinatorConfig } from './config.js';
import type { InstructionNotice } from './dispatcher.js';
import type { Enrollment } from './enrollment.js';
import { ModelCache } from './model-cache.js';
import { UpdateIntake } from './update-intake.js';
import { trainInstruction } from './instructions.js';
import { acceptEvaluation, evaluateInstruction } from './evaluations.js';
import { declinedEntry } from './ledger-entries.js';
import type { LedgerReceiptData } from './ledger-writer.js';
import type { RoundEngine } from './rounds.js';
import type { SecureAggregation } from './secagg.js';
import type { AcceptedUpdate, StateStore } from './state.js';

/** Smallest model chunk sent, whatever a worker asks for; the smallest `chunkBytes` allowed. */
const MIN_CHUNK_BYTES = 1024;

/** Options for {@link FederationService}. */
export interface FederationServiceOptions {
  config: CoordinatorConfig;
  state: StateStore;
  blobs: BlobStore;
  enrollment: Enrollment;
  engine: RoundEngine;
  logger: Logger;
  /** Proves an update entry is in the ledger; fails with ERR_UNAVAILABLE where no ledger is held. */
  receipt(index: number, updateDigest: string): Promise<LedgerReceiptData>;
  /** Called after a ledger entry was queued, so this process's writer picks it up at once. */
  ledgerChanged(): void;
  /** The coordinator's key: signs every instruction. */
  key: SigningKey;
  /** The coordinator's half of secure aggregation. */
  secagg: SecureAggregation;
}

/** Events about updates, for tests and metrics. */
export interface UpdateEventSink {
  accepted(update: AcceptedUpdate & { runId: string; round: number }): void;
  evaluated?(claims: EvaluationClaims): void;
  /** Bytes of models sent (`out`) and updates received (`in`). */
  bytes?(direction: 'in' | 'out', count: number): void;
  rejected(rejection: { runId: string; round: number; keyId: string; code: string; reason: string }): void;
}

/** The gRPC side of the coordinator: Join streams, model downloads and update uploads. */
export class FederationService {
  readonly #o: FederationServiceOptions;
  readonly #streams = new Map<string, grpc.ServerWritableStream<unknown, IInstruction>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #events: UpdateEventSink | undefined;
  readonly #models: ModelCache;
  readonly #intake: UpdateIntake;

  constructor(options: FederationServiceOptions) {
    this.#o = options;
    this.#models = new ModelCache(options.blobs, options.config.modelCacheBytes);
    this.#intake = new UpdateIntake(options, () => this.#events);
  }

  /** Receives update events. */
  set events(sink: UpdateEventSink) {
    this.#events = sink;
  }

  /** Number of workers with a Join stream on this process. */
  get connected(): number {
    return this.#streams.size;
  }

  handlers(): FederationHandlers {
    return refuseMalformed({
      join: (call) => {
        this.#join(call).catch((err: unknown) => call.destroy(toSiloError(err)));
      },
      fetchModel: (call) => {
        this.#fetchModel(call).catch((err: unknown) => {
          call.emit('error', toServiceError(err));
        });
      },
      submitUpdate: (call, callback) => {
        this.#intake.submit(call).then(
          (receipt) => callback(null, receipt),
          (err: unknown) => callback(toServiceError(err)),
        );
      },
      reportEvaluation: (call, callback) => {
        this.#reportEvaluation(call).then(
          () => callback(null, {}),
          (err: unknown) => callback(toServiceError(err)),
        );
      },
      getChallenge: (call, callback) => {
        this.#challenge(call.request.keyId).then(
          (challenge) => callback(null, challenge),
          (err: unknown) => callback(toServiceError(err)),
        );
      },
      decline: (call, callback) => {
        this.#decline(call.request.decline as FlattenedJws | null | undefined).then(
          () => callback(null, {}),
          (err: unknown) => callback(toServiceError(err)),
        );
      },
      submitSecAgg: (call, callback) => {
        this.#o.secagg
          .accept(call.request.message as FlattenedJws | null | undefined, (keyId) =>
            this.#checkPeer(call, keyId),
          )
          .then(
            () => callback(null, {}),
            (err: unknown) => callback(toServiceError(err)),
          );
      },
      getReceipt: (call, callback) => {
        const { entryIndex, updateDigest } = call.request;
        this.#o.receipt(Number(entryIndex), updateDigest).then(
          (r) =>
            callback(null, {
              entryIndex: r.index,
              entry: r.entry,
              checkpoint: r.checkpoint.note,
              treeSize: r.checkpoint.size,
              proof: r.proof,
            }),
          (err: unknown) => callback(toServiceError(err)),
        );
      },
    });
  }

  /** Sends the train instruction of a notice if this process holds the worker's stream. */
  async deliver(notice: InstructionNotice): Promise<void> {
    const stream = this.#streams.get(notice.keyId);
    if (stream === undefined) return;
    const instruction =
      notice.kind === 'evaluate'
        ? await evaluateInstruction(this.#o.state, this.#o.key, notice.runId, notice.round, notice.keyId)
        : notice.kind === 'secagg'
          ? await this.#o.secagg.stepInstruction(notice.runId, notice.round, notice.keyId)
          : await this.#trainInstruction(notice.runId, notice.round, notice.keyId);
    if (instruction !== undefined) await writeWithBackpressure(stream, instruction);
  }

  /** A worker's signed report on a checkpoint: checked, recorded and logged. */
  async #reportEvaluation(call: grpc.ServerUnaryCall<EvaluationReport, unknown>): Promise<void> {
    const claims = await acceptEvaluation(
      this.#o.state,
      call.request.report as FlattenedJws | null | undefined,
      (kid) => this.#o.enrollment.activeKey(kid),
      (keyId) => this.#checkPeer(call, keyId),
    );
    if (claims === undefined) return;
    this.#o.ledgerChanged();
    this.#o.logger.info(
      { runId: claims.runId, round: claims.round, keyId: claims.keyId, accuracy: claims.accuracy },
      'evaluation reported',
    );
    this.#events?.evaluated?.(claims);
  }

  /** Ends every Join stream (on shutdown). */
  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    for (const stream of this.#streams.values()) stream.end();
    this.#streams.clear();
  }

  async #join(call: grpc.ServerWritableStream<JoinRequest, IInstruction>): Promise<void> {
    const request = call.request;
    let keyId: string;
    try {
      keyId = await this.#verifyJoin(request);
    } catch (err) {
      this.#o.logger.warn({ err: toSiloError(err).message, keyId: request.keyId }, 'join refused');
      call.emit('error', toServiceError(err));
      return;
    }
    try {
      this.#checkPeer(call, keyId);
    } catch (err) {
      this.#o.logger.warn({ err: toSiloError(err).message, keyId }, 'join refused');
      call.emit('error', toServiceError(err));
      return;
    }
    const previous = this.#streams.get(keyId);
    if (previous !== undefined) previous.end();
    this.#streams.set(keyId, call);
    const online = {
      keyId,
      name: request.name,
      backend: request.backend,
      numExamples: Number(request.numExamples),
      lastSeen: Date.now(),
    };
    await this.#o.state.markOnline(online);
    this.#o.logger.info({ keyId, name: request.name, backend: request.backend }, 'worker joined');
    const ping = setInterval(() => {
      online.lastSeen = Date.now();
      call.write({ ping: { unixMs: online.lastSeen } });
      this.#o.state.markOnline(online).catch(() => undefined);
    }, this.#o.config.pingIntervalMs);
    this.#timers.add(ping);
    const leave = (): void => {
      clearInterval(ping);
      this.#timers.delete(ping);
      if (this.#streams.get(keyId) !== call) return;
      this.#streams.delete(keyId);
      this.#o.state.markOffline(keyId).catch(() => undefined);
      this.#o.logger.info({ keyId }, 'worker left');
    };
    call.on('cancelled', leave);
    call.on('close', leave);
    call.on('error', leave);
    call.write({ ping: { unixMs: Date.now() } });
    await this.#resendOpenInstructions(keyId, call);
  }

  /**
   * Over mTLS, the client certificate must be the one issued to the worker the key is enrolled
   * as (certificate CN = enrolled name), so a certificate and a key from two different owners
   * cannot be combined. Plain-text deployments carry no certificate to check.
   */
  #checkPeer(call: Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext'>, keyId: string): void {
    const certificate = call.getAuthContext().sslPeerCertificate;
    if (certificate === undefined) return;
    const worker = this.#o.enrollment.registry.get(keyId);
    const cn = certificate.subject.CN;
    if (worker === undefined || cn !== worker.name) {
      throw new SiloError(
        'ERR_UNAUTHENTICATED',
        `client certificate is issued to '${String(cn).slice(0, 200)}', but key ${keyId.slice(0, 64)} is enrolled as '${worker?.name ?? '(none)'}'`,
      );
    }
  }

  /** A fresh single-use challenge for an enrolled, unrevoked key. */
  async #challenge(keyId: string): Promise<{ challenge: string; expiresUnixMs: number }> {
    if (this.#o.enrollment.activeKey(keyId) === undefined) {
      throw new SiloError('ERR_UNKNOWN_KEY', `key ${keyId.slice(0, 64)} is not enrolled, or was revoked`);
    }
    const challenge = randomBytes(24).toString('base64url');
    await this.#o.state.issueChallenge(keyId, challenge, CHALLENGE_TTL_MS);
    return { challenge, expiresUnixMs: Date.now() + CHALLENGE_TTL_MS };
  }

  /**
   * A Join must carry a JWS by an enrolled key over a challenge this coordinator issued to that
   * key and has not seen used, signed within the window: a captured proof cannot be replayed.
   */
  async #verifyJoin(request: JoinRequest): Promise<string> {
    if (request.proof === null || request.proof === undefined) {
      throw new SiloError('ERR_UNAUTHENTICATED', 'join request carries no proof of key possession');
    }
    const { keyId, payload } = await verifySigned(request.proof as FlattenedJws, JOIN_PROOF_TYP, (kid) =>
      this.#o.enrollment.activeKey(kid),
    );
    const claims = payload as { kid?: unknown; iat?: unknown; challenge?: unknown };
    if (claims.kid !== keyId || keyId !== request.keyId) {
      throw new SiloError('ERR_UNAUTHENTICATED', 'join proof names another key');
    }
    if (typeof claims.iat !== 'number' || Math.abs(Date.now() - claims.iat) > JOIN_PROOF_WINDOW_MS) {
      throw new SiloError(
        'ERR_UNAUTHENTICATED',
        'join proof is too old or from the future; check the worker clock',
      );
    }
    if (
      typeof claims.challenge !== 'string' ||
      !(await this.#o.state.takeChallenge(keyId, claims.challenge))
    ) {
      throw new SiloError(
        'ERR_UNAUTHENTICATED',
        'join proof does not answer a live challenge issued to this key (expired, or already used)',
      );
    }
    return keyId;
  }

  /** Records a worker's signed refusal of its instruction, and lets the round be judged without it. */
  async #decline(jws: FlattenedJws | null | undefined): Promise<void> {
    if (jws === null || jws === undefined)
      throw new SiloError('ERR_BAD_INPUT', 'decline carries no signed claims');
    const { keyId, payload } = await verifySigned(jws, DECLINE_TYP, (kid) =>
      this.#o.enrollment.activeKey(kid),
    );
    const claims = payload as Partial<DeclineClaims>;
    if (
      claims.keyId !== keyId ||
      typeof claims.runId !== 'string' ||
      typeof claims.round !== 'number' ||
      typeof claims.nonce !== 'string' ||
      typeof claims.code !== 'string' ||
      !/^ERR_[A-Z_]{1,60}$/.test(claims.code) ||
      typeof claims.reason !== 'string' ||
      claims.reason.length > 1024
    ) {
      throw new SiloError(
        'ERR_BAD_INPUT',
        'decline claims are malformed: need runId, round, nonce, keyId, code, reason',
      );
    }
    const nonce = await this.#o.state.nonceFor(claims.runId, claims.round, keyId);
    if (nonce === undefined || nonce !== claims.nonce) {
      throw new SiloError('ERR_BAD_NONCE', `no instruction with this nonce was issued to ${keyId}`);
    }
    const { runId, round, code, reason } = claims as DeclineClaims;
    const entry = declinedEntry({ runId, round, keyId, code, reason }, jws, Date.now());
    if (!(await this.#o.state.recordDecline(runId, round, keyId, entry))) return;
    this.#o.ledgerChanged();
    this.#o.logger.warn({ runId, round, keyId, code, reason }, 'worker declined its instruction');
    await this.#o.engine.onDeclined(runId, round, keyId);
  }

  /** A worker that (re)joins picks up any instruction still open for it. */
  async #resendOpenInstructions(
    keyId: string,
    call: grpc.ServerWritableStream<unknown, IInstruction>,
  ): Promise<void> {
    for (const runId of await this.#o.state.listRuns()) {
      const run = await this.#o.state.getRun(runId);
      if (run.status !== 'running') continue;
      const instruction = await this.#trainInstruction(runId, run.round, keyId);
      if (instruction !== undefined) await writeWithBackpressure(call, instruction);
      // A worker that lost its stream mid-round still holds its secure-aggregation keys.
      if (run.config.secureAggregation === undefined) continue;
      const step = await this.#o.secagg.stepInstruction(runId, run.round, keyId);
      if (step !== undefined) await writeWithBackpressure(call, step);
    }
  }

  #trainInstruction(runId: string, round: number, keyId: string): Promise<IInstruction | undefined> {
    return trainInstruction(this.#o.state, this.#o.key, runId, round, keyId, (r, n, k) =>
      this.#o.secagg.instructionFields(r, n, k),
    );
  }

  async #fetchModel(call: grpc.ServerWritableStream<FetchModelRequest, IModelChunk>): Promise<void> {
    const { runId, round, keyId } = call.request;
    if (this.#o.enrollment.activeKey(keyId) === undefined) {
      throw new SiloError('ERR_UNKNOWN_KEY', `key ${keyId.slice(0, 64)} is not enrolled`);
    }
    this.#checkPeer(call, keyId);
    const run = await this.#o.state.getRun(runId);
    const digest = call.request.evaluation
      ? await this.#evaluationCheckpoint(runId, round, keyId)
      : (await this.#o.state.roundHead(runId, round))?.base;
    if (digest === undefined)
      throw new SiloError('ERR_NOT_FOUND', `round ${round} of run ${runId} has not opened`);
    // The worker may ask for smaller chunks, not for tiny ones: one byte per message would turn
    // a download into millions of messages.
    const requested = call.request.chunkBytes > 0 ? call.request.chunkBytes : Infinity;
    const size = Math.min(this.#o.config.chunkBytes, Math.max(MIN_CHUNK_BYTES, requested));
    const totalBytes = layoutSize(run.layout) * 4;
    const writer = new PacedWriter<IModelChunk>(call);
    const header: IModelChunk = { header: { digest, totalBytes, layout: run.layout, chunkBytes: size } };
    const cached = this.#models.get(digest, totalBytes);
    if (cached !== undefined) {
      const bytes = await cached;
      if (bytes.byteLength !== totalBytes) {
        throw new SiloError(
          'ERR_INTERNAL',
          `checkpoint ${digest} holds ${bytes.byteLength} bytes; the layout of run ${runId} needs ${totalBytes}`,
        );
      }
      await writer.write(header);
      for (let sent = 0; sent < totalBytes; sent += size) {
        const chunk = bytes.subarray(sent, Math.min(sent + size, totalBytes));
        await writer.write({ data: chunk });
        this.#events?.bytes?.('out', chunk.byteLength);
      }
      await writer.flush();
    } else {
      await this.#streamFromDisk(digest, totalBytes, size, header, writer);
    }
    // A round's traffic is its training downloads; an evaluation downloads a closed round's checkpoint.
    if (!call.request.evaluation) await this.#o.state.addRoundBytes(runId, round, 'out', totalBytes);
    call.end();
  }

  /**
   * Sends a checkpoint too large for the model cache: read from disk a chunk at a time, hashed on
   * the way, and paced, so the next chunk is read while the previous one is sent and no more.
   * Many workers downloading a large model at once cost two or three chunks each, not one model
   * each (nor the 16 grpc-js would queue per call).
   */
  async #streamFromDisk(
    digest: string,
    totalBytes: number,
    size: number,
    header: IModelChunk,
    writer: PacedWriter<IModelChunk>,
  ): Promise<void> {
    const reader = await this.#o.blobs.openReader(digest);
    try {
      await writer.write(header);
      // Two buffers taken in turn: a buffer is read into again only once the write after its
      // own has returned, by which time its message has been serialized and sent. Allocating
      // per chunk instead leaves a model's worth of garbage per download for the collector.
      const buffers = [
        new Uint8Array(Math.min(size, totalBytes)),
        new Uint8Array(Math.min(size, totalBytes)),
      ];
      for (let sent = 0, k = 0; sent < totalBytes; sent += size, k ^= 1) {
        const chunk = buffers[k]!.subarray(0, Math.min(size, totalBytes - sent));
        await reader.nextBytes(chunk);
        await writer.write({ data: chunk });
        this.#events?.bytes?.('out', chunk.byteLength);
      }
      // A blob changed on disk is refused before the stream ends well; the worker checks the
      // digest of what it received too.
      await reader.verify();
      await writer.flush();
    } finally {
      await reader.close();
    }
  }

  /** The checkpoint a worker sampled for the evaluation of round `round` may download. */
  async #evaluationCheckpoint(runId: string, round: number, keyId: string): Promise<string> {
    const record = await this.#o.state.getEvaluation(runId, round);
    if (record === undefined || !record.sampled.includes(keyId))
      throw new SiloError(
        'ERR_NOT_FOUND',
        `no evaluation of round ${round} of run ${runId} is open for ${keyId}`,
      );
    return record.checkpoint;
  }
}
