import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import {
  JOIN_PROOF_TYP,
  createFederationClient,
  writeWithBackpressure,
  type FederationClient,
  type IUpdatePart,
  type Instruction,
  type TrainInstruction,
} from '@silo/protocol';
import { signManifest, type SigningKey } from '@silo/signing';
import { chunkBytes, fromCanonicalBytes, sha256Hex, toCanonicalBytes } from '@silo/tensors';
import { fetchModel, uploadUpdate } from '@silo/worker';

/** A worker driven by the test, so it can hold back its update and send hostile ones. */
export class ManualWorker extends EventEmitter<{ train: [TrainInstruction] }> {
  readonly client: FederationClient;
  #stream: grpc.ClientReadableStream<Instruction> | undefined;

  constructor(
    address: string,
    readonly key: SigningKey,
  ) {
    super();
    this.client = createFederationClient(address, grpc.credentials.createInsecure());
  }

  /** The Join stream, once {@link join} has opened it. */
  get stream(): grpc.ClientReadableStream<Instruction> | undefined {
    return this.#stream;
  }

  /** A fresh Join challenge from the coordinator. */
  challenge(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.client.getChallenge({ keyId: this.key.keyId }, { deadline: Date.now() + 10_000 }, (err, value) =>
        err === null && value !== undefined
          ? resolve(value.challenge)
          : reject(err ?? new Error('no challenge')),
      );
    });
  }

  /** Joins with a proof over `challenge` (default: a fresh one). */
  async join(challenge?: string): Promise<void> {
    const proof = await this.key.sign(JOIN_PROOF_TYP, {
      kid: this.key.keyId,
      name: 'manual',
      challenge: challenge ?? (await this.challenge()),
      iat: Date.now(),
    });
    this.#stream = this.client.join({
      keyId: this.key.keyId,
      proof,
      name: 'manual',
      backend: 'none',
      numExamples: 100,
    });
    this.#stream.on('data', (instruction: Instruction) => {
      if (instruction.train) this.emit('train', instruction.train as TrainInstruction);
    });
    this.#stream.on('error', () => undefined);
  }

  /** Submits a zero delta (or `tamper`ed bytes) with a manifest whose fields can be overridden. */
  async submit(
    train: TrainInstruction,
    options: { key?: SigningKey; round?: number; nonce?: string; tamper?: boolean; fill?: number } = {},
  ) {
    const deadline = Date.now() + 30_000;
    const model = await fetchModel(
      this.client,
      { runId: train.runId, round: train.round, keyId: this.key.keyId },
      { deadline, maxBytes: 1e8 },
    );
    const delta = new Float32Array(fromCanonicalBytes(model.bytes).length).fill(options.fill ?? 0);
    const bytes = toCanonicalBytes(delta);
    const manifest = await signManifest(options.key ?? this.key, {
      runId: train.runId,
      round: options.round ?? train.round,
      baseDigest: train.baseDigest,
      updateDigest: sha256Hex(bytes),
      updateBytes: bytes.byteLength,
      numExamples: 100,
      metrics: { loss: 1, accuracy: 0.5 },
      nonce: options.nonce ?? train.nonce,
      issuedAt: Date.now(),
    });
    const sent = options.tamper === true ? Uint8Array.from(bytes) : bytes;
    if (options.tamper === true) sent[sent.length - 1] = (sent[sent.length - 1] ?? 0) ^ 0x01;
    return uploadUpdate(this.client, manifest, sent, { deadline, chunkBytes: 64 * 1024 });
  }

  /**
   * Starts uploading a valid update and goes away after `chunks` chunks, as a worker killed
   * mid-upload does. Resolves with the digest of the update it never finished.
   */
  async submitPartial(train: TrainInstruction, chunks: number): Promise<string> {
    const deadline = Date.now() + 30_000;
    const model = await fetchModel(
      this.client,
      { runId: train.runId, round: train.round, keyId: this.key.keyId },
      { deadline, maxBytes: 1e8 },
    );
    const bytes = toCanonicalBytes(new Float32Array(fromCanonicalBytes(model.bytes).length).fill(0.25));
    const digest = sha256Hex(bytes);
    const manifest = await signManifest(this.key, {
      runId: train.runId,
      round: train.round,
      baseDigest: train.baseDigest,
      updateDigest: digest,
      updateBytes: bytes.byteLength,
      numExamples: 100,
      metrics: { loss: 1 },
      nonce: train.nonce,
      issuedAt: Date.now(),
    });
    const answered = new Promise<void>((resolve) => {
      const call = this.client.submitUpdate({ deadline }, () => resolve());
      void (async () => {
        await writeWithBackpressure<IUpdatePart>(call, { manifest });
        let sent = 0;
        for (const chunk of chunkBytes(bytes, 64 * 1024)) {
          if (sent++ === chunks) break;
          await writeWithBackpressure<IUpdatePart>(call, { data: chunk });
        }
        call.cancel();
      })();
    });
    await answered;
    return digest;
  }

  close(): void {
    this.#stream?.cancel();
    this.client.close();
  }
}
