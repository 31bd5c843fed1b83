import * as tf from '@tensorflow/tfjs';
import { SiloError } from '@silo/common';
import { loadMnist, partition, subset, type Dataset, type PartitionScheme } from '@silo/data';
import { evaluate, getFlatWeights, setFlatWeights, trainLocal } from '@silo/model';
import { subtract } from '@silo/tensors';
import type { SectionContext } from '../section.js';

/**
 * Helpers shared by the sections that simulate a federation in one process (robustness,
 * convergence, privacy): the workers' data, their local training, and the global model's test
 * accuracy. One compiled model is reused for every worker, its weights swapped in and out, so
 * memory stays flat however many workers there are.
 */

/** Options of {@link splitMnist}. */
export interface MnistSplitOptions {
  readonly trainSize: number;
  readonly testSize: number;
  readonly workers: number;
  readonly scheme: PartitionScheme;
  /** Seeds both the shuffle before the train/test split and the partition. */
  readonly seed: number;
}

/** The bundled MNIST digits, split into train and test, with the train digits dealt to workers. */
export interface MnistSplit {
  readonly train: Dataset;
  readonly test: Dataset;
  /** One dataset per worker; together they hold every train digit exactly once. */
  readonly parts: readonly Dataset[];
}

/** Splits the bundled MNIST digits as {@link MnistSplitOptions} says. */
export function splitMnist(options: MnistSplitOptions): MnistSplit {
  const { train, test } = loadMnist({
    trainSize: options.trainSize,
    testSize: options.testSize,
    seed: options.seed,
  });
  const parts = partition(train, options.workers, options.scheme, options.seed).map((idx) =>
    subset(train, idx),
  );
  return { train, test, parts };
}

/** How a simulated worker trains locally (see `TrainOptions` of `@silo/model`). */
export interface LocalTraining {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** FedProx's μ; absent or 0 for plain SGD. */
  readonly proximalMu?: number;
}

/**
 * One worker's update: loads `base` into `model`, trains it on `data` and returns the trained
 * weights minus `base`, as a worker sends it to the coordinator.
 */
export async function localDelta(
  model: tf.LayersModel,
  base: Float32Array,
  data: Dataset,
  training: LocalTraining,
  seed: number,
): Promise<Float32Array> {
  const { epochs, batchSize, learningRate, proximalMu } = training;
  setFlatWeights(model, base);
  await trainLocal(model, data, { epochs, batchSize, learningRate, seed, proximalMu });
  return subtract(getFlatWeights(model), base);
}

/** Test accuracy (a fraction) of `weights`, loaded into `model`. */
export function testAccuracy(model: tf.LayersModel, weights: Float32Array, test: Dataset): number {
  setFlatWeights(model, weights);
  return evaluate(model, test).accuracy;
}

/**
 * Runs `run` and fails if it left tensors behind: a leak would make later cases slower and
 * their memory figures wrong.
 *
 * @throws SiloError `ERR_INTERNAL` naming `what` when the tensor count grew.
 */
export async function withoutTensorLeak<T>(what: string, run: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await run();
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new SiloError('ERR_INTERNAL', `${what} left ${leaked} tensors behind`);
  return result;
}

/**
 * A small table kept as facts `<prefix>.0` (the header) … `<prefix>.N` (one per row), so the
 * report's facts show it aligned. Rows not yet measured show `-` in every cell.
 */
export class FactTable {
  readonly #cells = new Map<string, readonly string[]>();

  constructor(
    private readonly prefix: string,
    private readonly header: readonly string[],
    private readonly rows: readonly string[],
  ) {}

  /** Sets the cells of `row` (after its label) and rewrites the facts. */
  set(ctx: SectionContext, row: string, cells: readonly string[]): void {
    this.#cells.set(row, cells);
    this.record(ctx);
  }

  /** Writes (or rewrites) the facts. */
  record(ctx: SectionContext): void {
    const blank = this.header.slice(1).map(() => '-');
    const lines = [this.header, ...this.rows.map((row) => [row, ...(this.#cells.get(row) ?? blank)])];
    const widths = this.header.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? '').length)));
    lines.forEach((line, n) => {
      const text = line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)));
      ctx.fact(`${this.prefix}.${n}`, text.join('  '));
    });
  }
}
