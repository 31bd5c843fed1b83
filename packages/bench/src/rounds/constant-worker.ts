import * as grpc from '@grpc/grpc-js';
import { SiloError } from '@silo/common';
import {
  JOIN_PROOF_TYP,
  createFederationClient,
  fromServiceError,
  pb,
  type FederationClient,
  type Instruction,
  type ModelChunk,
  type TrainInstruction,
} from '@silo/protocol';
import { signManifest, type SigningKey } from '@silo/signing';
import { sha256Hex } from '@silo/tensors';
import { uploadUpdate } from '@silo/worker';

/** The update every worker sends: the same bytes, hashed once. */
export interface ConstantUpdate {
  /** Canonical bytes (float32 little-endian) of the delta. */
  readonly bytes: Uint8Array;
  /** SHA-256 (hex) of {@link bytes}. */
  readonly digest: string;
}

/** The {@link ConstantUpdate} of `delta`. */
export function constantUpdate(bytes: Uint8Array): ConstantUpdate {
  return { bytes, digest: sha256Hex(bytes) };
}

/** Options of {@link ConstantWorker}. */
export interface ConstantWorkerOptions {
  /** `host:port` of the coordinator's plain-text federation plane. */
  readonly address: string;
  readonly key: SigningKey;
  readonly name: string;
  readonly update: ConstantUpdate;
}

/** Deadline of the Join challenge request. */
const CHALLENGE_DEADLINE_MS = 15_000;
/** How long a Join may take to be acknowledged (the coordinator's first ping). */
const JOIN_TIMEOUT_MS = 30_000;

/**
 * A worker that does everything a worker does on the wire and nothing else: it joins with a
 * signed proof, and for each train instruction downloads the global model (counting the bytes,
 * keeping none), signs a manifest for its constant update and uploads it. "Training" costs
 * nothing, so a round's time is the orchestration's.
 *
 * It does not verify the instruction's signature nor hash the download (a real worker does
 * both): the bench measures the coordinator, and many workers share one process here.
 */
export class ConstantWorker {
  readonly #o: ConstantWorkerOptions;
  readonly #client: FederationClient;
  #stream: grpc.ClientReadableStream<Instruction> | undefined;
  /** Rounds already handled, as `runId/round`: an instruction can be delivered twice. */
  readonly #handled = new Set<string>();
  /** Instructions run one after another, in the order they came. */
  #queue: Promise<void> = Promise.resolve();
  #closing = false;
  #failure: Error | undefined;
  /** Bytes of model data downloaded so far. */
  downloadedBytes = 0;
  /** Updates accepted so far. */
  acceptedUpdates = 0;

  constructor(options: ConstantWorkerOptions) {
    this.#o = options;
    // A connection of its own, as separate workers have, instead of grpc-js's shared subchannel.
    this.#client = createFederationClient(options.address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /** The first error the worker met, if any; a failing worker would stall its round. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Joins: resolves once the coordinator acknowledged the Join stream with its first message. */
  async join(): Promise<void> {
    const { key, name } = this.#o;
    const challenge = await new Promise<string>((resolve, reject) => {
      this.#client.getChallenge(
        { keyId: key.keyId },
        { deadline: Date.now() + CHALLENGE_DEADLINE_MS },
        (err, value) =>
          err === null && value !== undefined
            ? resolve(value.challenge)
            : reject(fromServiceError(err ?? new SiloError('ERR_STREAM', 'no challenge'))),
      );
    });
    const proof = await key.sign(JOIN_PROOF_TYP, { kid: key.keyId, name, challenge, iat: Date.now() });
    const stream = this.#client.join({ keyId: key.keyId, proof, name, backend: 'none', numExamples: 100 });
    this.#stream = stream;
    const acknowledged = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SiloError('ERR_TIMEOUT', `${name}: the coordinator did not acknowledge the join`)),
        JOIN_TIMEOUT_MS,
      );
      stream.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      stream.once('error', (err: Error) => {
        clearTimeout(timer);
        reject(fromServiceError(err));
      });
    });
    stream.on('data', (instruction: Instruction) => {
      // A decoded message carries every field (proto3 defaults), so the decoded type holds.
      if (instruction.train instanceof pb.TrainInstruction) this.#enqueue(instruction.train);
    });
    stream.on('error', (err: Error) => {
      if (!this.#closing) this.#fail(fromServiceError(err));
    });
    await acknowledged;
  }

  /** Leaves: cancels the Join stream and closes the connection. */
  close(): void {
    this.#closing = true;
    this.#stream?.cancel();
    this.#client.close();
  }

  #fail(err: unknown): void {
    this.#failure ??= err instanceof Error ? err : new Error(String(err));
  }

  #enqueue(train: TrainInstruction): void {
    const round = `${train.runId}/${train.round}`;
    if (this.#handled.has(round)) return;
    this.#handled.add(round);
    this.#queue = this.#queue.then(() => this.#train(train)).catch((err: unknown) => this.#fail(err));
  }

  async #train(train: TrainInstruction): Promise<void> {
    const { key, update } = this.#o;
    const deadline = Number(train.deadlineUnixMs);
    await this.#download(train, deadline);
    const manifest = await signManifest(key, {
      runId: train.runId,
      round: train.round,
      baseDigest: train.baseDigest,
      updateDigest: update.digest,
      updateBytes: update.bytes.byteLength,
      numExamples: 100,
      metrics: { loss: 1 },
      nonce: train.nonce,
      issuedAt: Date.now(),
    });
    await uploadUpdate(this.#client, manifest, update.bytes, { deadline });
    this.acceptedUpdates += 1;
  }

  /** Streams the round's global model and discards it, checking only its length. */
  async #download(train: TrainInstruction, deadline: number): Promise<void> {
    const stream = this.#client.fetchModel(
      { runId: train.runId, round: train.round, keyId: this.#o.key.keyId },
      { deadline },
    );
    let expected: number | undefined;
    let received = 0;
    try {
      for await (const message of stream as AsyncIterable<ModelChunk>) {
        if (message.header !== null && message.header !== undefined)
          expected = Number(message.header.totalBytes);
        else if (message.data !== null && message.data !== undefined) received += message.data.length;
      }
    } catch (err) {
      stream.cancel();
      throw fromServiceError(err);
    }
    if (received !== expected) {
      throw new SiloError(
        'ERR_STREAM',
        `model stream of round ${train.round} carried ${received} bytes, its header said ${expected}`,
      );
    }
    this.downloadedBytes += received;
  }
}
