import { SiloError } from '@silo/common';
import type { Dataset } from './dataset.js';
import { createRng, randomInt, shuffleIndices } from './rng.js';

/**
 * The shape of a synthetic tabular classification problem. Every field has a default, chosen so
 * the problem suits a model of about 100k parameters: 50 numeric features, 10 classes.
 */
export interface GaussianMixtureOptions {
  /** Feature columns. Default 50. */
  features?: number;
  /** Classes. Default 10. */
  classes?: number;
  /** Features the classes differ in; at most `features`. Default 20. */
  informative?: number;
  /**
   * Features that are fixed linear combinations of the informative ones; at most
   * `features − informative`. The rest are pure noise. Default 10.
   */
  redundant?: number;
  /** Gaussian clusters per class, so no class is linearly separable from the others. Default 3. */
  clustersPerClass?: number;
  /** Standard deviation of the cluster centres, in units of the within-cluster spread. Default 0.9. */
  separation?: number;
  /** Share of labels replaced by a uniformly drawn class. Default 0.02. */
  labelNoise?: number;
}

/** Options of {@link loadSyntheticTabular}. */
export interface SyntheticTabularOptions extends GaussianMixtureOptions {
  /** Examples in the train split. Default 8000. */
  trainSize?: number;
  /** Examples in the test split. Default 2000. */
  testSize?: number;
  /**
   * Seeds the problem (cluster centres and shapes) and both splits. The test split depends only
   * on the seed and its own size, never on `trainSize`. Default 0.
   */
  seed?: number;
}

const DEFAULTS = {
  features: 50,
  classes: 10,
  informative: 20,
  redundant: 10,
  clustersPerClass: 3,
  separation: 0.9,
  labelNoise: 0.02,
} as const;
const DEFAULT_TRAIN_SIZE = 8000;
const DEFAULT_TEST_SIZE = 2000;
/** Bounds that keep a mistyped option from allocating gigabytes. */
const MAX_FEATURES = 4096;
const MAX_CLASSES = 1000;
const MAX_EXAMPLES = 10_000_000;

/** A drawn problem: everything but the examples themselves. */
interface Problem {
  readonly features: number;
  readonly classes: number;
  readonly informative: number;
  readonly redundant: number;
  readonly clustersPerClass: number;
  readonly labelNoise: number;
  /** Per cluster (class-major): its centre, `informative` values. */
  readonly centres: Float64Array[];
  /** Per cluster: an `informative × informative` mixing matrix, row-major, shaping its covariance. */
  readonly shapes: Float64Array[];
  /** `informative × redundant`, row-major: the redundant features from the informative ones. */
  readonly redundancy: Float64Array;
  /** Output column of each generated feature, so informative ones are not simply the first. */
  readonly columns: Int32Array;
  /** Scale that brings informative features to about unit variance. */
  readonly scale: number;
}

/**
 * A seeded synthetic classification set in the manner of scikit-learn's `make_classification`:
 * each class is a mixture of Gaussian clusters in the informative features (centres and
 * covariances drawn from the seed), some features are linear combinations of those, the rest are
 * noise, the columns are permuted, and a small share of labels is randomised. The classes overlap,
 * and several clusters per class make the problem non-linear: a multilayer perceptron learns it
 * well, a linear model much less so, and no model reaches 100 %.
 *
 * Returns a train and a test split of `featureShape [features]`, drawn independently from the same
 * problem. The same options always give bit-identical data.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for an option out of range.
 */
export function loadSyntheticTabular(options: SyntheticTabularOptions = {}): {
  train: Dataset;
  test: Dataset;
} {
  const seed = options.seed ?? 0;
  const trainSize = options.trainSize ?? DEFAULT_TRAIN_SIZE;
  const testSize = options.testSize ?? DEFAULT_TEST_SIZE;
  requireInteger('seed', seed, 0, 2 ** 32 - 1);
  requireInteger('trainSize', trainSize, 0, MAX_EXAMPLES);
  requireInteger('testSize', testSize, 0, MAX_EXAMPLES);
  const problem = drawProblem(options, streamSeed(seed, 0));
  return {
    train: sample(problem, trainSize, streamSeed(seed, 1)),
    test: sample(problem, testSize, streamSeed(seed, 2)),
  };
}

/** A distinct 32-bit seed per stream, so each split has a generator of its own. */
function streamSeed(seed: number, stream: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
}

function drawProblem(options: GaussianMixtureOptions, seed: number): Problem {
  const features = options.features ?? DEFAULTS.features;
  const classes = options.classes ?? DEFAULTS.classes;
  requireInteger('features', features, 1, MAX_FEATURES);
  requireInteger('classes', classes, 2, MAX_CLASSES);
  const informative = options.informative ?? Math.min(DEFAULTS.informative, features);
  requireInteger('informative', informative, 1, features);
  const redundant = options.redundant ?? Math.min(DEFAULTS.redundant, features - informative);
  requireInteger('redundant', redundant, 0, features - informative);
  const clustersPerClass = options.clustersPerClass ?? DEFAULTS.clustersPerClass;
  requireInteger('clustersPerClass', clustersPerClass, 1, 64);
  const separation = options.separation ?? DEFAULTS.separation;
  const labelNoise = options.labelNoise ?? DEFAULTS.labelNoise;
  if (!(Number.isFinite(separation) && separation > 0))
    throw bad(`separation must be a positive number, got ${separation}`);
  if (!(labelNoise >= 0 && labelNoise <= 1)) throw bad(`labelNoise must be in [0, 1], got ${labelNoise}`);

  const normal = gaussian(createRng(seed));
  const clusters = classes * clustersPerClass;
  const centres = Array.from({ length: clusters }, () =>
    Float64Array.from({ length: informative }, () => separation * normal()),
  );
  // Entries N(0, 1/k) give covariances of about the identity, stretched differently per cluster.
  const spread = 1 / Math.sqrt(informative);
  const shapes = Array.from({ length: clusters }, () =>
    Float64Array.from({ length: informative * informative }, () => spread * normal()),
  );
  const redundancy = Float64Array.from({ length: informative * redundant }, () => spread * normal());
  const columns = shuffleIndices(features, seed ^ 0x5bd1e995);
  const scale = 1 / Math.sqrt(separation * separation + 1);
  return {
    features,
    classes,
    informative,
    redundant,
    clustersPerClass,
    labelNoise,
    centres,
    shapes,
    redundancy,
    columns,
    scale,
  };
}

/** `size` examples of `problem`, classes in equal shares (±1) in random order. */
function sample(problem: Problem, size: number, seed: number): Dataset {
  const { features, classes, informative: k, redundant, clustersPerClass, columns, scale } = problem;
  const rng = createRng(seed);
  const normal = gaussian(rng);
  const x = new Float32Array(size * features);
  const y = new Int32Array(size);
  const order = shuffleIndices(size, seed ^ 0x27d4eb2f);
  const z = new Float64Array(k);
  const row = new Float64Array(features);
  for (let i = 0; i < size; i++) {
    const label = order[i]! % classes;
    const cluster = label * clustersPerClass + randomInt(rng, clustersPerClass);
    const centre = problem.centres[cluster]!;
    const shape = problem.shapes[cluster]!;
    for (let j = 0; j < k; j++) z[j] = normal();
    for (let r = 0; r < k; r++) {
      let value = centre[r]!;
      for (let j = 0; j < k; j++) value += shape[r * k + j]! * z[j]!;
      row[r] = value * scale;
    }
    for (let c = 0; c < redundant; c++) {
      let value = 0;
      for (let r = 0; r < k; r++) value += row[r]! * problem.redundancy[r * redundant + c]!;
      row[k + c] = value;
    }
    for (let f = k + redundant; f < features; f++) row[f] = normal();
    const out = i * features;
    for (let f = 0; f < features; f++) x[out + columns[f]!] = row[f]!;
    y[i] = rng() < problem.labelNoise ? randomInt(rng, classes) : label;
  }
  return { x, y, size, featureShape: [features], numClasses: classes };
}

/** Standard normal variates from `rng` (Box–Muller, both variates used). */
function gaussian(rng: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - rng()));
    const angle = 2 * Math.PI * rng();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw bad(`synthetic tabular ${name} must be an integer in ${min} … ${max}, got ${value}`);
}

function bad(message: string): SiloError {
  return new SiloError('ERR_BAD_CONFIG', message);
}
