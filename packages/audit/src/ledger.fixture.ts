import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FedAvg } from '@silo/aggregation';
import { createRng } from '@silo/common';
import {
  AGGREGATE_RECORD_TYP,
  CHECKPOINTS_FILE,
  ENTRIES_FILE,
  LedgerStore,
  MerkleTree,
  encodeEntry,
  formatVerifierKey,
  leafHash,
  signCheckpoint,
  type AggregateRecord,
  type NewLedgerEntry,
  type NoteSigner,
} from '@silo/ledger';
import {
  generateKeyPair,
  signManifest,
  signingKeyFromJwk,
  type PublicJwk,
  type SigningKey,
} from '@silo/signing';
import { layoutSize, sha256Hex, toCanonicalBytes, type Layout } from '@silo/tensors';

// A realistic small ledger, written with the real packages the coordinator uses: real keys,
// signed manifests, FedAvg checkpoints, signed notes. Test support only (excluded from the build).

/** Key name and checkpoint origin of the fixture coordinator. */
export const FIXTURE_ORIGIN = 'silo.test/ledger';
export const FIXTURE_RUN = 'run-1';
const LAYOUT: Layout = [
  { name: 'dense.weight', shape: [3, 4] },
  { name: 'dense.bias', shape: [4] },
];
const STRATEGY = { name: 'fedavg' } as const;

/** A worker identity of the fixture. */
export interface FixtureWorker {
  readonly name: string;
  readonly key: SigningKey;
  readonly publicJwk: PublicJwk;
}

/** Options of {@link FixtureWriter.submit}. */
export interface SubmitOptions {
  /** Nonce to sign; default a fresh random one. */
  readonly nonce?: string;
}

/**
 * Writes a ledger the way a coordinator does, entry by entry, keeping the blobs and the round
 * state so each aggregate is really FedAvg of the logged updates.
 */
export class FixtureWriter {
  readonly workers: FixtureWorker[];
  readonly #store: LedgerStore;
  readonly #rng = createRng(42);
  #clock = 1_700_000_000_000;
  #round = 1;
  #base = '';
  #pending: { index: number; keyId: string; updateDigest: string; numExamples: number }[] = [];

  private constructor(
    readonly dir: string,
    readonly coordinator: SigningKey,
    readonly noteSigner: NoteSigner,
    readonly verifierKey: string,
    workers: FixtureWorker[],
    store: LedgerStore,
  ) {
    this.workers = workers;
    this.#store = store;
  }

  /** A fresh coordinator key, `workerCount` worker keys and an empty ledger in `dir`. */
  static async create(dir: string, workerCount = 3): Promise<FixtureWriter> {
    const pair = await generateKeyPair();
    const coordinator = await signingKeyFromJwk(pair.privateJwk);
    const noteSigner = {
      name: FIXTURE_ORIGIN,
      privateKey: createPrivateKey({ key: { ...pair.privateJwk }, format: 'jwk' }),
    };
    const verifierKey = formatVerifierKey(FIXTURE_ORIGIN, Buffer.from(pair.publicJwk.x, 'base64url'));
    const workers: FixtureWorker[] = [];
    for (let i = 0; i < workerCount; i++) {
      const key = await signingKeyFromJwk((await generateKeyPair()).privateJwk);
      workers.push({ name: `hospital-${i}`, key, publicJwk: key.publicJwk });
    }
    await mkdir(join(dir, 'blobs'), { recursive: true });
    const store = await LedgerStore.open(dir);
    return new FixtureWriter(dir, coordinator, noteSigner, verifierKey, workers, store);
  }

  /** The round currently collecting updates. */
  get round(): number {
    return this.#round;
  }

  /** Logs the enrolment of `worker`'s key. */
  enroll(worker: FixtureWorker): Promise<number> {
    const { keyId, publicJwk } = worker.key;
    return this.#append({
      type: 'key-enrolled',
      keyId,
      name: worker.name,
      org: 'test',
      publicJwk,
      at: this.#now(),
    });
  }

  /** Logs the revocation of `worker`'s key. */
  revoke(worker: FixtureWorker): Promise<number> {
    return this.#append({ type: 'key-revoked', keyId: worker.key.keyId, at: this.#now() });
  }

  /** Logs the run, with random initial weights as its initial checkpoint. */
  async startRun(): Promise<number> {
    this.#base = await this.#putBlob(this.#randomVector(1));
    return this.#append({
      type: 'run',
      runId: FIXTURE_RUN,
      name: 'fixture',
      createdAt: this.#now(),
      config: { rounds: 3, strategy: STRATEGY },
      specDigest: sha256Hex(Buffer.from(JSON.stringify(LAYOUT))),
      layout: LAYOUT,
      initialCheckpoint: this.#base,
      strategy: STRATEGY,
      privacy: null,
      coordinatorKeyId: this.coordinator.keyId,
    });
  }

  /** A worker's update for the current round: a random delta, stored, signed and logged. */
  async submit(worker: FixtureWorker, options: SubmitOptions = {}): Promise<number> {
    const delta = this.#randomVector(0.1);
    const updateDigest = await this.#putBlob(delta);
    const numExamples = 10 + Math.floor(this.#rng() * 90);
    const nonce = options.nonce ?? randomBytes(12).toString('base64url');
    const manifest = await signManifest(worker.key, {
      runId: FIXTURE_RUN,
      round: this.#round,
      baseDigest: this.#base,
      updateDigest,
      updateBytes: delta.byteLength,
      numExamples,
      metrics: { loss: this.#rng() },
      nonce,
      issuedAt: this.#now(),
    });
    const keyId = worker.key.keyId;
    const index = await this.#append({
      type: 'update',
      runId: FIXTURE_RUN,
      round: this.#round,
      keyId,
      manifest,
      updateDigest,
      numExamples,
      nonce,
      acceptedAt: this.#now(),
    });
    this.#pending.push({ index, keyId, updateDigest, numExamples });
    return index;
  }

  /** Logs an update the coordinator refused. */
  reject(code: string, reason: string): Promise<number> {
    return this.#append({
      type: 'rejection',
      runId: FIXTURE_RUN,
      round: this.#round,
      claimedRound: this.#round,
      keyId: null,
      code,
      reason,
      manifestDigest: sha256Hex(Buffer.from(reason)),
      at: this.#now(),
    });
  }

  /** Aggregates the round's pending updates with FedAvg, stores the checkpoint, signs and logs the record. */
  async aggregate(): Promise<number> {
    const base = await this.#readBlob(this.#base);
    const updates = await Promise.all(
      this.#pending.map(async (u) => ({ ...u, delta: await this.#readBlob(u.updateDigest) })),
    );
    const { weights, totalExamples } = new FedAvg().aggregate(base, updates);
    const record: AggregateRecord = {
      v: 1,
      runId: FIXTURE_RUN,
      round: this.#round,
      base: this.#base,
      strategy: STRATEGY,
      updates: this.#pending.map(({ index, keyId, updateDigest, numExamples }) => ({
        index,
        keyId,
        updateDigest,
        numExamples,
      })),
      totalExamples,
      checkpoint: await this.#putBlob(weights),
      closedAt: this.#now(),
    };
    const index = await this.#append({
      type: 'aggregate',
      record: await this.coordinator.sign(AGGREGATE_RECORD_TYP, record),
    });
    this.#base = record.checkpoint;
    this.#round += 1;
    this.#pending = [];
    return index;
  }

  /** Logs the run's completion on the latest checkpoint. */
  endRun(): Promise<number> {
    return this.#append({
      type: 'run-ended',
      runId: FIXTURE_RUN,
      status: 'completed',
      round: this.#round - 1,
      checkpoint: this.#base,
      at: this.#now(),
    });
  }

  /** Signs and stores a checkpoint of the whole log. */
  checkpoint(): Promise<string> {
    return this.#store.checkpoint(FIXTURE_ORIGIN, this.noteSigner);
  }

  /** Closes the ledger store. */
  close(): Promise<void> {
    return this.#store.close();
  }

  async #append(entry: NewLedgerEntry): Promise<number> {
    return (await this.#store.append(encodeEntry(entry))).index;
  }

  #now(): number {
    this.#clock += 1_000;
    return this.#clock;
  }

  #randomVector(scale: number): Float32Array {
    return Float32Array.from({ length: layoutSize(LAYOUT) }, () => (this.#rng() * 2 - 1) * scale);
  }

  async #putBlob(weights: Float32Array): Promise<string> {
    const bytes = toCanonicalBytes(weights).slice();
    const digest = sha256Hex(bytes);
    await writeFile(join(this.dir, 'blobs', digest), bytes);
    return digest;
  }

  async #readBlob(digest: string): Promise<Float32Array> {
    const bytes = await readFile(join(this.dir, 'blobs', digest));
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
}

/** The standard fixture: who wrote it and where its interesting entries are. */
export interface LedgerFixture {
  readonly dir: string;
  readonly verifierKey: string;
  readonly coordinator: SigningKey;
  readonly noteSigner: NoteSigner;
  readonly workers: readonly FixtureWorker[];
  /** Update entry indices, per round (round 1 first). */
  readonly updates: readonly (readonly number[])[];
  readonly aggregates: readonly number[];
  readonly rejection: number;
  readonly runEnded: number;
  /** Sizes of the stored checkpoints. */
  readonly checkpointSizes: readonly number[];
  /** Entries in all. */
  readonly size: number;
}

/**
 * Writes the standard fixture into `dir`: 3 enrolled workers, one run of 3 rounds (3, 3 and 2
 * updates), a rejection in round 1, the run's completion, and a checkpoint after each round:
 *
 *   0–2 key-enrolled · 3 run · 4–6 updates · 7 rejection · 8 aggregate ‖ 9–11 updates ·
 *   12 aggregate ‖ 13–14 updates · 15 aggregate · 16 run-ended ‖
 */
export async function writeLedgerFixture(dir: string): Promise<LedgerFixture> {
  const w = await FixtureWriter.create(dir);
  try {
    for (const worker of w.workers) await w.enroll(worker);
    await w.startRun();
    const updates: number[][] = [];
    const aggregates: number[] = [];
    const checkpointSizes: number[] = [];
    let rejection = -1;
    for (const count of [3, 3, 2]) {
      const round: number[] = [];
      for (const worker of w.workers.slice(0, count)) round.push(await w.submit(worker));
      if (w.round === 1)
        rejection = await w.reject('ERR_BAD_SIGNATURE', 'signature by key x does not verify');
      updates.push(round);
      aggregates.push(await w.aggregate());
      if (w.round <= 3) checkpointSizes.push(await checkpointSize(w));
    }
    const runEnded = await w.endRun();
    checkpointSizes.push(await checkpointSize(w));
    return {
      dir,
      verifierKey: w.verifierKey,
      coordinator: w.coordinator,
      noteSigner: w.noteSigner,
      workers: w.workers,
      updates,
      aggregates,
      rejection,
      runEnded,
      checkpointSizes,
      size: runEnded + 1,
    };
  } finally {
    await w.close();
  }
}

async function checkpointSize(w: FixtureWriter): Promise<number> {
  const note = await w.checkpoint();
  return Number(note.split('\n')[1]);
}

/** Frames `payload` as one ledger record: uint32 BE length ‖ payload ‖ SHA-256(length ‖ payload). */
export function frameRecord(payload: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  const framed = Buffer.concat([head, payload]);
  return Buffer.concat([framed, createHash('sha256').update(framed).digest()]);
}

/** The payloads of a record file, in order (the file must be intact). */
export async function readPayloads(path: string): Promise<Buffer[]> {
  const data = await readFile(path);
  const out: Buffer[] = [];
  for (let offset = 0; offset < data.length;) {
    const length = data.readUInt32BE(offset);
    out.push(data.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length + 32;
  }
  return out;
}

/**
 * Rewrites a ledger directory as a dishonest coordinator holding the real keys would: the given
 * entries, freshly framed, and checkpoints re-signed at `sizes`, so the Merkle level is clean.
 */
export async function rewriteLedger(
  dir: string,
  payloads: readonly Uint8Array[],
  sizes: readonly number[],
  signer: NoteSigner,
): Promise<void> {
  await writeFile(join(dir, ENTRIES_FILE), Buffer.concat(payloads.map(frameRecord)));
  const tree = MerkleTree.from(payloads.map((p) => leafHash(p)));
  const notes = sizes.map((size) =>
    signCheckpoint({ origin: FIXTURE_ORIGIN, size, root: tree.root(size) }, signer),
  );
  await writeFile(join(dir, CHECKPOINTS_FILE), Buffer.concat(notes.map((n) => frameRecord(Buffer.from(n)))));
}
