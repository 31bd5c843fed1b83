import { generateKeyPairSync } from 'node:crypto';
import { appendFile, cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CHECKPOINTS_FILE,
  ENTRIES_FILE,
  decodeEntry,
  encodeEntry,
  signCheckpoint,
  type AggregateRecord,
} from '@silo/ledger';
import { auditLedger, type AuditOptions } from './audit-ledger.js';
import {
  FIXTURE_ORIGIN,
  FixtureWriter,
  frameRecord,
  readPayloads,
  rewriteLedger,
  writeLedgerFixture,
  type LedgerFixture,
} from './ledger.fixture.js';
import type { AuditFinding, AuditReport } from './report.js';

let root: string;
let fx: LedgerFixture;
let dir: string;
let cases = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'silo-audit-'));
  fx = await writeLedgerFixture(join(root, 'fixture'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
beforeEach(async () => {
  // Every test tampers with its own copy of the fixture.
  dir = join(root, `case-${cases++}`);
  await cp(fx.dir, dir, { recursive: true });
});

const audit = (options: Partial<AuditOptions> = {}): Promise<AuditReport> =>
  auditLedger(dir, { coordinatorKey: fx.verifierKey, ...options });
const entriesPath = (): string => join(dir, ENTRIES_FILE);
const at = (report: AuditReport, entry: number): AuditFinding[] =>
  report.problems.filter((p) => p.entry === entry);
// Asymmetric matchers are typed `any`; as `unknown` they fit any expected value.
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);
const containing = (text: string): unknown => expect.stringContaining(text);
const semantic = (report: AuditReport): AuditFinding[] =>
  report.problems.filter((p) => p.check !== 'checkpoints');

/** Applies `edit` to the payloads of entries.log and writes them back, reframed. */
async function editPayloads(edit: (payloads: Buffer[]) => Buffer[]): Promise<void> {
  const payloads = edit(await readPayloads(entriesPath()));
  await writeFile(entriesPath(), Buffer.concat(payloads.map(frameRecord)));
}

/** The file offset of `needle` inside entry `index`'s payload. */
async function offsetIn(index: number, needle: string): Promise<number> {
  const data = await readFile(entriesPath());
  let offset = 0;
  for (let i = 0; i < index; i++) offset += 4 + data.readUInt32BE(offset) + 32;
  const length = data.readUInt32BE(offset);
  const found = data.subarray(offset + 4, offset + 4 + length).indexOf(needle);
  expect(found).toBeGreaterThanOrEqual(0);
  return offset + 4 + found;
}

describe('auditLedger on an intact ledger', () => {
  it('passes, with every check counted', async () => {
    const progress: number[] = [];
    const report = await audit({ onProgress: (done, total) => progress.push(done, total) });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      origin: FIXTURE_ORIGIN,
      entries: 17,
      checkpoints: 3,
      verifiedSize: 17,
    });
    expect(report.coordinatorKeyId).toBe(fx.coordinator.keyId);
    const passed = Object.fromEntries(report.checks.map((c) => [c.name, c.passed]));
    expect(passed).toEqual({
      checkpoints: 3,
      schema: 17,
      keys: 3,
      runs: 1,
      'update-signatures': 8,
      updates: 8,
      'aggregate-signatures': 3,
      aggregates: 3,
      blobs: 3 + 8 + 1, // each round's base, each update, the final checkpoint
      recompute: 3,
      privacy: 0, // the fixture's run has no differential privacy
      'run-ended': 1,
      rejections: 1,
      declines: 0,
      evaluations: 0,
    });
    expect(report.checks.every((c) => c.problems === 0)).toBe(true);
    expect(report.rejections).toEqual({ ERR_BAD_SIGNATURE: 1 });
    expect(report.runs).toEqual([
      {
        runId: 'run-1',
        entry: 3,
        rounds: 3,
        checkpoint: matching(/^[0-9a-f]{64}$/),
        status: 'completed',
      },
    ]);
    expect(report.warnings.map((w) => w.code)).toEqual(['WARN_KEYS_FROM_LEDGER']);
    expect(progress.slice(-2)).toEqual([17, 17]);
    expect(progress).toHaveLength(2 * 17);
  });

  it('raises no warning when the auditor supplies the worker keys', async () => {
    const report = await audit({ workers: fx.workers.map((w) => w.publicJwk), origin: FIXTURE_ORIGIN });
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([]);
  });

  it('refuses a malformed key or a missing directory instead of reporting', async () => {
    await expect(audit({ coordinatorKey: 'not-a-key' })).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
    await expect(audit({ workers: [{ kty: 'OKP', crv: 'Ed25519', x: 'short' }] })).rejects.toMatchObject({
      code: 'ERR_BAD_INPUT',
    });
    await expect(
      auditLedger(join(root, 'nowhere'), { coordinatorKey: fx.verifierKey }),
    ).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
  });

  it('fails every signature check against another coordinator key', async () => {
    const other = await FixtureWriter.create(join(root, `other-${cases}`), 0);
    await other.close();
    const report = await audit({ coordinatorKey: other.verifierKey });
    expect(report.ok).toBe(false);
    expect(
      report.problems.filter((p) => p.check === 'checkpoints' && p.code === 'ERR_BAD_SIGNATURE'),
    ).toHaveLength(3);
    expect(report.checks.find((c) => c.name === 'aggregate-signatures')).toMatchObject({
      passed: 0,
      problems: 3,
    });
    expect(at(report, 3)).toEqual([expect.objectContaining({ check: 'runs', code: 'ERR_UNKNOWN_KEY' })]);
  });
});

describe('auditLedger finds tampering', () => {
  it('a flipped byte: the record fails its checksum inside signed history', async () => {
    const offset = await offsetIn(5, '"nonce"');
    const data = await readFile(entriesPath());
    data[offset + 3] = (data[offset + 3] as number) ^ 0x01;
    await writeFile(entriesPath(), data);
    const report = await audit();
    expect(report.ok).toBe(false);
    expect(report.entries).toBe(5);
    expect(at(report, 5)).toContainEqual(
      expect.objectContaining({
        check: 'checkpoints',
        code: 'ERR_LEDGER_CORRUPT',
        reason: matching(/entry 5, which the checkpoint signed, is damaged \(record checksum mismatch/),
      }),
    );
  });

  it('a flipped byte with the checksum recomputed: only the Merkle root catches it, and names the range', async () => {
    const offset = await offsetIn(10, '"acceptedAt":');
    const data = await readFile(entriesPath());
    const digit = offset + '"acceptedAt":'.length;
    data[digit] = data[digit] === 0x31 ? 0x32 : 0x31; // another digit: still a valid entry
    await writeFile(entriesPath(), data);
    await editPayloads((p) => p); // reframe: every record checksum is valid again
    const report = await audit();
    expect(report.ok).toBe(false);
    expect(semantic(report)).toEqual([]);
    expect(report.problems).toContainEqual({
      entry: 9,
      checkpoint: 1,
      check: 'checkpoints',
      code: 'ERR_LEDGER_CORRUPT',
      reason: matching(/root does not match the entries: one of entries 9–12 is not what was signed/),
    });
  });

  it('a flipped byte in a signed manifest, checksum recomputed: the update signature fails at that entry', async () => {
    await editPayloads((payloads) => {
      const entry = decodeEntry(payloads[10] as Buffer);
      if (entry.type !== 'update') throw new Error('entry 10 should be an update');
      const payload = Buffer.from(entry.manifest.payload, 'base64url');
      const at = payload.indexOf('"numExamples":') + '"numExamples":'.length;
      payload[at] = (payload[at] ?? 0) ^ 0x01;
      entry.manifest.payload = payload.toString('base64url');
      payloads[10] = Buffer.from(JSON.stringify(entry));
      return payloads;
    });
    const report = await audit();
    expect(at(report, 10)).toContainEqual(
      expect.objectContaining({ check: 'update-signatures', code: 'ERR_BAD_SIGNATURE' }),
    );
    expect(at(report, 12)).toContainEqual(
      expect.objectContaining({
        check: 'aggregates',
        reason: 'lists entry 10, whose manifest did not verify',
      }),
    );
  });

  it('an entry deleted', async () => {
    await editPayloads((payloads) => payloads.filter((_, i) => i !== 5));
    const report = await audit();
    expect(report.ok).toBe(false);
    // The round-1 aggregate moved to index 7 and now points past the hole.
    expect(at(report, 7)).toContainEqual(
      expect.objectContaining({
        check: 'aggregates',
        reason: 'lists entry 6, which is not an earlier update entry',
      }),
    );
    expect(report.problems).toContainEqual(
      expect.objectContaining({
        entry: 0,
        checkpoint: 0,
        reason: matching(/one of entries 0–8/),
      }),
    );
  });

  it('two entries swapped', async () => {
    await editPayloads((payloads) => {
      [payloads[4], payloads[5]] = [payloads[5] as Buffer, payloads[4] as Buffer];
      return payloads;
    });
    const report = await audit();
    expect(report.ok).toBe(false);
    expect(at(report, 8)).toContainEqual(
      expect.objectContaining({
        check: 'aggregates',
        reason: `lists entry 4 with key ${fx.workers[0]?.key.keyId}, but the entry has ${fx.workers[1]?.key.keyId}`,
      }),
    );
    expect(report.problems).toContainEqual(expect.objectContaining({ checkpoint: 0, entry: 0 }));
  });

  it('a checkpoint replaced by one signed with another key', async () => {
    const notes = (await readPayloads(join(dir, CHECKPOINTS_FILE))).map((n) => n.toString('utf8'));
    const body = (notes[1] as string).slice(0, (notes[1] as string).lastIndexOf('\n\n') + 1);
    const [origin = '', size = '', rootLine = ''] = body.split('\n');
    const stranger = { name: FIXTURE_ORIGIN, privateKey: generateKeyPairSync('ed25519').privateKey };
    notes[1] = signCheckpoint(
      { origin, size: Number(size), root: Buffer.from(rootLine, 'base64') },
      stranger,
    );
    await writeFile(
      join(dir, CHECKPOINTS_FILE),
      Buffer.concat(notes.map((n) => frameRecord(Buffer.from(n)))),
    );
    const report = await audit();
    expect(report.ok).toBe(false);
    expect(semantic(report)).toEqual([]);
    expect(report.problems).toEqual([
      {
        checkpoint: 1,
        check: 'checkpoints',
        code: 'ERR_BAD_SIGNATURE',
        reason: matching(/^checkpoint 1: note has no signature by a trusted key/),
      },
    ]);
  });

  it('an aggregate re-signed to list an update of another round, with clean checkpoints', async () => {
    const payloads = await readPayloads(entriesPath());
    const entry = decodeEntry(payloads[12] as Buffer);
    const donor = decodeEntry(payloads[4] as Buffer);
    if (entry.type !== 'aggregate' || donor.type !== 'update') throw new Error('unexpected fixture layout');
    const record = JSON.parse(Buffer.from(entry.record.payload, 'base64url').toString()) as AggregateRecord;
    const [replaced, ...rest] = record.updates;
    const listed = {
      index: 4,
      keyId: donor.keyId,
      updateDigest: donor.updateDigest,
      numExamples: donor.numExamples,
    };
    record.updates = [listed, ...rest];
    record.totalExamples += listed.numExamples - (replaced?.numExamples ?? 0);
    payloads[12] = Buffer.from(
      encodeEntry({ type: 'aggregate', record: await fx.coordinator.sign('silo-aggregate+jws', record) }),
    );
    await rewriteLedger(dir, payloads, fx.checkpointSizes, fx.noteSigner);

    const report = await audit();
    expect(report.ok).toBe(false);
    expect(
      report.problems.filter((p) => p.check === 'checkpoints' || p.check === 'aggregate-signatures'),
    ).toEqual([]);
    expect(at(report, 12)).toContainEqual({
      entry: 12,
      check: 'aggregates',
      code: 'ERR_STALE_ROUND',
      reason: 'lists entry 4, an update for round 1 of run run-1, in the aggregate of round 2 of run run-1',
    });
    expect(at(report, 12)).toContainEqual(
      expect.objectContaining({
        code: 'ERR_CONFLICT',
        reason: 'lists entry 4, which entry 8 already aggregated',
      }),
    );
  });

  it('a blob changed after it was logged', async () => {
    const update = decodeEntry((await readPayloads(entriesPath()))[10] as Buffer);
    if (update.type !== 'update') throw new Error('entry 10 should be an update');
    const path = join(dir, 'blobs', update.updateDigest);
    const bytes = await readFile(path);
    bytes[0] = (bytes[0] as number) ^ 0x01;
    await writeFile(path, bytes);
    const report = await audit();
    expect(report.ok).toBe(false);
    expect(at(report, 10)).toEqual([
      {
        entry: 10,
        check: 'blobs',
        code: 'ERR_DIGEST_MISMATCH',
        reason: containing(`update blob aggregated by entry 12: blob ${update.updateDigest} changed`),
      },
    ]);
    expect(at(report, 12)).toEqual([expect.objectContaining({ check: 'recompute', entry: 12 })]);
  });

  it('a blob that is missing', async () => {
    const update = decodeEntry((await readPayloads(entriesPath()))[13] as Buffer);
    if (update.type !== 'update') throw new Error('entry 13 should be an update');
    await unlink(join(dir, 'blobs', update.updateDigest));
    const report = await audit();
    expect(at(report, 13)).toEqual([
      expect.objectContaining({
        check: 'blobs',
        code: 'ERR_NOT_FOUND',
        reason: matching(/is missing$/),
      }),
    ]);
  });

  it('a completed run whose final checkpoint is not its last aggregate', async () => {
    const payloads = await readPayloads(entriesPath());
    const ended = decodeEntry(payloads[16] as Buffer);
    const run = decodeEntry(payloads[3] as Buffer);
    if (ended.type !== 'run-ended' || run.type !== 'run') throw new Error('unexpected fixture layout');
    payloads[16] = Buffer.from(JSON.stringify({ ...ended, checkpoint: run.initialCheckpoint }));
    await rewriteLedger(dir, payloads, fx.checkpointSizes, fx.noteSigner);
    const report = await audit();
    expect(report.problems).toEqual([
      expect.objectContaining({ entry: 16, check: 'run-ended', code: 'ERR_DIGEST_MISMATCH' }),
    ]);
  });
});

describe('auditLedger at the edges of signed history', () => {
  it('a torn last record is a warning, not a problem: it is what a crash mid-append leaves', async () => {
    const before = await readFile(entriesPath());
    await appendFile(entriesPath(), frameRecord(Buffer.from('{"v":1,"type":"rejection"}')).subarray(0, 20));
    const report = await audit();
    expect(report.ok).toBe(true);
    expect(report.entries).toBe(17);
    expect(report.warnings).toContainEqual(
      expect.objectContaining({
        entry: 17,
        code: 'WARN_TORN_TAIL',
        reason: matching(/20 bytes/),
      }),
    );
    // The audit reads; it never repairs.
    expect((await readFile(entriesPath())).length).toBe(before.length + 20);
  });

  it('entries after the latest checkpoint are flagged as uncovered and still checked', async () => {
    const payloads = await readPayloads(entriesPath());
    await appendFile(entriesPath(), frameRecord(payloads[13] as Buffer)); // a replayed update
    const report = await audit();
    expect(report.warnings).toContainEqual({
      entry: 17,
      check: 'checkpoints',
      code: 'WARN_UNCOVERED',
      reason: 'entries 17–17 are not covered by a signed checkpoint; they were checked all the same',
    });
    expect(at(report, 17)).toContainEqual(
      expect.objectContaining({
        code: 'ERR_REPLAYED_NONCE',
        reason: matching(/already used by entry 13/),
      }),
    );
  });
});

describe('auditLedger replays key history', () => {
  /** Enrols every fixture worker and starts the run. */
  async function started(): Promise<FixtureWriter> {
    await rm(dir, { recursive: true, force: true });
    const w = await FixtureWriter.create(dir);
    for (const worker of w.workers) await w.enroll(worker);
    await w.startRun();
    return w;
  }
  const workerAt = (w: FixtureWriter, i: number) => w.workers[i] as FixtureWriter['workers'][number];

  it('an update signed by a revoked key fails, while the same key earlier passes', async () => {
    const w = await started();
    const early = [];
    for (const worker of w.workers) early.push(await w.submit(worker));
    await w.aggregate();
    await w.revoke(workerAt(w, 2));
    await w.submit(workerAt(w, 0));
    const late = await w.submit(workerAt(w, 2));
    await w.aggregate();
    await w.endRun();
    await w.checkpoint();
    await w.close();

    const report = await auditLedger(dir, { coordinatorKey: w.verifierKey });
    expect(report.ok).toBe(false);
    expect(at(report, early[2] as number)).toEqual([]);
    expect(at(report, late)).toEqual([
      expect.objectContaining({
        check: 'update-signatures',
        code: 'ERR_UNKNOWN_KEY',
        reason: matching(/was revoked at/),
      }),
    ]);
  });

  it('a nonce used twice', async () => {
    const w = await started();
    const first = await w.submit(workerAt(w, 0), { nonce: 'nonce-1' });
    await w.aggregate();
    const replayed = await w.submit(workerAt(w, 0), { nonce: 'nonce-1' });
    await w.aggregate();
    await w.checkpoint();
    await w.close();

    const report = await auditLedger(dir, { coordinatorKey: w.verifierKey });
    expect(report.problems).toEqual([
      {
        entry: replayed,
        check: 'updates',
        code: 'ERR_REPLAYED_NONCE',
        reason: `nonce "nonce-1" was already used by entry ${first}`,
      },
    ]);
  });

  it('an enrolled key the auditor does not trust', async () => {
    const report = await audit({ workers: fx.workers.slice(0, 2).map((w) => w.publicJwk) });
    expect(report.ok).toBe(false);
    expect(at(report, 2)).toEqual([
      {
        entry: 2,
        check: 'keys',
        code: 'ERR_UNKNOWN_KEY',
        reason: matching(/^enrolls key .* \('hospital-2'\), which is not among the auditor's trusted/),
      },
    ]);
    // Its updates cannot be trusted either.
    expect(at(report, fx.updates[0]?.[2] as number)).toContainEqual(
      expect.objectContaining({ check: 'update-signatures', code: 'ERR_UNKNOWN_KEY' }),
    );
  });
});
