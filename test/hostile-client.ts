import { EventEmitter } from 'node:events';
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { FlattenedSign, importJWK } from 'jose';
import protobuf from 'protobufjs/minimal.js';
import { type SiloErrorCode } from '@silo/common';
import { Coordinator, type CoordinatorConfig } from '@silo/coordinator';
import type { Dataset } from '@silo/data';
import { parseVerifierKey } from '@silo/ledger';
import {
  ERROR_CODE_METADATA_KEY,
  JOIN_PROOF_TYP,
  createFederationClient,
  federationService,
  fromServiceError,
  pb,
  writeWithBackpressure,
  type Challenge,
  type FederationClient,
  type IUpdatePart,
  type Instruction,
  type TrainInstruction,
} from '@silo/protocol';
import {
  generateKeyPair,
  signingKeyFromJwk,
  type FlattenedJws,
  type PrivateJwk,
  type SigningKey,
} from '@silo/signing';
import { Trainer, Worker } from '@silo/worker';
import { cleanRedis, coordinatorConfig, nextEvent, quietLogger, tempDir, uniquePrefix } from './helpers.js';

/** A Federation method, by its key in `federationService`. */
export type MethodName = keyof typeof federationService;

/** How the coordinator answered one call. */
export type Outcome =
  | { kind: 'ok'; messages: Buffer[] }
  | {
      kind: 'refused';
      /** The Silo code, as `fromServiceError` reads it. */
      code: SiloErrorCode;
      /** True when the code travelled in the `silo-error-code` metadata, not guessed from the status. */
      carried: boolean;
      /** The gRPC status (or, for the HTTP API, the HTTP status). */
      status: number;
      details: string;
    };

/** Options of one raw call. */
export interface RawCallOptions {
  /** Deadline of the call, from now. */
  timeoutMs: number;
  /** For server-streaming methods: cancel (and count as answered) after this many messages. */
  maxMessages?: number;
}

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * A client that sends arbitrary bytes to any Federation method, bypassing the generated
 * encoders, so a test can send what no honest worker would. Every call has a deadline.
 */
export class RawFederationClient {
  readonly #client: grpc.Client;

  constructor(address: string, options: grpc.ClientOptions = {}) {
    this.#client = new grpc.Client(address, grpc.credentials.createInsecure(), options);
  }

  /** Sends `parts` (one message unless the method streams requests) and reports the answer. */
  call(method: MethodName, parts: readonly Uint8Array[], options: RawCallOptions): Promise<Outcome> {
    const definition = federationService[method];
    const deadline = Date.now() + options.timeoutMs;
    if (definition.requestStream) return this.#clientStream(definition.path, parts, deadline);
    const request = Buffer.from(parts[0] ?? new Uint8Array(0));
    if (definition.responseStream)
      return this.#serverStream(definition.path, request, deadline, options.maxMessages);
    return new Promise((resolve) => {
      this.#client.makeUnaryRequest(
        definition.path,
        identity,
        identity,
        request,
        { deadline },
        (err, value) =>
          resolve(err === null ? { kind: 'ok', messages: value === undefined ? [] : [value] } : refused(err)),
      );
    });
  }

  #serverStream(path: string, request: Buffer, deadline: number, maxMessages = Infinity): Promise<Outcome> {
    return new Promise((resolve) => {
      const messages: Buffer[] = [];
      let settled = false;
      const settle = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      const stream = this.#client.makeServerStreamRequest(path, identity, identity, request, { deadline });
      stream.on('data', (message: Buffer) => {
        messages.push(message);
        if (messages.length >= maxMessages) {
          settle({ kind: 'ok', messages });
          stream.cancel();
        }
      });
      stream.on('error', (err) => settle(refused(err)));
      stream.on('end', () => settle({ kind: 'ok', messages }));
    });
  }

  async #clientStream(path: string, parts: readonly Uint8Array[], deadline: number): Promise<Outcome> {
    let call: grpc.ClientWritableStream<Buffer> | undefined;
    const answered = new Promise<Outcome>((resolve) => {
      call = this.#client.makeClientStreamRequest(path, identity, identity, { deadline }, (err, value) =>
        resolve(err === null ? { kind: 'ok', messages: value === undefined ? [] : [value] } : refused(err)),
      );
    });
    const stream = call;
    if (stream === undefined) throw new Error('makeClientStreamRequest did not start a call');
    try {
      for (const part of parts) await writeWithBackpressure(stream, Buffer.from(part));
      stream.end();
    } catch {
      // The coordinator answered before reading everything: its status says why.
    }
    return answered;
  }

  close(): void {
    this.#client.close();
  }
}

function refused(err: unknown): Outcome {
  const serviceError = err as grpc.ServiceError;
  const error = fromServiceError(err);
  return {
    kind: 'refused',
    code: error.code,
    carried: serviceError.metadata?.get(ERROR_CODE_METADATA_KEY).length > 0,
    status: serviceError.code,
    details: serviceError.details ?? '',
  };
}

/** The bytes of one `UpdatePart`. */
export function encodeUpdatePart(part: IUpdatePart): Uint8Array {
  return pb.UpdatePart.encode(part).finish();
}

/**
 * An `UpdatePart` carrying a manifest in flattened JSON with an unprotected `header` member,
 * as field 4 of `FlattenedJws`: the proto has no such field, so only a hand-built message can
 * carry it.
 */
export function encodeManifestWithUnprotectedHeader(jws: FlattenedJws, header: object): Uint8Array {
  const inner = protobuf.Writer.create();
  pb.FlattenedJws.encode(jws, inner);
  inner.uint32((4 << 3) | 2).string(JSON.stringify(header));
  const body = inner.finish();
  return protobuf.Writer.create()
    .uint32((1 << 3) | 2)
    .bytes(body)
    .finish();
}

const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');

/** A JWS with protected header `{ alg: 'none', ... }` and an empty signature. */
export function algNoneJws(kid: string, typ: string, payload: object): FlattenedJws {
  return {
    protected: b64(JSON.stringify({ alg: 'none', kid, typ })),
    payload: b64(JSON.stringify(payload)),
    signature: '',
  };
}

/**
 * A JWS "signed" with HS256 using the signer's public key as the HMAC secret: the classic
 * algorithm confusion, which a verifier that lets the header choose the algorithm accepts.
 */
export function hs256WithPublicKeyJws(key: SigningKey, typ: string, payload: object): FlattenedJws {
  const protectedHeader = b64(JSON.stringify({ alg: 'HS256', kid: key.keyId, typ }));
  const body = b64(JSON.stringify(payload));
  const secret = Buffer.from(key.publicJwk.x, 'base64url');
  const signature = createHmac('sha256', secret).update(`${protectedHeader}.${body}`).digest();
  return { protected: protectedHeader, payload: body, signature: b64(signature) };
}

/**
 * A genuine Ed25519 signature whose `alg` sits in the unprotected header: the protected header
 * holds only `kid` and `typ`.
 */
export async function unprotectedAlgJws(
  privateJwk: PrivateJwk,
  kid: string,
  typ: string,
  payload: object,
): Promise<{ jws: FlattenedJws; header: { alg: string } }> {
  const key = await importJWK({ ...privateJwk }, 'EdDSA');
  const signed = await new FlattenedSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ kid, typ })
    .setUnprotectedHeader({ alg: 'EdDSA' })
    .sign(key);
  return {
    jws: { protected: signed.protected ?? '', payload: signed.payload, signature: signed.signature },
    header: { alg: 'EdDSA' },
  };
}

/** A worker the test drives: it joins (answering a challenge) and reports its train instructions. */
export class JoinedWorker extends EventEmitter<{ train: [TrainInstruction] }> {
  readonly client: FederationClient;
  #stream: grpc.ClientReadableStream<Instruction> | undefined;

  constructor(
    address: string,
    readonly key: SigningKey,
  ) {
    super();
    this.client = createFederationClient(address, grpc.credentials.createInsecure());
  }

  /** Joins; resolves once the coordinator sent the first message of the Join stream. */
  async join(name: string): Promise<void> {
    const { challenge } = await new Promise<Challenge>((resolve, reject) => {
      this.client.getChallenge({ keyId: this.key.keyId }, { deadline: Date.now() + 10_000 }, (err, value) =>
        err === null && value !== undefined ? resolve(value) : reject(fromServiceError(err)),
      );
    });
    const proof = await this.key.sign(JOIN_PROOF_TYP, {
      kid: this.key.keyId,
      name,
      challenge,
      iat: Date.now(),
    });
    const stream = this.client.join({
      keyId: this.key.keyId,
      proof,
      name,
      backend: 'none',
      numExamples: 100,
    });
    this.#stream = stream;
    await new Promise<void>((resolve, reject) => {
      stream.once('data', () => resolve());
      stream.once('error', (err) => reject(fromServiceError(err)));
      stream.on('data', (instruction: Instruction) => {
        if (instruction.train !== null && instruction.train !== undefined)
          this.emit('train', instruction.train as TrainInstruction);
      });
    });
    stream.on('error', () => undefined);
  }

  close(): void {
    this.#stream?.cancel();
    this.client.close();
  }
}

/**
 * Resolves as `promise` does, or rejects naming `what` once `ms` have passed: a step that never
 * happens fails with its name instead of a bare test timeout.
 */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A key the test holds in full, so it can also sign what `SigningKey` never would. */
export interface TestKey {
  key: SigningKey;
  privateJwk: PrivateJwk;
}

/** A fresh Ed25519 key. */
export async function freshKey(): Promise<TestKey> {
  const pair = await generateKeyPair();
  return { key: await signingKeyFromJwk(pair.privateJwk), privateJwk: pair.privateJwk };
}

/**
 * A coordinator on loopback (plain-text gRPC, real Redis under a unique prefix) with a set of
 * enrolled keys, and the honest workers started on it; `stop` closes everything and cleans up.
 */
export class Deployment {
  readonly prefix = uniquePrefix();
  readonly keys = new Map<string, TestKey>();
  readonly #workers: Worker[] = [];
  readonly #closers: Array<() => void> = [];
  #cleanup: () => Promise<void> = () => Promise.resolve();
  coordinator!: Coordinator;

  /**
   * Starts the coordinator with a fresh key enrolled for each of `names`. The keys are enrolled
   * through the configuration, at start: enrolling them one after another on the running
   * coordinator races its reload of the registry and can lose a key.
   */
  async start(names: readonly string[], config: Partial<CoordinatorConfig> = {}): Promise<void> {
    const { dir, cleanup } = await tempDir();
    this.#cleanup = cleanup;
    const workers: CoordinatorConfig['workers'] = [];
    for (const name of names) {
      const key = await freshKey();
      const publicKeyFile = join(dir, `${name}.public.json`);
      await writeFile(publicKeyFile, JSON.stringify(key.key.publicJwk));
      workers.push({ name, org: 'test', publicKeyFile });
      this.keys.set(name, key);
    }
    this.coordinator = await Coordinator.start({
      config: coordinatorConfig({
        // Plain text: the raw clients dial without TLS (mTLS is covered by test/mtls*).
        insecure: true,
        prefix: this.prefix,
        dataDir: join(dir, 'coordinator'),
        apiToken: 'hostile-bootstrap-0123456789',
        ledgerName: 'silo-hostile',
        workers,
        chunkBytes: 64 * 1024,
        maxUpdateBytes: 8 * 1024 * 1024,
        pingIntervalMs: 1_000,
        ...config,
      }),
      logger: quietLogger,
    });
  }

  key(name: string): TestKey {
    const key = this.keys.get(name);
    if (key === undefined) throw new Error(`no key named ${name}`);
    return key;
  }

  /** Starts an honest worker for `name` and resolves once it joined. */
  async honestWorker(name: string, trainer: Trainer | Dataset): Promise<Worker> {
    const worker = new Worker({
      coordinator: this.coordinator.grpcAddress,
      credentials: grpc.credentials.createInsecure(),
      name,
      key: this.key(name).key,
      trainer: trainer instanceof Trainer ? trainer : new Trainer(trainer),
      backend: 'test',
      logger: quietLogger,
      initialDelayMs: 50,
      maxDelayMs: 500,
      coordinatorKey: parseVerifierKey(this.coordinator.key.verifierKey),
    });
    this.#workers.push(worker);
    const joined = nextEvent(worker, 'joined');
    worker.start();
    await within(20_000, `honest worker ${name} joining`, joined);
    return worker;
  }

  /** Something `stop` must close first (a client, a worker the test drives). */
  onStop(close: () => void): void {
    this.#closers.push(close);
  }

  async stop(): Promise<void> {
    for (const close of this.#closers) close();
    await Promise.all(this.#workers.map((w) => w.stop()));
    await this.coordinator?.close();
    await cleanRedis(this.prefix);
    await this.#cleanup();
  }
}
