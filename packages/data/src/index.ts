export { type Dataset, subset, holdOut } from './dataset.js';
export { createRng, shuffleIndices } from './rng.js';
export { loadMnist, type MnistOptions, MNIST_TOTAL } from './mnist.js';
export { type PartitionScheme, parsePartitionScheme, partition } from './partition.js';
export { type CsvOptions, loadCsv } from './csv.js';
export { type PostgresOptions, loadPostgres, DEFAULT_POSTGRES_BATCH_SIZE } from './postgres.js';
export { type Normalization, type TabularOptions, NORMALIZATIONS, DEFAULT_NORMALIZATION } from './tabular.js';
export {
  type DataSourceConfig,
  type LoadedSplit,
  type SplitSourceConfig,
  loadDataSource,
  loadSplit,
} from './source.js';
export {
  type GaussianMixtureOptions,
  type SyntheticTabularOptions,
  loadSyntheticTabular,
} from './gaussian-mixture.js';
