import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger } from '@silo/audit';
import {
  LedgerStore,
  decodeEntry,
  parseAggregateRecord,
  type AggregateRecord,
  type UpdateEntry,
} from '@silo/ledger';
import type { PublicJwk } from '@silo/signing';
import { readEgressLog } from '@silo/worker';
import type { SimulationReport } from '../packages/cli/src/simulation/report.js';
import { REDIS_URL, tempDir } from './helpers.js';

const run = promisify(execFile);
const SILO = join(import.meta.dirname, '../packages/cli/bin/silo.js');

const WORKERS = 100;
const PROCESSES = 2;
const ROUNDS = 3;
const SAMPLED = WORKERS / 2;

/** What one worker's own egress log says it did. */
interface WorkerSide {
  keyId: string;
  /** Rounds it was sampled for: it fetched the round's model. */
  fetched: Set<number>;
  /** The ledger entry index of its accepted update, by round. */
  accepted: Map<number, number>;
}

async function workerSide(stateDir: string): Promise<WorkerSide> {
  const { records, problems } = await readEgressLog(join(stateDir, 'egress.log'));
  expect(problems).toEqual([]);
  const side: WorkerSide = { keyId: '', fetched: new Set(), accepted: new Map() };
  for (const record of records) {
    if (record.kind === 'join') side.keyId = record.keyId;
    if (record.kind === 'fetch-model') side.fetched.add(record.round);
    if (record.kind === 'accepted') side.accepted.set(record.round, record.entryIndex);
  }
  return side;
}

/** The update entries and aggregate records of a ledger directory, by round. */
async function ledgerRounds(dir: string): Promise<{
  updates: Map<number, { index: number; entry: UpdateEntry }[]>;
  aggregates: Map<number, AggregateRecord>;
  rejections: string[];
}> {
  const store = await LedgerStore.open(dir);
  const updates = new Map<number, { index: number; entry: UpdateEntry }[]>();
  const aggregates = new Map<number, AggregateRecord>();
  const rejections: string[] = [];
  try {
    for (let index = 0; index < store.size; index++) {
      const entry = decodeEntry(await store.entry(index), index);
      if (entry.type === 'update')
        updates.set(entry.round, [...(updates.get(entry.round) ?? []), { index, entry }]);
      if (entry.type === 'rejection') rejections.push(entry.code);
      if (entry.type === 'aggregate') {
        const payload: unknown = JSON.parse(Buffer.from(entry.record.payload, 'base64url').toString('utf8'));
        const record = parseAggregateRecord(payload, index);
        expect(aggregates.has(record.round)).toBe(false);
        aggregates.set(record.round, record);
      }
    }
  } finally {
    await store.close();
  }
  return { updates, aggregates, rejections };
}

describe('silo simulate at scale: virtual workers, same code path', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => {
    await cleanup();
  });

  it(`runs ${WORKERS} virtual workers in ${PROCESSES} processes; every sampled update is signed, verified and counted once`, async () => {
    const sim = join(dir, 'sim');
    const reportPath = join(dir, 'report.json');
    // prettier-ignore
    await run(process.execPath, [
      SILO, 'simulate', '--workers', String(WORKERS), '--processes', String(PROCESSES),
      '--rounds', String(ROUNDS), '--dataset', 'tabular', '--train-size', String(WORKERS * 16),
      '--epochs', '1', '--batch-size', '16', '--partition', 'iid', '--sample', '50%',
      '--no-baseline', '--dir', sim, '--report-json', reportPath,
    ], { env: { ...process.env, REDIS_URL }, timeout: 150_000 });
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as SimulationReport;
    expect(report.status).toBe('completed');
    expect(report).toMatchObject({
      workers: WORKERS,
      processes: PROCESSES,
      sampled: SAMPLED,
      params: 101_066,
    });
    expect(report.pools.workers).toBe(WORKERS);
    expect(report.updatesPerRound).toEqual([SAMPLED, SAMPLED, SAMPLED]);
    expect(report.rejectedPerRound).toEqual([0, 0, 0]);
    expect(report.audit).toMatchObject({ ok: true, problems: 0 });

    // Each virtual worker is a worker of its own: its own key, certificate and records.
    const configs = await Promise.all(
      ['worker-000', 'worker-001'].map(
        async (name) =>
          JSON.parse(await readFile(join(sim, `${name}.json`), 'utf8')) as {
            keyFile: string;
            tls: { cert: string };
          },
      ),
    );
    expect(configs[0]!.keyFile).not.toBe(configs[1]!.keyFile);
    expect(configs[0]!.tls.cert).not.toBe(configs[1]!.tls.cert);
    const names = (await readdir(join(sim, 'state'))).sort();
    expect(names).toHaveLength(WORKERS);
    const sides = await Promise.all(names.map((name) => workerSide(join(sim, 'state', name))));
    expect(new Set(sides.map((s) => s.keyId)).size).toBe(WORKERS);

    // The ledger: each round's aggregate lists every sampled worker's update exactly once, and
    // exactly the updates the round accepted.
    const ledgerDir = join(sim, 'coordinator', 'ledger');
    const { updates, aggregates } = await ledgerRounds(ledgerDir);
    expect([...aggregates.keys()].sort()).toEqual([1, 2, 3]);
    const samples = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const aggregate = aggregates.get(round)!;
      const listed = aggregate.updates.map((u) => u.keyId).sort();
      const sampled = sides
        .filter((s) => s.fetched.has(round))
        .map((s) => s.keyId)
        .sort();
      expect(sampled).toHaveLength(SAMPLED);
      expect(new Set(listed).size).toBe(listed.length);
      expect(listed).toEqual(sampled);
      const entries = updates.get(round) ?? [];
      expect(aggregate.updates.map((u) => u.index).sort((a, b) => a - b)).toEqual(
        entries.map((e) => e.index),
      );
      for (const u of aggregate.updates) {
        const entry = entries.find((e) => e.index === u.index)!.entry;
        expect(entry).toMatchObject({
          keyId: u.keyId,
          updateDigest: u.updateDigest,
          numExamples: u.numExamples,
        });
        // The worker's own records agree: its update was accepted as this very entry.
        expect(sides.find((s) => s.keyId === u.keyId)!.accepted.get(round)).toBe(u.index);
      }
      samples.push(sampled.join());
    }
    // Sampling varies by round.
    expect(new Set(samples).size).toBeGreaterThan(1);

    // An auditor with nothing but the files and the enrolled keys accepts the whole ledger.
    const jwks = JSON.parse(await readFile(join(sim, 'workers.jwks.json'), 'utf8')) as { keys: PublicJwk[] };
    const verifierKey = (await readFile(join(sim, 'coordinator', 'ledger-verifier.key'), 'utf8')).trim();
    const audit = await auditLedger(ledgerDir, { coordinatorKey: verifierKey, workers: jwks.keys });
    expect(audit.problems).toEqual([]);
    expect(audit.ok).toBe(true);
  }, 180_000);

  it('lets stragglers and dropouts meet the quorum rules: rounds close on the quorum, late updates are refused as stale, nothing counts twice', async () => {
    const sim = join(dir, 'hetero');
    const reportPath = join(dir, 'hetero.json');
    const workers = 40;
    // prettier-ignore
    await run(process.execPath, [
      SILO, 'simulate', '--workers', String(workers), '--processes', '2', '--rounds', '2',
      '--dataset', 'tabular', '--train-size', String(workers * 16), '--epochs', '1', '--batch-size', '16',
      '--partition', 'iid', '--dropout', '0.25', '--speed-spread', '3', '--min-updates', '50%',
      '--seed', '3', '--no-baseline', '--dir', sim, '--report-json', reportPath,
    ], { env: { ...process.env, REDIS_URL }, timeout: 150_000 });
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as SimulationReport;
    expect(report.status).toBe('completed');
    expect(report.pools.dropped).toBeGreaterThan(0);
    expect(report.audit).toMatchObject({ ok: true, problems: 0 });
    const names = (await readdir(join(sim, 'state'))).sort();
    const sides = await Promise.all(names.map((name) => workerSide(join(sim, 'state', name))));
    const { updates, aggregates, rejections } = await ledgerRounds(join(sim, 'coordinator', 'ledger'));
    // An update that arrives after its round closed on the quorum is refused as stale, on record.
    expect(rejections.filter((code) => code !== 'ERR_STALE_ROUND')).toEqual([]);
    expect(rejections).toHaveLength(report.rejectedPerRound.reduce((a, b) => a + b, 0));
    for (let round = 1; round <= 2; round++) {
      const listed = aggregates.get(round)!.updates.map((u) => u.keyId);
      expect(new Set(listed).size).toBe(listed.length);
      expect(listed.length).toBeGreaterThanOrEqual(workers / 2);
      expect(listed.map((k) => sides.find((s) => s.keyId === k)!.fetched.has(round))).not.toContain(false);
      // Only updates the round accepted are aggregated; a worker that dropped out sent none.
      expect((updates.get(round) ?? []).map((e) => e.entry.keyId).sort()).toEqual([...listed].sort());
      const dropped = sides.filter((s) => s.fetched.has(round) && !s.accepted.has(round));
      for (const side of dropped) expect(listed).not.toContain(side.keyId);
    }
  }, 180_000);
});
