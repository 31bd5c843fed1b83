/**
 * Hostile input against a live coordinator while two honest workers complete a round.
 *
 * Every case is refused with the code below, the coordinator keeps answering, and the honest
 * round closes with exactly the two honest updates. Codes are distinct across classes, except
 * where noted.
 *
 * | class     | case                                                  | sent to        | code                |
 * |-----------|-------------------------------------------------------|----------------|---------------------|
 * | encoding  | bytes that are not an UpdatePart                      | SubmitUpdate   | ERR_BAD_INPUT       |
 * | encoding  | bytes that are not a FetchModelRequest                | FetchModel     | ERR_BAD_INPUT       |
 * | encoding  | bytes that are not a JoinRequest                      | Join           | ERR_BAD_INPUT       |
 * | encoding  | a valid manifest, then a data part that does not decode | SubmitUpdate | ERR_BAD_INPUT       |
 * | values    | NaN in the update                                     | SubmitUpdate   | ERR_BAD_INPUT (1)   |
 * | values    | +Infinity in the update                               | SubmitUpdate   | ERR_BAD_INPUT (1)   |
 * | framing   | an UpdatePart with neither manifest nor data          | SubmitUpdate   | ERR_STREAM          |
 * | framing   | an empty stream                                       | SubmitUpdate   | ERR_STREAM          |
 * | framing   | fewer bytes than declared                             | SubmitUpdate   | ERR_STREAM          |
 * | size      | more bytes than declared                              | SubmitUpdate   | ERR_TOO_LARGE       |
 * | size      | a declared size over maxUpdateBytes                   | SubmitUpdate   | ERR_TOO_LARGE       |
 * | size      | one message over the 4 MiB gRPC receive limit         | SubmitUpdate   | ERR_TOO_LARGE (2)   |
 * | integrity | bytes that do not match the signed digest             | SubmitUpdate   | ERR_DIGEST_MISMATCH |
 * | shape     | a byte count the model's layout does not have         | SubmitUpdate   | ERR_SHAPE_MISMATCH  |
 * | signature | JWS with alg none                                     | SubmitUpdate   | ERR_BAD_SIGNATURE   |
 * | signature | HS256 keyed with the worker's public key              | SubmitUpdate   | ERR_BAD_SIGNATURE   |
 * | signature | alg only in an unprotected header                     | SubmitUpdate   | ERR_BAD_SIGNATURE   |
 * | identity  | a manifest signed by a key that is not enrolled       | SubmitUpdate   | ERR_UNKNOWN_KEY     |
 * | identity  | a 100 KB kid (a status too large for HTTP/2 trailers) | SubmitUpdate   | ERR_UNKNOWN_KEY     |
 * | identity  | a 100 KB key id                                       | FetchModel     | ERR_UNKNOWN_KEY     |
 * | identity  | a key id of ill-formed UTF-8 (a lone surrogate) (3)   | FetchModel     | ERR_UNKNOWN_KEY     |
 * | identity  | a kid holding a lone surrogate, as a JSON escape (3)  | SubmitUpdate   | ERR_UNKNOWN_KEY     |
 * | freshness | issuedAt an hour ago                                  | SubmitUpdate   | ERR_BAD_MANIFEST    |
 * | freshness | issuedAt an hour ahead                                | SubmitUpdate   | ERR_BAD_MANIFEST    |
 * | run       | a manifest for a run that does not exist              | SubmitUpdate   | ERR_WRONG_RUN       |
 * | role      | an auditor token creating a run                       | HTTP /v1/runs  | ERR_FORBIDDEN (403) |
 *
 * (1) `@silo/common` has no code of its own for non-finite values: they share ERR_BAD_INPUT
 *     with undecodable bytes and are told apart by the message.
 * (2) grpc-js refuses the frame before any handler runs, so no `silo-error-code` travels;
 *     `fromServiceError` maps its RESOURCE_EXHAUSTED status to ERR_TOO_LARGE.
 * (3) Quoted in the status message, a lone surrogate made grpc-js's encodeURI throw out of the
 *     server and kill the coordinator, found by test/fuzz.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SiloError, type SiloErrorCode } from '@silo/common';
import { loadMnist, partition, subset, type Dataset } from '@silo/data';
import { initBackend } from '@silo/model';
import { pb, type TrainInstruction } from '@silo/protocol';
import { signManifest, UPDATE_MANIFEST_TYP, type FlattenedJws, type UpdateManifest } from '@silo/signing';
import { chunkBytes, sha256Hex, toCanonicalBytes } from '@silo/tensors';
import { Trainer, fetchModel } from '@silo/worker';
import { nextEvent } from './helpers.js';
import {
  Deployment,
  JoinedWorker,
  RawFederationClient,
  algNoneJws,
  encodeManifestWithUnprotectedHeader,
  encodeUpdatePart,
  freshKey,
  hs256WithPublicKeyJws,
  unprotectedAlgJws,
  type Outcome,
  type TestKey,
  within,
} from './hostile-client.js';

type CaseClass =
  | 'encoding'
  | 'values'
  | 'framing'
  | 'size'
  | 'integrity'
  | 'shape'
  | 'signature'
  | 'identity'
  | 'freshness'
  | 'run'
  | 'role';

/** Classes that share a code for want of a distinct one (see note 1 above). */
const SHARED_CODES = new Set(['encoding/values', 'values/encoding']);

interface HostileCase {
  name: string;
  class: CaseClass;
  code: SiloErrorCode;
  /** What the refusal's message must say, so the intended check refused it, not an earlier one. */
  reason: RegExp;
  /** False only where the code cannot travel in metadata (note 2). */
  carried?: boolean;
  send(): Promise<Outcome>;
}

const CALL_MS = 15_000;
const HOUR_MS = 3_600_000;

/** A trainer that starts only once `gate` resolves, so its worker's update arrives last. */
class GatedTrainer extends Trainer {
  readonly #gate: Promise<void>;

  constructor(data: Dataset, gate: Promise<void>) {
    super(data);
    this.#gate = gate;
  }

  override async train(...args: Parameters<Trainer['train']>): ReturnType<Trainer['train']> {
    await this.#gate;
    return super.train(...args);
  }
}

describe('a coordinator facing hostile input while an honest round runs', () => {
  const deployment = new Deployment();
  const faults: unknown[] = [];
  const onFault = (err: unknown): void => void faults.push(err);
  let raw: RawFederationClient;
  let hostile: JoinedWorker;
  let stranger: TestKey;
  let releaseB: () => void = () => undefined;

  beforeAll(async () => {
    process.on('unhandledRejection', onFault);
    process.on('uncaughtException', onFault);
    await initBackend();
    await deployment.start(['a', 'b', 'c']);
    stranger = await freshKey();
    raw = new RawFederationClient(deployment.coordinator.grpcAddress);
    hostile = new JoinedWorker(deployment.coordinator.grpcAddress, deployment.key('c').key);
    deployment.onStop(() => raw.close());
    deployment.onStop(() => hostile.close());
  });

  afterAll(async () => {
    releaseB();
    await deployment.stop();
    process.off('unhandledRejection', onFault);
    process.off('uncaughtException', onFault);
  });

  it('refuses every case with its own code, keeps answering, and closes the honest round with exactly the honest updates', async () => {
    const { coordinator } = deployment;
    const { train } = loadMnist({ trainSize: 300, testSize: 10, seed: 3 });
    const parts = partition(train, 2, { kind: 'iid' }, 3);
    const gate = new Promise<void>((resolve) => (releaseB = resolve));
    await deployment.honestWorker('a', subset(train, parts[0] ?? new Int32Array()));
    await deployment.honestWorker('b', new GatedTrainer(subset(train, parts[1] ?? new Int32Array()), gate));
    await within(20_000, 'hostile worker c joining', hostile.join('c'));

    // c is sampled with a and b, so it holds a real nonce; two updates close the round.
    const instruction = nextEvent<TrainInstruction>(hostile, 'train');
    const ended = nextEvent<{ runId: string; status: string; error?: string }>(coordinator, 'run-ended');
    const run = await coordinator.createRun({
      name: 'bad-input',
      model: 'mlp',
      rounds: 1,
      minWorkers: 3,
      minUpdates: 2,
      roundTimeoutMs: 120_000,
      train: { epochs: 1, batchSize: 50, learningRate: 0.05 },
    });
    const t = await within(20_000, "c's train instruction", instruction);
    const model = await fetchModel(
      hostile.client,
      { runId: t.runId, round: t.round, keyId: hostile.key.keyId },
      { deadline: Date.now() + CALL_MS, maxBytes: 1e8 },
    );
    const floats = model.bytes.byteLength / 4;
    const cases = hostileCases({ t, floats, deployment, stranger, raw });

    let tried = 0;
    let rejected = 0;
    let crashes = 0;
    const problems: string[] = [];
    const codes = new Map<CaseClass, Set<string>>();
    for (const c of cases) {
      tried += 1;
      const outcome = await c.send();
      if (outcome.kind === 'refused') {
        if (outcome.code === c.code) rejected += 1;
        codes.set(c.class, (codes.get(c.class) ?? new Set()).add(outcome.code));
        if (
          outcome.code !== c.code ||
          !c.reason.test(outcome.details) ||
          outcome.carried !== (c.carried ?? true)
        ) {
          problems.push(
            `${c.name}: got ${outcome.code} (carried: ${outcome.carried}) "${outcome.details.slice(0, 200)}"`,
          );
        }
      } else {
        problems.push(`${c.name}: accepted`);
      }
      if (!(await answers(raw, t, hostile.key.keyId))) crashes += 1;
    }

    // A fresh request still gets an answer; then b trains, and the round closes.
    const stillAnswers = await answers(raw, t, hostile.key.keyId);
    if (!stillAnswers) crashes += 1;
    releaseB();
    const outcome = await within(30_000, 'the honest round closing', ended);
    const [round] = (await coordinator.runView(run.id)).history;
    const honest = [deployment.key('a').key.keyId, deployment.key('b').key.keyId].sort();
    const disturbed =
      outcome.status === 'completed' &&
      round?.numUpdates === 2 &&
      JSON.stringify([...(round?.contributors ?? [])].sort()) === JSON.stringify(honest)
        ? 0
        : 1;
    crashes += faults.length;
    console.log(
      `bad-input suite: ${tried} tried, ${rejected} rejected, ${crashes} crashes, ${disturbed} rounds disturbed`,
    );
    expect(problems).toEqual([]);
    // One code per class, and a class's code is no other class's (but for note 1).
    for (const [name, seen] of codes) expect([...seen], name).toHaveLength(1);
    for (const [a, seenA] of codes) {
      for (const [b, seenB] of codes) {
        if (a === b || SHARED_CODES.has(`${a}/${b}`)) continue;
        expect([...seenA][0], `${a} vs ${b}`).not.toBe([...seenB][0]);
      }
    }
    expect(stillAnswers).toBe(true);
    expect(outcome.status, outcome.error).toBe('completed');
    expect([...(round?.contributors ?? [])].sort()).toEqual(honest);
    expect(faults).toEqual([]);
    expect({ tried, rejected, crashes, disturbed }).toEqual({
      tried: cases.length,
      rejected: cases.length,
      crashes: 0,
      disturbed: 0,
    });
  });

  it('serves a model in chunks of at least 1 KiB, whatever chunk size is asked for', async () => {
    const { coordinator } = deployment;
    const [runId] = await coordinator.state.listRuns();
    expect(runId).toBeDefined();
    const request = pb.FetchModelRequest.encode({
      runId: runId!,
      round: 1,
      keyId: deployment.key('c').key.keyId,
      chunkBytes: 1,
    }).finish();
    const outcome = await raw.call('fetchModel', [request], { timeoutMs: CALL_MS });
    expect(outcome.kind).toBe('ok');
    const messages = outcome.kind === 'ok' ? outcome.messages.map((m) => pb.ModelChunk.decode(m)) : [];
    const header = messages[0]?.header;
    expect(header?.chunkBytes).toBe(1024);
    expect(messages.length - 1).toBe(Math.ceil(Number(header?.totalBytes) / 1024));
  });

  it('answers ERR_UNAVAILABLE, not ERR_WRONG_RUN, when Redis fails while the run is looked up', async () => {
    const { coordinator } = deployment;
    const { state } = coordinator;
    const [runId] = await state.listRuns();
    const realGetRun = state.getRun.bind(state);
    let failed = false;
    // The first lookup of this run fails as a Redis outage does; later ones succeed.
    const getRun = vi.spyOn(state, 'getRun').mockImplementation((id) => {
      if (id !== runId || failed) return realGetRun(id);
      failed = true;
      return Promise.reject(new SiloError('ERR_UNAVAILABLE', 'Redis is unreachable'));
    });
    try {
      const rejectionsBefore = (await coordinator.state.rejections(runId!, 1)).length;
      const c = deployment.key('c').key;
      const bytes = new Uint8Array(8);
      const jws = await signManifest(c, manifestFields(runId!, bytes, { nonce: 'n' }));
      const outcome = await raw.call('submitUpdate', updateParts(jws, bytes), { timeoutMs: CALL_MS });
      expect(outcome).toMatchObject({ kind: 'refused', code: 'ERR_UNAVAILABLE', carried: true });
      expect(failed).toBe(true);
      // Nothing was refused: no rejection is recorded against the worker.
      expect(await coordinator.state.rejections(runId!, 1)).toHaveLength(rejectionsBefore);
    } finally {
      getRun.mockRestore();
    }
  });
});

/** True when the coordinator still serves a request: the header of the round's model. */
async function answers(raw: RawFederationClient, t: TrainInstruction, keyId: string): Promise<boolean> {
  const request = pb.FetchModelRequest.encode({ runId: t.runId, round: t.round, keyId }).finish();
  const outcome = await raw.call('fetchModel', [request], { timeoutMs: CALL_MS, maxMessages: 1 });
  return (
    outcome.kind === 'ok' && pb.ModelChunk.decode(outcome.messages[0] ?? new Uint8Array()).header !== null
  );
}

type ManifestFields = Omit<UpdateManifest, 'v' | 'keyId'>;

function manifestFields(
  runId: string,
  bytes: Uint8Array,
  overrides: Partial<ManifestFields> = {},
): ManifestFields {
  return {
    runId,
    round: 1,
    baseDigest: '0'.repeat(64),
    updateDigest: sha256Hex(bytes),
    updateBytes: bytes.byteLength,
    numExamples: 100,
    metrics: { loss: 1 },
    nonce: 'nonce',
    issuedAt: Date.now(),
    ...overrides,
  };
}

function updateParts(jws: FlattenedJws, bytes: Uint8Array): Uint8Array[] {
  return [
    encodeUpdatePart({ manifest: jws }),
    ...[...chunkBytes(bytes, 64 * 1024)].map((data) => encodeUpdatePart({ data })),
  ];
}

const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');

function hostileCases(o: {
  t: TrainInstruction;
  floats: number;
  deployment: Deployment;
  stranger: TestKey;
  raw: RawFederationClient;
}): HostileCase[] {
  const { t, floats, deployment, stranger, raw } = o;
  const c = deployment.key('c');
  const maxUpdateBytes = deployment.coordinator.config.maxUpdateBytes;
  const zeros = toCanonicalBytes(new Float32Array(floats));
  /** Fields of a manifest c may sign for its instruction; `bytes` are what it claims to send. */
  const fields = (bytes: Uint8Array, overrides: Partial<ManifestFields> = {}): ManifestFields =>
    manifestFields(t.runId, bytes, {
      round: t.round,
      baseDigest: t.baseDigest,
      nonce: t.nonce,
      ...overrides,
    });
  const submit = (parts: Uint8Array[]): Promise<Outcome> =>
    raw.call('submitUpdate', parts, { timeoutMs: CALL_MS });
  /** c signs a manifest for `claimed` and sends `sent`. */
  const signedUpdate = async (
    claimed: Uint8Array,
    sent: Uint8Array = claimed,
    overrides: Partial<ManifestFields> = {},
  ): Promise<Outcome> => submit(updateParts(await signManifest(c.key, fields(claimed, overrides)), sent));
  const withValue = (index: number, value: number): Uint8Array => {
    const values = new Float32Array(floats);
    values[index] = value;
    return toCanonicalBytes(values);
  };
  const payload = { v: 1, keyId: c.key.keyId, ...fields(zeros) };
  const hugeKid = 'k'.repeat(100_000);

  return [
    {
      name: 'bytes that are not an UpdatePart',
      class: 'encoding',
      code: 'ERR_BAD_INPUT',
      reason: /UpdatePart is not a valid protobuf message/,
      // Field 1, length-delimited, claiming 5 bytes of which 1 follows.
      send: () => submit([Uint8Array.from([0x0a, 0x05, 0x01])]),
    },
    {
      name: 'bytes that are not a FetchModelRequest',
      class: 'encoding',
      code: 'ERR_BAD_INPUT',
      reason: /FetchModel request is not a valid protobuf message/,
      send: () => raw.call('fetchModel', [Uint8Array.from([0x0a, 0x7f, 0x61])], { timeoutMs: CALL_MS }),
    },
    {
      name: 'bytes that are not a JoinRequest',
      class: 'encoding',
      code: 'ERR_BAD_INPUT',
      reason: /Join request is not a valid protobuf message/,
      send: () =>
        raw.call('join', [Uint8Array.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f])], { timeoutMs: CALL_MS }),
    },
    {
      name: 'a valid manifest, then a data part that does not decode',
      class: 'encoding',
      code: 'ERR_BAD_INPUT',
      reason: /UpdatePart is not a valid protobuf message/,
      send: async () =>
        submit([
          encodeUpdatePart({ manifest: await signManifest(c.key, fields(zeros)) }),
          Uint8Array.from([0x12, 0x09]),
        ]),
    },
    {
      name: 'NaN in the update',
      class: 'values',
      code: 'ERR_BAD_INPUT',
      reason: /update\[7\] is NaN/,
      send: () => signedUpdate(withValue(7, Number.NaN)),
    },
    {
      name: '+Infinity in the update',
      class: 'values',
      code: 'ERR_BAD_INPUT',
      reason: /update\[11\] is Infinity/,
      send: () => signedUpdate(withValue(11, Number.POSITIVE_INFINITY)),
    },
    {
      name: 'an UpdatePart with neither manifest nor data',
      class: 'framing',
      code: 'ERR_STREAM',
      reason: /must start with its signed manifest/,
      send: () => submit([new Uint8Array(0)]),
    },
    {
      name: 'an empty stream',
      class: 'framing',
      code: 'ERR_STREAM',
      reason: /must start with its signed manifest/,
      send: () => submit([]),
    },
    {
      name: 'fewer bytes than declared',
      class: 'framing',
      code: 'ERR_STREAM',
      reason: /ended after/,
      send: () => signedUpdate(zeros, zeros.subarray(0, zeros.byteLength - 4)),
    },
    {
      name: 'more bytes than declared',
      class: 'size',
      code: 'ERR_TOO_LARGE',
      reason: /declared/,
      send: () => signedUpdate(zeros, toCanonicalBytes(new Float32Array(floats + 1))),
    },
    {
      name: 'a declared size over maxUpdateBytes',
      class: 'size',
      code: 'ERR_TOO_LARGE',
      reason: /exceeds maxUpdateBytes/,
      send: () => signedUpdate(zeros, zeros, { updateBytes: maxUpdateBytes + 4 }),
    },
    {
      name: 'one message over the gRPC receive limit',
      class: 'size',
      code: 'ERR_TOO_LARGE',
      reason: /larger than max/,
      carried: false,
      send: () => submit([encodeUpdatePart({ data: new Uint8Array(4 * 1024 * 1024 + 1) })]),
    },
    {
      name: 'bytes that do not match the signed digest',
      class: 'integrity',
      code: 'ERR_DIGEST_MISMATCH',
      reason: /digest|hash/i,
      send: () => signedUpdate(zeros, withValue(3, 0.5)),
    },
    {
      name: "a byte count the model's layout does not have",
      class: 'shape',
      code: 'ERR_SHAPE_MISMATCH',
      reason: /the model needs/,
      send: () => signedUpdate(zeros.subarray(0, zeros.byteLength - 4)),
    },
    {
      name: 'a JWS with alg none',
      class: 'signature',
      code: 'ERR_BAD_SIGNATURE',
      reason: /alg "none" is not accepted/,
      send: () => submit(updateParts(algNoneJws(c.key.keyId, UPDATE_MANIFEST_TYP, payload), zeros)),
    },
    {
      name: "HS256 keyed with the worker's public key",
      class: 'signature',
      code: 'ERR_BAD_SIGNATURE',
      reason: /alg "HS256" is not accepted/,
      send: () => submit(updateParts(hs256WithPublicKeyJws(c.key, UPDATE_MANIFEST_TYP, payload), zeros)),
    },
    {
      name: 'alg only in an unprotected header',
      class: 'signature',
      code: 'ERR_BAD_SIGNATURE',
      reason: /alg undefined is not accepted/,
      send: async () => {
        const { jws, header } = await unprotectedAlgJws(
          c.privateJwk,
          c.key.keyId,
          UPDATE_MANIFEST_TYP,
          payload,
        );
        return submit([encodeManifestWithUnprotectedHeader(jws, header), encodeUpdatePart({ data: zeros })]);
      },
    },
    {
      name: 'a manifest signed by a key that is not enrolled',
      class: 'identity',
      code: 'ERR_UNKNOWN_KEY',
      reason: /is not enrolled/,
      send: async () => submit(updateParts(await signManifest(stranger.key, fields(zeros)), zeros)),
    },
    {
      name: 'a 100 KB kid',
      class: 'identity',
      code: 'ERR_UNKNOWN_KEY',
      reason: /^key k+\.\.\.$/,
      send: () =>
        submit(
          updateParts(
            {
              protected: b64(JSON.stringify({ alg: 'EdDSA', kid: hugeKid, typ: UPDATE_MANIFEST_TYP })),
              payload: b64(JSON.stringify(payload)),
              signature: b64(new Uint8Array(64)),
            },
            zeros,
          ),
        ),
    },
    {
      name: 'a 100 KB key id',
      class: 'identity',
      code: 'ERR_UNKNOWN_KEY',
      reason: /is not enrolled/,
      send: () =>
        raw.call(
          'fetchModel',
          [pb.FetchModelRequest.encode({ runId: t.runId, round: t.round, keyId: hugeKid }).finish()],
          {
            timeoutMs: CALL_MS,
          },
        ),
    },
    {
      name: 'a key id of ill-formed UTF-8 (a lone surrogate)',
      class: 'identity',
      code: 'ERR_UNKNOWN_KEY',
      reason: /^key \uFFFD is not enrolled/,
      // Field 3 (key_id): ED A0 80, the UTF-8 pattern of U+D800, which protobufjs decodes as is.
      send: () =>
        raw.call('fetchModel', [Uint8Array.from([0x1a, 0x03, 0xed, 0xa0, 0x80])], { timeoutMs: CALL_MS }),
    },
    {
      name: 'a kid holding a lone surrogate, as a JSON escape',
      class: 'identity',
      code: 'ERR_UNKNOWN_KEY',
      reason: /^key \uFFFD is not enrolled/,
      send: () =>
        submit(
          updateParts(
            {
              protected: b64(`{"alg":"EdDSA","kid":"\\ud800","typ":"${UPDATE_MANIFEST_TYP}"}`),
              payload: b64(JSON.stringify(payload)),
              signature: b64(new Uint8Array(64)),
            },
            zeros,
          ),
        ),
    },
    {
      name: 'issuedAt an hour ago',
      class: 'freshness',
      code: 'ERR_BAD_MANIFEST',
      reason: /issuedAt .* minutes from the coordinator's clock/,
      send: () => signedUpdate(zeros, zeros, { issuedAt: Date.now() - HOUR_MS }),
    },
    {
      name: 'issuedAt an hour ahead',
      class: 'freshness',
      code: 'ERR_BAD_MANIFEST',
      reason: /issuedAt .* minutes from the coordinator's clock/,
      send: () => signedUpdate(zeros, zeros, { issuedAt: Date.now() + HOUR_MS }),
    },
    {
      name: 'a manifest for a run that does not exist',
      class: 'run',
      code: 'ERR_WRONG_RUN',
      reason: /does not exist/,
      send: () => signedUpdate(zeros, zeros, { runId: 'r-no-such-run' }),
    },
    {
      name: 'an auditor token creating a run',
      class: 'role',
      code: 'ERR_FORBIDDEN',
      reason: /role 'auditor' may not call POST \/v1\/runs/,
      send: () => wrongRole(deployment),
    },
  ];
}

/** Mints an auditor token with the bootstrap secret, then asks the HTTP API to create a run with it. */
async function wrongRole(deployment: Deployment): Promise<Outcome> {
  const { coordinator } = deployment;
  const post = async (path: string, token: string, body: unknown) => {
    const response = await fetch(`${coordinator.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CALL_MS),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const issued = await post('/v1/tokens', coordinator.config.apiToken, {
    role: 'auditor',
    subject: 'eve',
    ttl: '1h',
  });
  expect(issued.status).toBe(201);
  const refused = await post('/v1/runs', String(issued.body['token']), {
    name: 'x',
    model: 'mlp',
    rounds: 1,
  });
  const error = refused.body['error'] as { code: SiloErrorCode; message: string } | undefined;
  if (error === undefined) return { kind: 'ok', messages: [] };
  expect(refused.status).toBe(403);
  return { kind: 'refused', code: error.code, carried: true, status: refused.status, details: error.message };
}
