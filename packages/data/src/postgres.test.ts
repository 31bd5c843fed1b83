import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiloError } from '@silo/common';
import { loadCsv } from './csv.js';
import { loadMnist } from './mnist.js';
import type { PostgresOptions } from './postgres.js';
import { loadPostgres } from './postgres.js';
import { loadDataSource } from './source.js';

/** The real local server (trust auth); override with SILO_TEST_POSTGRES_URL. */
const url = process.env.SILO_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const prefix = `silo_test_${process.pid}_${randomBytes(4).toString('hex')}`;
const people = `${prefix}_people`;
const messy = `${prefix}_messy`;
const digits = `${prefix}_digits`;
const ROWS = 100;
const CITIES = ['paris', 'berlin', 'oslo', 'rome'];

const dir = mkdtempSync(path.join(tmpdir(), 'silo-data-pg-'));
const admin = new Client({ connectionString: url });

/** Row `i` (1-based) of the people table, as CSV cells: age, income, city, outcome. */
function person(i: number): [number, string, string, string] {
  return [
    20 + ((i * 37) % 50),
    ((i * 7919) % 1000) / 10 + 0.25 + '',
    CITIES[(i * 3) % 4]!,
    i % 3 === 0 ? 'sick' : 'well',
  ];
}

beforeAll(async () => {
  await admin.connect();
  await admin.query(
    `CREATE TABLE ${people} (id int PRIMARY KEY, age int, income numeric, city text, outcome text)`,
  );
  for (let i = 1; i <= ROWS; i++)
    await admin.query(`INSERT INTO ${people} VALUES ($1, $2, $3, $4, $5)`, [i, ...person(i)]);
  await admin.query(`CREATE TABLE ${messy} (id int PRIMARY KEY, reading text, label text)`);
  await admin.query(
    `INSERT INTO ${messy} VALUES (1, '1.5', 'a'), (2, '2', 'b'), (3, 'n/a', 'a'), (4, '3', NULL)`,
  );
});

afterAll(async () => {
  await admin.query(`DROP TABLE IF EXISTS ${people}, ${messy}, ${digits}`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

function load(query: string, options: Partial<PostgresOptions> = {}): ReturnType<typeof loadPostgres> {
  return loadPostgres({ connectionString: url, query, labelColumn: 'outcome', ...options });
}

async function rejection(promise: Promise<unknown>): Promise<SiloError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e as SiloError,
  );
  expect(err?.name).toBe('SiloError');
  return err!;
}

describe('loadPostgres', () => {
  const everyone = `SELECT age, income, city, outcome FROM ${people} ORDER BY id`;

  it('loads numeric and categorical columns exactly as the CSV loader does', async () => {
    const ds = await load(everyone, { categorical: ['city'], normalize: 'standard' });
    expect(ds.size).toBe(ROWS);
    expect(ds.featureShape).toEqual([2 + CITIES.length]);
    expect(ds.numClasses).toBe(2);
    // outcome: 'sick' < 'well'
    expect(ds.y[2]).toBe(0);
    expect(ds.y[0]).toBe(1);
    // city one-hot over berlin, oslo, paris, rome; row 1 is 'rome'
    expect(Array.from(ds.x.subarray(2, 6))).toEqual([0, 0, 0, 1]);
    const ages = Array.from({ length: ROWS }, (_, i) => ds.x[i * 6]!);
    const mean = ages.reduce((a, b) => a + b, 0) / ROWS;
    expect(mean).toBeCloseTo(0, 5);
    expect(Math.sqrt(ages.reduce((a, v) => a + (v - mean) ** 2, 0) / ROWS)).toBeCloseTo(1, 5);

    const lines = ['age,income,city,outcome'];
    for (let i = 1; i <= ROWS; i++) lines.push(person(i).join(','));
    const file = path.join(dir, 'people.csv');
    writeFileSync(file, lines.join('\n'));
    expect(ds).toEqual(
      await loadCsv({ path: file, labelColumn: 'outcome', categorical: ['city'], normalize: 'standard' }),
    );
  });

  it('gives the same dataset fetching 7 rows at a time as in one fetch', async () => {
    const options = { categorical: ['city'], normalize: 'minmax' as const };
    const small = await load(everyone, { ...options, batchSize: 7 });
    expect(small).toEqual(await load(everyone, { ...options, batchSize: 10_000 }));
    expect(await load(everyone, { ...options, batchSize: ROWS })).toEqual(small);
  });

  it('loads through loadDataSource', async () => {
    const ds = await loadDataSource({
      kind: 'postgres',
      connectionString: url,
      query: `SELECT age, outcome FROM ${people} ORDER BY id`,
      labelColumn: 'outcome',
      normalize: 'none',
      batchSize: 30,
    });
    expect(Array.from(ds.x.subarray(0, 3))).toEqual([person(1)[0], person(2)[0], person(3)[0]]);
    await expect(
      loadDataSource({ kind: 'postgres', connectionString: url, labelColumn: 'outcome' } as never),
    ).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG' });
    await expect(
      loadDataSource({
        kind: 'postgres',
        connectionString: url,
        query: 'SELECT 1',
        labelColumn: 'y',
        batchSize: 0,
      }),
    ).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG' });
  });

  it('names the row and column of a NULL label', async () => {
    const err = await rejection(
      load(`SELECT reading, label FROM ${messy} WHERE id <> 3 ORDER BY id`, { labelColumn: 'label' }),
    );
    expect(err.code).toBe('ERR_BAD_INPUT');
    expect(err.message).toMatch(/row 3, column "label": the label is missing/);
  });

  it('names the row and column of non-numeric text in a numeric feature', async () => {
    const err = await rejection(
      load(`SELECT reading, label FROM ${messy} ORDER BY id`, { labelColumn: 'label' }),
    );
    expect(err.code).toBe('ERR_BAD_INPUT');
    expect(err.message).toMatch(/row 3, column "reading": "n\/a" is not a number/);
  });

  it('rejects an empty result and an unknown column', async () => {
    const empty = await rejection(load(`SELECT age, outcome FROM ${people} WHERE false`));
    expect(empty.code).toBe('ERR_BAD_INPUT');
    expect(empty.message).toMatch(/no rows/);
    const unknown = await rejection(load(everyone, { featureColumns: ['age', 'nope'] }));
    expect(unknown.code).toBe('ERR_BAD_INPUT');
    expect(unknown.message).toMatch(/"nope" is not in the query result/);
  });

  it('reports bad SQL as a configuration error naming the problem', async () => {
    const syntax = await rejection(load('SELEC age FROM nowhere'));
    expect(syntax.code).toBe('ERR_BAD_CONFIG');
    expect(syntax.message).toMatch(/syntax error.*SQLSTATE 42601/);
    const missing = await rejection(load(`SELECT age, outcome FROM ${prefix}_absent`));
    expect(missing.code).toBe('ERR_BAD_CONFIG');
    expect(missing.message).toMatch(/does not exist/);
  });

  it('runs the query read-only, one statement only', async () => {
    const write = await rejection(load(`DELETE FROM ${people} RETURNING age, outcome`));
    expect(write.code).toBe('ERR_BAD_CONFIG');
    expect(write.message).toMatch(/only read/);
    const stacked = await rejection(load(`SELECT 1 AS age, 'x' AS outcome; DROP TABLE ${people}`));
    expect(stacked.code).toBe('ERR_BAD_CONFIG');
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${people}`);
    expect(rows[0]!.n).toBe(ROWS);
  });

  it('reports an unreachable server as unavailable', async () => {
    const port = await freePort();
    const err = await rejection(
      loadPostgres({
        connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
        query: 'SELECT 1',
        labelColumn: 'y',
      }),
    );
    expect(err.code).toBe('ERR_UNAVAILABLE');
    expect(err.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  it('reads the password from passwordFile, and reports a missing one', async () => {
    const file = path.join(dir, 'pg-password');
    writeFileSync(file, 'unused-with-trust-auth\n', { mode: 0o600 });
    expect((await load(everyone, { passwordFile: file, categorical: ['city'] })).size).toBe(ROWS);
    const err = await rejection(load(everyone, { passwordFile: path.join(dir, 'absent') }));
    expect(err.code).toBe('ERR_NOT_FOUND');
  });

  it('loads MNIST digits stored as a real[] column back unchanged', async () => {
    const { train } = loadMnist({ trainSize: 500, testSize: 100, seed: 0 });
    const d = train.featureShape[0]!;
    await admin.query(
      `CREATE TABLE ${digits} (id int PRIMARY KEY, label int NOT NULL, pixels real[] NOT NULL)`,
    );
    const chunk = 50;
    for (let start = 0; start < train.size; start += chunk) {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let i = start; i < Math.min(start + chunk, train.size); i++) {
        const p = values.length;
        tuples.push(`($${p + 1}, $${p + 2}, $${p + 3})`);
        values.push(i, train.y[i], Array.from(train.x.subarray(i * d, (i + 1) * d)));
      }
      await admin.query(`INSERT INTO ${digits} VALUES ${tuples.join(', ')}`, values);
    }
    const ds = await loadPostgres({
      connectionString: url,
      query: `SELECT pixels, label FROM ${digits} ORDER BY id`,
      labelColumn: 'label',
      normalize: 'none',
      batchSize: 64,
    });
    expect(ds.size).toBe(train.size);
    expect(ds.featureShape).toEqual(train.featureShape);
    expect(ds.numClasses).toBe(train.numClasses);
    expect(Array.from(ds.y)).toEqual(Array.from(train.y));
    let maxDiff = 0;
    for (let i = 0; i < ds.x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ds.x[i]! - train.x[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1e-7);
  });
});

/** A loopback port with nothing listening on it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
