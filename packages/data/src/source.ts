import { SiloError } from '@silo/common';
import { loadCsv } from './csv.js';
import type { Dataset } from './dataset.js';
import { subset } from './dataset.js';
import { loadMnist } from './mnist.js';
import { parsePartitionScheme, partition } from './partition.js';

/**
 * Where a worker's local training data comes from.
 *
 * - `mnist`: simulation — worker `index` of `parts` takes its share of the MNIST train split
 *   (`loadMnist({ trainSize, seed })`), split by the `partition` scheme text
 *   (see {@link parsePartitionScheme}) with the same `seed` (default 0).
 * - `csv`: a real data owner's file (see {@link loadCsv}).
 */
export type DataSourceConfig =
  | { kind: 'mnist'; partition: string; parts: number; index: number; seed?: number; trainSize?: number }
  | { kind: 'csv'; path: string; labelColumn: string; featureColumns?: string[] };

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
  if (kind === 'mnist') {
    const { parts, index, seed = 0, trainSize } = config as Extract<DataSourceConfig, { kind: 'mnist' }>;
    requireInteger('parts', parts, 1);
    requireInteger('index', index, 0);
    if (index >= parts) {
      throw new SiloError('ERR_BAD_CONFIG', `data source index ${index} must be less than parts (${parts})`);
    }
    requireInteger('seed', seed);
    if (trainSize !== undefined) requireInteger('trainSize', trainSize, 1);
    const scheme = parsePartitionScheme((config as { partition?: unknown }).partition as string);
    const { train } = loadMnist(trainSize === undefined ? { seed } : { seed, trainSize });
    const share = partition(train, parts, scheme, seed)[index]!;
    return subset(train, share);
  }
  if (kind === 'csv') {
    const { path, labelColumn, featureColumns } = config as Extract<DataSourceConfig, { kind: 'csv' }>;
    if (typeof path !== 'string' || path === '')
      throw new SiloError('ERR_BAD_CONFIG', 'csv data source needs a path');
    if (typeof labelColumn !== 'string' || labelColumn === '') {
      throw new SiloError('ERR_BAD_CONFIG', 'csv data source needs a labelColumn');
    }
    if (
      featureColumns !== undefined &&
      !(Array.isArray(featureColumns) && featureColumns.every((c) => typeof c === 'string'))
    ) {
      throw new SiloError('ERR_BAD_CONFIG', 'csv featureColumns must be a list of column names');
    }
    return loadCsv(
      featureColumns === undefined ? { path, labelColumn } : { path, labelColumn, featureColumns },
    );
  }
  throw new SiloError(
    'ERR_BAD_CONFIG',
    `unknown data source kind ${JSON.stringify(kind)}; use 'mnist' or 'csv'`,
  );
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
