import { SiloError } from '@silo/common';
import { loadCsv } from './csv.js';
import type { PostgresOptions } from './postgres.js';
import { loadPostgres } from './postgres.js';
import type { TabularOptions } from './tabular.js';
import { NORMALIZATIONS } from './tabular.js';
import type { Dataset } from './dataset.js';
import { subset } from './dataset.js';
import { loadMnist } from './mnist.js';
import { loadSyntheticTabular } from './gaussian-mixture.js';
import { parsePartitionScheme, partition } from './partition.js';

/**
 * Where a worker's local training data comes from.
 *
 * - `mnist`: simulation — worker `index` of `parts` takes its share of the MNIST train split
 *   (`loadMnist({ trainSize, seed })`), split by the `partition` scheme text
 *   (see {@link parsePartitionScheme}) with the same `seed` (default 0).
 * - `synthetic-tabular`: simulation — the same, over the train split of the seeded Gaussian-mixture
 *   problem of `loadSyntheticTabular({ trainSize, seed })` (50 numeric features, 10 classes).
 * - `csv`: a real data owner's file (see {@link loadCsv}).
 * - `postgres`: the result of a SELECT on a real data owner's PostgreSQL server
 *   (see {@link loadPostgres}).
 *
 * Both real kinds take the column options of {@link TabularOptions}.
 */
export type DataSourceConfig =
  | { kind: 'mnist'; partition: string; parts: number; index: number; seed?: number; trainSize?: number }
  | {
      kind: 'synthetic-tabular';
      partition: string;
      parts: number;
      index: number;
      seed?: number;
      trainSize?: number;
    }
  | ({ kind: 'csv'; path: string } & TabularOptions)
  | ({ kind: 'postgres' } & PostgresOptions);

/**
 * Validates `config` and loads the dataset it names.
 *
 * The MNIST train split is always cut from the same seeded shuffle as the test split that
 * `loadMnist` returns with the same seed, so a worker's share never overlaps the test set
 * (and `trainSize` is therefore at most 8000 with the default test size).
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a malformed config (unknown kind, `index` outside
 *   `0 … parts-1`, bad scheme, non-integer seed or sizes); loader errors pass through.
 */
export async function loadDataSource(config: DataSourceConfig): Promise<Dataset> {
  const kind = (config as { kind?: unknown } | null)?.kind;
  if (kind === 'mnist' || kind === 'synthetic-tabular') {
    const { index, parts } = config as SplitSourceConfig;
    // Checked before the data set is built, so a wrong index fails at once.
    requireInteger('index', index, 0);
    if (Number.isSafeInteger(parts) && index >= parts) throw badIndex(index, parts);
    return loadSplit(config as SplitSourceConfig).share(index);
  }
  if (kind === 'csv') {
    const { path } = config as Extract<DataSourceConfig, { kind: 'csv' }>;
    requireText('csv', 'path', path);
    return loadCsv({ path, ...tabularOptions('csv', config) });
  }
  if (kind === 'postgres') {
    const { connectionString, passwordFile, query, batchSize } = config as Extract<
      DataSourceConfig,
      { kind: 'postgres' }
    >;
    requireText('postgres', 'connectionString', connectionString);
    requireText('postgres', 'query', query);
    if (passwordFile !== undefined) requireText('postgres', 'passwordFile', passwordFile);
    if (batchSize !== undefined) requireInteger('batchSize', batchSize, 1);
    return loadPostgres({
      connectionString,
      query,
      ...(passwordFile === undefined ? {} : { passwordFile }),
      ...(batchSize === undefined ? {} : { batchSize }),
      ...tabularOptions('postgres', config),
    });
  }
  throw new SiloError(
    'ERR_BAD_CONFIG',
    `unknown data source kind ${JSON.stringify(kind)}; use 'mnist', 'synthetic-tabular', 'csv' or 'postgres'`,
  );
}

/** The simulated sources: one data set split among `parts` workers, of which one takes `index`. */
export type SplitSourceConfig = Extract<DataSourceConfig, { kind: 'mnist' | 'synthetic-tabular' }>;

/** A split source's data set, split once; see {@link loadSplit}. */
export interface LoadedSplit {
  /** Workers the data set is split among. */
  readonly parts: number;
  /**
   * The share of worker `index`: what {@link loadDataSource} returns for the config with that index.
   *
   * @throws SiloError `ERR_BAD_CONFIG` when `index` is not an integer in `0 … parts-1`.
   */
  share(index: number): Dataset;
}

/**
 * Builds the data set of a split source and splits it, once, whatever the config's `index`: a
 * process hosting many simulated workers of one split takes each worker's share from it, rather
 * than rebuild and re-split the whole data set per worker as {@link loadDataSource} does.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a malformed config, as {@link loadDataSource}.
 */
export function loadSplit(config: SplitSourceConfig): LoadedSplit {
  const { kind, parts, seed = 0, trainSize } = config;
  requireInteger('parts', parts, 1);
  requireInteger('seed', seed);
  if (trainSize !== undefined) requireInteger('trainSize', trainSize, 1);
  const scheme = parsePartitionScheme((config as { partition?: unknown }).partition as string);
  const sizes = trainSize === undefined ? { seed } : { seed, trainSize };
  const { train } = kind === 'mnist' ? loadMnist(sizes) : loadSyntheticTabular({ ...sizes, testSize: 0 });
  const shares = partition(train, parts, scheme, seed);
  return {
    parts,
    share(index: number): Dataset {
      requireInteger('index', index, 0);
      if (index >= parts) throw badIndex(index, parts);
      return subset(train, shares[index]!);
    },
  };
}

function badIndex(index: number, parts: number): SiloError {
  return new SiloError('ERR_BAD_CONFIG', `data source index ${index} must be less than parts (${parts})`);
}

function requireInteger(name: string, value: unknown, min?: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || (min !== undefined && value < min)) {
    const bound = min === undefined ? '' : ` ≥ ${min}`;
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `data source ${name} must be an integer${bound}, got ${JSON.stringify(value)}`,
    );
  }
}

function requireText(kind: string, name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '')
    throw new SiloError('ERR_BAD_CONFIG', `${kind} data source needs a ${name}`);
}

/** The column options of a csv or postgres source, checked field by field. */
function tabularOptions(kind: string, config: object): TabularOptions {
  const { labelColumn, featureColumns, categorical, normalize, labelsAreClassIds } = config as Partial<
    Record<keyof TabularOptions, unknown>
  >;
  requireText(kind, 'labelColumn', labelColumn);
  const options: TabularOptions = { labelColumn };
  for (const [name, value] of [
    ['featureColumns', featureColumns],
    ['categorical', categorical],
  ] as const) {
    if (value === undefined) continue;
    if (!(Array.isArray(value) && value.every((c) => typeof c === 'string')))
      throw new SiloError('ERR_BAD_CONFIG', `${kind} ${name} must be a list of column names`);
    options[name] = value;
  }
  if (normalize !== undefined) {
    if (!NORMALIZATIONS.includes(normalize as never)) {
      throw new SiloError(
        'ERR_BAD_CONFIG',
        `${kind} normalize must be one of ${NORMALIZATIONS.join(', ')}, got ${JSON.stringify(normalize)}`,
      );
    }
    options.normalize = normalize as TabularOptions['normalize'];
  }
  if (labelsAreClassIds !== undefined) {
    if (typeof labelsAreClassIds !== 'boolean')
      throw new SiloError('ERR_BAD_CONFIG', `${kind} labelsAreClassIds must be true or false`);
    options.labelsAreClassIds = labelsAreClassIds;
  }
  return options;
}
