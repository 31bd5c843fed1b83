/**
 * A bounded fuzz loop over every method of the Federation service: random bytes, and mutations
 * (bit flips, truncation, inserted bytes, duplicated, reordered and unknown fields, huge length
 * prefixes, at any nesting depth) of valid encoded messages, signed manifests and proofs
 * included. Every answer must be a success or a gRPC error carrying a Silo code other than
 * ERR_INTERNAL, within its deadline; nothing may reject or throw unhandled; and afterwards the
 * coordinator still completes an honest round.
 *
 * The seed is printed; `SILO_FUZZ_SEED=<seed>` replays the same mutations (keys are fresh, so
 * the signed bytes differ), and `SILO_FUZZ_ITERATIONS=<n>` runs a longer loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@silo/common';
import { loadMnist, partition, subset } from '@silo/data';
import { initBackend } from '@silo/model';
import {
  DECLINE_TYP,
  JOIN_PROOF_TYP,
  federationService,
  pb,
  type Challenge,
  type TrainInstruction,
} from '@silo/protocol';
import { signManifest } from '@silo/signing';
import { chunkBytes, sha256Hex, toCanonicalBytes } from '@silo/tensors';
import { fetchModel } from '@silo/worker';
import { nextEvent } from './helpers.js';
import {
  Deployment,
  JoinedWorker,
  RawFederationClient,
  encodeUpdatePart,
  type MethodName,
  type Outcome,
  within,
} from './hostile-client.js';

const ITERATIONS = Number(process.env['SILO_FUZZ_ITERATIONS'] ?? 1000);
const CALL_MS = 5_000;
const SEED = Number(process.env['SILO_FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 32));

type Rng = () => number;

describe('fuzzing the gRPC handlers', () => {
  const deployment = new Deployment();
  const faults: unknown[] = [];
  const onFault = (err: unknown): void => void faults.push(err);
  let raw: RawFederationClient;
  let fuzzer: JoinedWorker;

  beforeAll(async () => {
    process.on('unhandledRejection', onFault);
    process.on('uncaughtException', onFault);
    await initBackend();
    await deployment.start(['a', 'b', 'f']);
    raw = new RawFederationClient(deployment.coordinator.grpcAddress);
    fuzzer = new JoinedWorker(deployment.coordinator.grpcAddress, deployment.key('f').key);
    deployment.onStop(() => raw.close());
    deployment.onStop(() => fuzzer.close());
  });

  afterAll(async () => {
    await deployment.stop();
    process.off('unhandledRejection', onFault);
    process.off('uncaughtException', onFault);
  });

  let fuzzRunId = '';

  it(`answers ${ITERATIONS} hostile messages to every method cleanly`, async () => {
    const { coordinator } = deployment;
    console.log(`fuzz: seed ${SEED}`);
    const rng = createRng(SEED);

    // f alone is sampled for the fuzz run, so its round collects for the whole loop.
    await within(20_000, 'fuzzing worker f joining', fuzzer.join('f'));
    const instruction = nextEvent<TrainInstruction>(fuzzer, 'train');
    const fuzzRun = await coordinator.createRun({
      name: 'fuzz',
      model: 'mlp',
      rounds: 1,
      minWorkers: 1,
      roundTimeoutMs: 300_000,
    });
    fuzzRunId = fuzzRun.id;
    const seeds = await seedMessages(await within(20_000, "f's train instruction", instruction), fuzzer, raw);
    const started = Date.now();

    const methods = Object.keys(federationService) as MethodName[];
    const sent = new Map<MethodName, number>(methods.map((m) => [m, 0]));
    const failures: string[] = [];
    let successes = 0;
    let crashes = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const method = pick(rng, methods);
      const { parts, how } = hostileParts(rng, seeds.get(method) ?? []);
      sent.set(method, (sent.get(method) ?? 0) + 1);
      const outcome = await raw.call(method, parts, { timeoutMs: CALL_MS, maxMessages: 2 });
      const problem = judge(outcome);
      if (problem === undefined) {
        if (outcome.kind === 'ok') successes += 1;
      } else {
        const first = Buffer.from(parts[0] ?? [])
          .toString('hex')
          .slice(0, 80);
        failures.push(`#${i} ${method} [${how.join(', ')}] ${first}: ${problem}`);
      }
      if (i % 100 === 99 && !(await answers(raw, seeds))) crashes += 1;
    }
    if (!(await answers(raw, seeds))) crashes += 1;
    crashes += faults.length;
    console.log(`fuzz: ${ITERATIONS} messages, ${crashes} crashes, seed ${SEED}`);
    console.log(
      `fuzz: per method ${[...sent].map(([m, n]) => `${m} ${n}`).join(', ')}; ` +
        `${successes} answered with success; ${Date.now() - started} ms`,
    );
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(faults, `seed ${SEED}`).toEqual([]);
    expect(crashes).toBe(0);
    for (const [method, n] of sent) expect(n, method).toBeGreaterThan(ITERATIONS / methods.length / 3);
  });

  it('still completes an honest round afterwards, with exactly the honest updates', async () => {
    const { coordinator } = deployment;
    expect(fuzzRunId).not.toBe('');
    await coordinator.cancelRun(fuzzRunId);
    const { train } = loadMnist({ trainSize: 200, testSize: 10, seed: 4 });
    const halves = partition(train, 2, { kind: 'iid' }, 4);
    await deployment.honestWorker('a', subset(train, halves[0] ?? new Int32Array()));
    await deployment.honestWorker('b', subset(train, halves[1] ?? new Int32Array()));
    const ended = nextEvent<{ runId: string; status: string; error?: string }>(
      coordinator,
      'run-ended',
      (e) => e.runId !== fuzzRunId,
    );
    const run = await coordinator.createRun({
      name: 'after-fuzz',
      model: 'mlp',
      rounds: 1,
      minWorkers: 2,
      minUpdates: 2,
      train: { epochs: 1, batchSize: 50, learningRate: 0.05 },
    });
    const outcome = await within(30_000, 'the honest round closing', ended);
    expect(outcome.status, outcome.error).toBe('completed');
    const [round] = (await coordinator.runView(run.id)).history;
    expect([...(round?.contributors ?? [])].sort()).toEqual(
      [deployment.key('a').key.keyId, deployment.key('b').key.keyId].sort(),
    );
    expect(faults).toEqual([]);
  });
});

/** Why an answer is not acceptable, or `undefined` when it is. */
function judge(outcome: Outcome): string | undefined {
  if (outcome.kind === 'ok') return undefined;
  const said = `${outcome.code} (status ${outcome.status}): ${outcome.details.slice(0, 160)}`;
  if (!outcome.carried) return `no Silo code travelled: ${said}`;
  if (outcome.code === 'ERR_INTERNAL') return `internal error: ${said}`;
  return undefined;
}

/** True when the coordinator still serves a well-formed request. */
async function answers(raw: RawFederationClient, seeds: Map<MethodName, Uint8Array[][]>): Promise<boolean> {
  const fetch = seeds.get('fetchModel')?.[0];
  if (fetch === undefined) return false;
  const outcome = await raw.call('fetchModel', fetch, { timeoutMs: CALL_MS, maxMessages: 1 });
  return outcome.kind === 'ok';
}

/**
 * Valid encoded messages for each method, each a list of parts (one part unless the method
 * streams requests). They are valid down to their last check, which refuses them: the update's
 * data holds a NaN (its digest and size are right), the decline names another nonce. So a
 * mutation that leaves one intact reaches the deepest check without closing the fuzz round.
 */
async function seedMessages(
  t: TrainInstruction,
  fuzzer: JoinedWorker,
  raw: RawFederationClient,
): Promise<Map<MethodName, Uint8Array[][]>> {
  const { key, client } = fuzzer;
  const model = await fetchModel(
    client,
    { runId: t.runId, round: t.round, keyId: key.keyId },
    { deadline: Date.now() + CALL_MS, maxBytes: 1e8 },
  );
  const values = new Float32Array(model.bytes.byteLength / 4);
  values[0] = Number.NaN;
  const bytes = toCanonicalBytes(values);
  const manifest = await signManifest(key, {
    runId: t.runId,
    round: t.round,
    baseDigest: t.baseDigest,
    updateDigest: sha256Hex(bytes),
    updateBytes: bytes.byteLength,
    numExamples: 100,
    metrics: { loss: 1.5 },
    nonce: t.nonce,
    issuedAt: Date.now(),
  });
  const update = [
    encodeUpdatePart({ manifest }),
    ...[...chunkBytes(bytes, 64 * 1024)].map((data) => encodeUpdatePart({ data })),
  ];
  const joins: Uint8Array[][] = [];
  for (let i = 0; i < 4; i++) {
    const challenge = await new Promise<string>((resolve, reject) => {
      client.getChallenge(
        { keyId: key.keyId },
        { deadline: Date.now() + CALL_MS },
        (err, value?: Challenge) =>
          err === null && value !== undefined
            ? resolve(value.challenge)
            : reject(err ?? new Error('no challenge')),
      );
    });
    const proof = await key.sign(JOIN_PROOF_TYP, { kid: key.keyId, name: 'f', challenge, iat: Date.now() });
    joins.push([
      pb.JoinRequest.encode({
        keyId: key.keyId,
        proof,
        name: 'f',
        backend: 'fuzz',
        numExamples: 10,
      }).finish(),
    ]);
  }
  const decline = await key.sign(DECLINE_TYP, {
    runId: t.runId,
    round: t.round,
    nonce: 'not-the-issued-nonce',
    keyId: key.keyId,
    code: 'ERR_POLICY',
    reason: 'fuzz',
    issuedAt: Date.now(),
  });
  const report = await key.sign('silo-evaluation+jws', { runId: t.runId, round: t.round, accuracy: 0.5 });
  const seeds = new Map<MethodName, Uint8Array[][]>([
    ['join', joins],
    ['getChallenge', [[pb.ChallengeRequest.encode({ keyId: key.keyId }).finish()]]],
    [
      'fetchModel',
      [
        [
          pb.FetchModelRequest.encode({
            runId: t.runId,
            round: t.round,
            keyId: key.keyId,
            chunkBytes: 4096,
          }).finish(),
        ],
      ],
    ],
    ['submitUpdate', [update, [update[0]!]]],
    ['reportEvaluation', [[pb.EvaluationReport.encode({ report }).finish()]]],
    ['getReceipt', [[pb.ReceiptRequest.encode({ entryIndex: 1, updateDigest: sha256Hex(bytes) }).finish()]]],
    ['decline', [[pb.DeclineRequest.encode({ decline }).finish()]]],
  ]);
  // Methods added later are fuzzed with random bytes until seeds are written for them.
  for (const method of Object.keys(federationService) as MethodName[]) {
    if (!seeds.has(method)) seeds.set(method, []);
  }
  expect(
    (await raw.call('fetchModel', seeds.get('fetchModel')![0]!, { timeoutMs: CALL_MS, maxMessages: 1 })).kind,
  ).toBe('ok');
  return seeds;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

const int = (rng: Rng, below: number): number => Math.floor(rng() * below);

function randomBytes(rng: Rng, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => int(rng, 256));
}

/** The parts of one hostile call and how they were made. */
function hostileParts(rng: Rng, seeds: readonly Uint8Array[][]): { parts: Uint8Array[]; how: string[] } {
  if (seeds.length === 0 || rng() < 0.08) {
    const n = rng() < 0.2 ? 0 : 1 + int(rng, 3);
    return {
      parts: Array.from({ length: n }, () => randomBytes(rng, int(rng, 300))),
      how: [`${n} random parts`],
    };
  }
  const parts = [...pick(rng, seeds)];
  const how: string[] = [];
  const rounds = 1 + int(rng, 3);
  for (let r = 0; r < rounds; r++) {
    if (parts.length > 1 && rng() < 0.25) {
      how.push(reshape(rng, parts));
    } else {
      // The manifest part most often: it carries the signature and every check before the data.
      const index = parts.length > 1 && rng() < 0.4 ? 1 + int(rng, parts.length - 1) : 0;
      const { bytes, how: mutation } = mutate(rng, parts[index] ?? new Uint8Array(0), 0);
      parts[index] = bytes;
      how.push(`part ${index}: ${mutation}`);
    }
  }
  return { parts, how };
}

/** Drops, duplicates, swaps or empties parts of a stream. */
function reshape(rng: Rng, parts: Uint8Array[]): string {
  const i = int(rng, parts.length);
  const j = int(rng, parts.length);
  switch (int(rng, 4)) {
    case 0:
      parts.splice(i, 1);
      return `drop part ${i}`;
    case 1:
      parts.splice(i, 0, parts[j]!);
      return `duplicate part ${j} at ${i}`;
    case 2:
      [parts[i], parts[j]] = [parts[j]!, parts[i]!];
      return `swap parts ${i} and ${j}`;
    default:
      parts.splice(i, 0, new Uint8Array(0));
      return `empty part at ${i}`;
  }
}

interface Field {
  start: number;
  end: number;
  tag: number;
  /** For length-delimited fields: where the length prefix and the value start. */
  lengthAt?: number;
  valueAt?: number;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, i = at; i < bytes.length && shift < 64; shift += 7, i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** The top-level fields of a message, or `undefined` where the bytes are not a clean message. */
function parseFields(bytes: Uint8Array): Field[] | undefined {
  const fields: Field[] = [];
  for (let at = 0; at < bytes.length;) {
    const tag = readVarint(bytes, at);
    if (tag === undefined || tag.value < 8) return undefined;
    let end: number;
    let field: Field;
    switch (tag.value % 8) {
      case 0: {
        const v = readVarint(bytes, tag.next);
        if (v === undefined) return undefined;
        end = v.next;
        field = { start: at, end, tag: tag.value };
        break;
      }
      case 1:
        end = tag.next + 8;
        field = { start: at, end, tag: tag.value };
        break;
      case 5:
        end = tag.next + 4;
        field = { start: at, end, tag: tag.value };
        break;
      case 2: {
        const length = readVarint(bytes, tag.next);
        if (length === undefined) return undefined;
        end = length.next + length.value;
        field = { start: at, end, tag: tag.value, lengthAt: tag.next, valueAt: length.next };
        break;
      }
      default:
        return undefined;
    }
    if (end > bytes.length) return undefined;
    fields.push(field);
    at = end;
  }
  return fields;
}

const concat = (...pieces: ArrayLike<number>[]): Uint8Array =>
  Uint8Array.from(pieces.flatMap((p) => Array.from(p)));

/** One mutation of a message, descending into a nested message now and then. */
function mutate(rng: Rng, bytes: Uint8Array, depth: number): { bytes: Uint8Array; how: string } {
  const fields = parseFields(bytes);
  const nested = fields?.filter((f) => f.valueAt !== undefined && f.end - f.valueAt > 1) ?? [];
  if (nested.length > 0 && depth < 3 && rng() < 0.45) {
    const f = pick(rng, nested);
    const inner = mutate(rng, bytes.subarray(f.valueAt, f.end), depth + 1);
    const prefix = bytes.subarray(f.start, f.lengthAt);
    return {
      bytes: concat(
        bytes.subarray(0, f.start),
        prefix,
        varint(inner.bytes.length),
        inner.bytes,
        bytes.subarray(f.end),
      ),
      how: `field ${f.tag >>> 3} > ${inner.how}`,
    };
  }
  const at = int(rng, bytes.length + 1);
  switch (int(rng, 9)) {
    case 0: {
      const out = Uint8Array.from(bytes);
      const flips = 1 + int(rng, 8);
      for (let k = 0; k < flips && out.length > 0; k++) {
        const i = int(rng, out.length);
        out[i] = out[i]! ^ (1 << int(rng, 8));
      }
      return { bytes: out, how: `${flips} bit flips` };
    }
    case 1:
      return { bytes: bytes.subarray(0, at), how: `truncate at ${at}` };
    case 2: {
      const n = 1 + int(rng, 16);
      return {
        bytes: concat(bytes.subarray(0, at), randomBytes(rng, n), bytes.subarray(at)),
        how: `insert ${n} at ${at}`,
      };
    }
    case 3: {
      if (fields === undefined || fields.length === 0) break;
      const f = pick(rng, fields);
      return { bytes: concat(bytes, bytes.subarray(f.start, f.end)), how: `duplicate field ${f.tag >>> 3}` };
    }
    case 4: {
      if (fields === undefined || fields.length < 2) break;
      const shuffled = [...fields].sort(() => rng() - 0.5);
      return { bytes: concat(...shuffled.map((f) => bytes.subarray(f.start, f.end))), how: 'reorder fields' };
    }
    case 5: {
      const delimited = fields?.filter((f) => f.lengthAt !== undefined) ?? [];
      if (delimited.length === 0) break;
      const f = pick(rng, delimited);
      const huge = pick(rng, [2 ** 28, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 35, 2 ** 53 - 1]);
      return {
        bytes: concat(bytes.subarray(0, f.lengthAt), varint(huge), bytes.subarray(f.valueAt)),
        how: `length of field ${f.tag >>> 3} := ${huge}`,
      };
    }
    case 6: {
      const number = pick(rng, [4, 5, 15, 16, 2047, 2 ** 29 - 1]);
      const wire = pick(rng, [0, 1, 2, 5]);
      const value =
        wire === 0
          ? varint(int(rng, 2 ** 31))
          : wire === 1
            ? randomBytes(rng, 8)
            : wire === 5
              ? randomBytes(rng, 4)
              : [3, 1, 2, 3];
      return {
        bytes: concat(bytes, varint(number * 8 + wire), value),
        how: `unknown field ${number}/${wire}`,
      };
    }
    case 7:
      return { bytes: new Uint8Array(0), how: 'empty' };
    default:
      break;
  }
  const n = int(rng, 64);
  return {
    bytes: concat(bytes.subarray(0, at), randomBytes(rng, n), bytes.subarray(Math.min(bytes.length, at + n))),
    how: `overwrite ${n} at ${at}`,
  };
}
