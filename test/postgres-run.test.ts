import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadDataSource,
  loadSplit,
  type DataSourceConfig,
  type Dataset,
  type SplitSourceConfig,
} from '@silo/data';
import { startFederation } from './federation-fixture.js';
import { nextEvent } from './helpers.js';

/** The real local server (trust auth); override with SILO_TEST_POSTGRES_URL. */
const POSTGRES_URL = process.env['SILO_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const NAMES = ['a', 'b'] as const;
const SEED = 5;
const TRAIN_SIZE = 600;
const TEST_SIZE = 500;
/** Rows per INSERT: 4 parameters each, well under PostgreSQL's 65,535 per statement. */
const INSERT_ROWS = 100;

/** The bundled digits as `silo simulate` and a demo worker config name them, one per worker. */
const mnistSource = (index: number): SplitSourceConfig => ({
  kind: 'mnist',
  partition: 'iid',
  parts: NAMES.length,
  index,
  seed: SEED,
  trainSize: TRAIN_SIZE,
});

const table = `silo_run_${process.pid}_${randomBytes(4).toString('hex')}`;
const admin = new Client({ connectionString: POSTGRES_URL });

/**
 * What a data owner's worker config says to read its share from the table: its rows, in their
 * order, the label and the 784 pixels as one `real[]` column. The pixels are stored as the
 * bundled floats in [0, 1], so no normalisation is asked for (`normalize` defaults to `none`):
 * the connector's own `minmax` would rescale each pixel by this owner's extremes, not by 255.
 */
const postgresSource = (index: number): DataSourceConfig => ({
  kind: 'postgres',
  connectionString: POSTGRES_URL,
  query: `SELECT label, pixels FROM ${table} WHERE worker = ${index} ORDER BY position`,
  batchSize: 128,
  labelColumn: 'label',
  featureColumns: ['pixels'],
});

/** The SHA-256 of a typed array's bytes. */
const digest = (values: Float32Array | Int32Array): string =>
  createHash('sha256')
    .update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
    .digest('hex');

/** Writes each worker's share of the bundled digits into the table, one row per digit. */
async function fillTable(shares: readonly Dataset[]): Promise<void> {
  await admin.query(
    `CREATE TABLE ${table} (worker int NOT NULL, position int NOT NULL, label int NOT NULL, pixels real[] NOT NULL, PRIMARY KEY (worker, position))`,
  );
  for (const [worker, share] of shares.entries()) {
    const [width] = share.featureShape;
    for (let start = 0; start < share.size; start += INSERT_ROWS) {
      const end = Math.min(start + INSERT_ROWS, share.size);
      const values: unknown[] = [];
      const rows: string[] = [];
      for (let row = start; row < end; row++) {
        const at = values.length;
        rows.push(`($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4})`);
        // A float32 printed as the shortest decimal that reads back as the same double, which
        // PostgreSQL rounds to the same float32.
        values.push(
          worker,
          row,
          share.y[row],
          Array.from(share.x.subarray(row * width!, (row + 1) * width!)),
        );
      }
      await admin.query(`INSERT INTO ${table} VALUES ${rows.join(', ')}`, values);
    }
  }
}

/** The final evaluation accuracy and the checkpoints of a two-round run on the given shares. */
async function federatedRun(data: readonly Dataset[]): Promise<{ accuracy: number; checkpoints: string[] }> {
  const federation = await startFederation({ names: NAMES, data });
  try {
    const { coordinator } = federation;
    const ended = nextEvent<{ status: string }>(coordinator, 'run-ended');
    const run = await coordinator.createRun({
      model: 'mlp',
      rounds: 2,
      minWorkers: NAMES.length,
      seed: SEED,
      train: { epochs: 1, batchSize: 20, learningRate: 0.05 },
      evaluation: { dataset: 'mnist-test', size: TEST_SIZE, seed: SEED, trainSize: TRAIN_SIZE },
    });
    expect((await ended).status).toBe('completed');
    const view = await coordinator.runView(run.id);
    expect(view.history.map((r) => r.round)).toEqual([1, 2]);
    return {
      accuracy: view.history.at(-1)?.evalAccuracy ?? Number.NaN,
      checkpoints: view.history.map((r) => r.checkpoint),
    };
  } finally {
    await federation.close();
  }
}

describe('a simulated run fed from a PostgreSQL table', () => {
  const bundled = NAMES.map((_, i) => loadSplit(mnistSource(i)).share(i));

  beforeAll(async () => {
    await admin.connect();
    await fillTable(bundled);
  });

  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });

  it('reads each share bit for bit and reaches the accuracy of the bundled digits', async () => {
    const fromPostgres: Dataset[] = [];
    for (const i of NAMES.keys()) fromPostgres.push(await loadDataSource(postgresSource(i)));
    // The connector read every row of each worker's share, pixels and labels unchanged.
    expect(fromPostgres.map((d) => d.size)).toEqual(bundled.map((d) => d.size));
    expect(fromPostgres.reduce((n, d) => n + d.size, 0)).toBe(TRAIN_SIZE);
    for (const [i, d] of fromPostgres.entries()) {
      expect(d.featureShape).toEqual([784]);
      expect(d.numClasses).toBe(10);
      // Digests, so a mismatch fails at once instead of diffing millions of floats.
      expect(digest(d.x), `pixels of worker ${i}`).toBe(digest(bundled[i]!.x));
      expect(digest(d.y), `labels of worker ${i}`).toBe(digest(bundled[i]!.y));
    }

    const postgres = await federatedRun(fromPostgres);
    const digits = await federatedRun(bundled);
    console.info(
      `final evaluation accuracy on ${TEST_SIZE} digits: postgres ${postgres.accuracy}, bundled ${digits.accuracy}`,
    );
    // Well above chance (0.1): the run learned from the rows it read.
    expect(postgres.accuracy).toBeGreaterThan(0.5);
    expect(postgres.accuracy).toBeCloseTo(digits.accuracy, 12);
    // Same data, seed and two workers (whose float64 sum does not depend on their order): the
    // same global model every round.
    expect(postgres.checkpoints).toEqual(digits.checkpoints);
  });
});
