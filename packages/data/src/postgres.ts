import { readFile } from 'node:fs/promises';
import type { SiloErrorCode } from '@silo/common';
import { SiloError } from '@silo/common';
import { Client, DatabaseError } from 'pg';
import type { QueryResult } from 'pg';
import Cursor from 'pg-cursor';
import type { Dataset } from './dataset.js';
import type { TabularOptions } from './tabular.js';
import { TabularBuilder } from './tabular.js';

/** Rows fetched per round trip unless `batchSize` says otherwise. */
export const DEFAULT_POSTGRES_BATCH_SIZE = 10_000;
const CONNECT_TIMEOUT_MS = 30_000;
const APPLICATION_NAME = 'silo-worker';
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT',
]);

/** Options of {@link loadPostgres}: where to connect, what to run, and the result's columns. */
export interface PostgresOptions extends TabularOptions {
  /**
   * libpq-style URL, e.g. `postgres://silo@db.internal:5432/clinic?sslmode=verify-full`. Keep
   * the password out of it: use `passwordFile` (or the server's own auth: peer, certificates).
   */
  connectionString: string;
  /** File holding the password (one line, trailing newline ignored); used when the URL has none. */
  passwordFile?: string;
  /**
   * The SELECT whose result is the dataset, run on the owner's server in a read-only
   * transaction. Add `ORDER BY` for a reproducible row order.
   */
  query: string;
  /** Rows fetched per round trip through a server-side cursor. Default 10,000. */
  batchSize?: number;
}

/**
 * Loads a labelled dataset from the result of a SELECT on the owner's PostgreSQL server.
 *
 * Columns are read as {@link TabularOptions} describes, exactly as for CSV. Numeric columns may
 * be any type that reads as a number (integer, real, double, numeric, boolean as 1/0) or a
 * one-dimensional numeric array (e.g. `pixels real[]`), which supplies one feature per element
 * and must have the same length in every row. The result is streamed through a server-side
 * cursor `batchSize` rows at a time, each batch converted into the dataset's typed arrays before
 * the next is fetched, so the rows are never all held as JavaScript objects. Messages name the
 * 1-based row of the result.
 *
 * @throws SiloError `ERR_UNAVAILABLE` when the server cannot be reached or the connection
 *   drops; `ERR_UNAUTHENTICATED` when it refuses the credentials; `ERR_NOT_FOUND` for a missing
 *   database or password file; `ERR_FORBIDDEN` when the user may not read a table;
 *   `ERR_BAD_CONFIG` for a query that is not valid SQL or does not only read, or a bad option;
 *   `ERR_BAD_INPUT` for an empty result, a missing column, a NULL label or category, or a
 *   non-numeric numeric feature (naming the row and column).
 */
export async function loadPostgres(options: PostgresOptions): Promise<Dataset> {
  const batchSize = options.batchSize ?? DEFAULT_POSTGRES_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new SiloError('ERR_BAD_CONFIG', `postgres batchSize must be an integer ≥ 1, got ${batchSize}`);
  }
  const password = options.passwordFile === undefined ? undefined : await readPassword(options.passwordFile);
  const client = connectClient(options.connectionString, password);
  const source = `PostgreSQL ${client.host}:${client.port}/${client.database ?? ''}`;
  // A connection error while no query runs is emitted here; the next query then fails with it.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('BEGIN TRANSACTION READ ONLY');
    const cursor = client.query(new Cursor<unknown[]>(options.query, undefined, { rowMode: 'array' }));
    const table = await readAll(cursor, batchSize, options, source);
    await cursor.close();
    await client.query('COMMIT');
    await client.end();
    if (table.size === 0) throw new SiloError('ERR_BAD_INPUT', `${source}: the query returned no rows`);
    return table.finish();
  } catch (err) {
    // Ending the connection rolls the transaction back; the load's own error is the one to report.
    await client.end().catch(() => {});
    throw toPostgresError(err, source);
  }
}

function connectClient(connectionString: string, password: string | undefined): Client {
  try {
    return new Client({
      connectionString,
      ...(password === undefined ? {} : { password }),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: APPLICATION_NAME,
    });
  } catch (err) {
    // The string may hold a password, so it is not repeated here.
    throw new SiloError('ERR_BAD_CONFIG', 'postgres connectionString is not a valid connection URL', {
      cause: err,
    });
  }
}

async function readPassword(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new SiloError('ERR_NOT_FOUND', `cannot read postgres passwordFile ${file}`, { cause: err });
  }
}

/** Streams the cursor's rows into a builder, one batch of `batchSize` rows at a time. */
async function readAll(
  cursor: Cursor<unknown[]>,
  batchSize: number,
  options: TabularOptions,
  source: string,
): Promise<TabularBuilder> {
  let table: TabularBuilder | undefined;
  let rowNumber = 0;
  for (;;) {
    const { rows, result } = await readBatch(cursor, batchSize);
    const names = (result?.fields ?? []).map((field) => field.name);
    table ??= new TabularBuilder(names, options, { source, unit: 'row', columnsIn: 'the query result' });
    for (const row of rows) table.add(row, ++rowNumber);
    if (rows.length < batchSize) return table;
  }
}

/** One `cursor.read`, with the result description that only the callback form passes on. */
function readBatch(
  cursor: Cursor<unknown[]>,
  batchSize: number,
): Promise<{ rows: unknown[][]; result: QueryResult | undefined }> {
  return new Promise((resolve, reject) => {
    cursor.read(batchSize, (err, rows, result: QueryResult | undefined) =>
      err ? reject(err) : resolve({ rows, result }),
    );
  });
}

function toPostgresError(err: unknown, source: string): SiloError {
  if (err instanceof SiloError) return err;
  if (err instanceof DatabaseError && err.code !== undefined) {
    const at = err.position === undefined ? '' : ` at character ${err.position}`;
    const message = `${source}: ${describeSqlState(err.code)}: ${err.message}${at} (SQLSTATE ${err.code})`;
    return new SiloError(sqlStateCode(err.code), message, { cause: err });
  }
  const code = (err as { code?: unknown } | null)?.code;
  const text = err instanceof Error ? err.message : String(err);
  if (
    (typeof code === 'string' && NETWORK_ERRORS.has(code)) ||
    /timeout|terminated|not queryable|ended/i.test(text)
  ) {
    return new SiloError('ERR_UNAVAILABLE', `${source} is unavailable: ${text}`, { cause: err });
  }
  return new SiloError('ERR_INTERNAL', `${source}: ${text}`, { cause: err });
}

/** The SiloError code for a PostgreSQL SQLSTATE (its first two characters are the class). */
function sqlStateCode(state: string): SiloErrorCode {
  if (state === '42501') return 'ERR_FORBIDDEN';
  if (state === '3D000') return 'ERR_NOT_FOUND';
  if (state === '25006') return 'ERR_BAD_CONFIG';
  if (state === '57014') return 'ERR_TIMEOUT';
  switch (state.slice(0, 2)) {
    case '08':
    case '53':
    case '57':
      return 'ERR_UNAVAILABLE';
    case '28':
      return 'ERR_UNAUTHENTICATED';
    case '42':
      return 'ERR_BAD_CONFIG';
    case '22':
      return 'ERR_BAD_INPUT';
    default:
      return 'ERR_INTERNAL';
  }
}

function describeSqlState(state: string): string {
  if (state === '25006') return 'the query must only read data (a SELECT)';
  if (state === '42501') return 'permission denied';
  if (state.startsWith('42')) return 'the query is not valid';
  if (state.startsWith('28')) return 'the server refused the credentials';
  if (state.startsWith('22')) return 'the query failed on a value';
  if (state.startsWith('3D')) return 'cannot open the database';
  if (['08', '53', '57'].includes(state.slice(0, 2))) return 'the server is unavailable';
  return 'the query failed';
}
