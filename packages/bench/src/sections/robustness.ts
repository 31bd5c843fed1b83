import type * as tf from '@tensorflow/tfjs';
import { toSiloError } from '@silo/common';
import {
  createStrategy,
  validateForRound,
  type ClientUpdate,
  type StrategyConfigInput,
} from '@silo/aggregation';
import type { Dataset } from '@silo/data';
import { buildModel, getFlatWeights, initBackend } from '@silo/model';
import { attackDelta, attackSeed, flipLabels, formatAttack, parseAttack, type Attack } from '@silo/worker';
import type { Figure, Section, SectionContext } from '../section.js';
import { localDelta, splitMnist, testAccuracy, withoutTensorLeak } from './federation-sim.js';

/** The federation every cell of the matrix trains. */
interface RobustnessSetup {
  readonly workers: number;
  /** The first `attackers` workers run the column's attack. */
  readonly attackers: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly rounds: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
}

const FULL: RobustnessSetup = {
  workers: 10,
  attackers: 3,
  // 2,000 digits × 5 rounds took ~11 s a cell, ~6 min for the 30 cells on 2 cores; this is ~3.
  trainSize: 1500,
  testSize: 1000,
  rounds: 4,
  epochs: 1,
  batchSize: 10,
  learningRate: 0.05,
  seed: 0,
};
const QUICK: RobustnessSetup = { ...FULL, trainSize: 300, testSize: 300, rounds: 2 };

/** Rows: the strategies, sized for the setup's f = 3 attackers where their rule allows it. */
const STRATEGIES: readonly { readonly label: string; readonly config: StrategyConfigInput }[] = [
  { label: 'fedavg', config: { name: 'fedavg' } },
  { label: 'median', config: { name: 'median' } },
  { label: 'trimmed-mean-b0.3', config: { name: 'trimmed-mean', beta: 0.3 } },
  { label: 'krum-f3', config: { name: 'krum', f: 3 } },
  { label: 'multi-krum-f3', config: { name: 'multi-krum', f: 3 } },
  { label: 'bulyan-f3', config: { name: 'bulyan', f: 3 } },
  // Bulyan needs n ≥ 4f + 3: with 10 workers it tolerates f = 1, fewer than the attackers.
  { label: 'bulyan-f1', config: { name: 'bulyan', f: 1 } },
];

/** Columns: no attack, then each attack on the first `attackers` workers. */
const ATTACKS: readonly (Attack | undefined)[] = [
  undefined,
  ...['sign-flip', 'scale:-10', 'gaussian:1', 'label-flip'].map(parseAttack),
];

const MODEL = 'mlp';

/**
 * Final test accuracy of each robust strategy under each attack, from an in-process federated
 * loop over the bundled MNIST digits: the workers' local training (`trainLocal`), the attacks
 * of `@silo/worker`, and `createStrategy(config).aggregate`, the code the coordinator runs. No
 * gRPC, signing or ledger: it measures the strategies' arithmetic under attack, not the system.
 * One compiled model is reused, its weights swapped per worker, so memory stays flat.
 */
export const robustnessSection: Section = {
  name: 'robustness',
  description: 'final MNIST accuracy of fedavg and robust strategies with 3 of 10 workers attacking',
  async define(ctx) {
    const setup = ctx.quick ? QUICK : FULL;
    ctx.tfjsBackend(await initBackend());
    recordSetup(ctx, setup);
    const fixture = buildFixture(setup);
    ctx.teardown(() => {
      fixture.model.dispose();
      return Promise.resolve();
    });
    const rows = STRATEGIES.filter(({ label, config }) => {
      try {
        validateForRound(config, setup.workers);
        return true;
      } catch (err) {
        ctx.fact(`refused.${label}`, toSiloError(err).message);
        return false;
      }
    });
    const matrix = new Matrix(
      rows.map((r) => r.label),
      ATTACKS.map(columnName),
    );
    matrix.record(ctx);
    for (const row of rows) {
      for (const attack of ATTACKS) {
        const column = columnName(attack);
        ctx.case(
          `${row.label}-${column.replace(':', '')}`,
          async () => {
            const start = performance.now();
            const cell = await federate(fixture, setup, row.config, attack);
            const seconds = (performance.now() - start) / 1000;
            if (cell.diverged !== undefined) ctx.fact(`diverged.${row.label}.${column}`, cell.diverged);
            const accuracy = cell.accuracy * 100;
            const clean = matrix.get(row.label, columnName(undefined));
            matrix.set(row.label, column, accuracy);
            matrix.record(ctx);
            const figures: Figure[] = [{ name: 'accuracy', unit: '%', value: accuracy }];
            if (attack !== undefined && clean !== undefined)
              figures.push({ name: 'drop', unit: 'points', value: clean - accuracy, better: 'lower' });
            figures.push({ name: 'time', unit: 's', value: seconds, better: 'lower' });
            return figures;
          },
          // Every repetition computes the same numbers (everything is seeded).
          { warmup: 0, maxReps: 1, trackMemory: true },
        );
      }
    }
  },
};

function columnName(attack: Attack | undefined): string {
  return attack === undefined ? 'clean' : formatAttack(attack);
}

function recordSetup(ctx: SectionContext, setup: RobustnessSetup): void {
  ctx.fact('model', MODEL);
  ctx.fact('workers', setup.workers);
  ctx.fact('attackers', setup.attackers);
  ctx.fact('partition', 'iid');
  ctx.fact('train-digits', setup.trainSize);
  ctx.fact('test-digits', setup.testSize);
  ctx.fact(
    'training',
    `${setup.rounds} rounds x ${setup.epochs} local epoch(s), batch ${setup.batchSize}, lr ${setup.learningRate}, seed ${setup.seed}`,
  );
}

/** The data split, the held-out digits and the one compiled model every cell reuses. */
interface Fixture {
  readonly model: tf.LayersModel;
  readonly initial: Float32Array;
  readonly parts: readonly Dataset[];
  readonly flipped: readonly Dataset[];
  readonly test: Dataset;
}

function buildFixture(setup: RobustnessSetup): Fixture {
  const { parts, test } = splitMnist({ ...setup, scheme: { kind: 'iid' } });
  const model = buildModel({ kind: 'builtin', name: MODEL }, setup.seed);
  return { model, initial: getFlatWeights(model), parts, flipped: parts.map(flipLabels), test };
}

/**
 * One federated run from the same initial weights: each round every worker trains from the
 * global weights, the first `attackers` corrupt their update, and the strategy aggregates.
 * A round the strategy refuses (an update went non-finite) ends the run, which keeps the last
 * global model and says so in `diverged`.
 */
async function federate(
  fixture: Fixture,
  setup: RobustnessSetup,
  config: StrategyConfigInput,
  attack: Attack | undefined,
): Promise<{ accuracy: number; diverged?: string }> {
  return withoutTensorLeak('a federated run', () => federateUnchecked(fixture, setup, config, attack));
}

async function federateUnchecked(
  fixture: Fixture,
  setup: RobustnessSetup,
  config: StrategyConfigInput,
  attack: Attack | undefined,
): Promise<{ accuracy: number; diverged?: string }> {
  const strategy = createStrategy(config);
  let global = fixture.initial;
  let diverged: string | undefined;
  for (let round = 1; round <= setup.rounds && diverged === undefined; round++) {
    const updates: ClientUpdate[] = [];
    for (let k = 0; k < setup.workers; k++) {
      const attacker = attack !== undefined && k < setup.attackers;
      const keyId = `worker-${String(k).padStart(3, '0')}`;
      const data = attacker && attack.kind === 'label-flip' ? fixture.flipped[k]! : fixture.parts[k]!;
      const honest = await localDelta(fixture.model, global, data, setup, setup.seed + round);
      const delta = attacker ? attackDelta(attack, honest, attackSeed(keyId, 'robustness', round)) : honest;
      updates.push({ keyId, numExamples: data.size, delta });
    }
    try {
      global = strategy.aggregate(global, updates).weights;
    } catch (err) {
      diverged = `round ${round}: ${toSiloError(err).message}`;
    }
  }
  const accuracy = testAccuracy(fixture.model, global, fixture.test);
  return diverged === undefined ? { accuracy } : { accuracy, diverged };
}

/**
 * Accuracy by strategy and attack, kept as facts `matrix.0` (the header) … `matrix.N` (one per
 * strategy) so the table's facts show it as a compact matrix: each cell is the accuracy (%) and,
 * under attack, the drop from the same strategy's clean run in points.
 */
class Matrix {
  readonly #cells = new Map<string, number>();

  constructor(
    private readonly rows: readonly string[],
    private readonly columns: readonly string[],
  ) {}

  get(row: string, column: string): number | undefined {
    return this.#cells.get(`${row}\u0000${column}`);
  }

  set(row: string, column: string, accuracy: number): void {
    this.#cells.set(`${row}\u0000${column}`, accuracy);
  }

  /** Writes (or rewrites) the matrix facts; cells not yet run show `-`. */
  record(ctx: SectionContext): void {
    const first = Math.max('strategy'.length, ...this.rows.map((r) => r.length));
    const width = 14;
    const line = (label: string, cells: readonly string[]): string =>
      [label.padEnd(first), ...cells.map((c) => c.padStart(width))].join(' ');
    ctx.fact('matrix.0', line('strategy', this.columns));
    this.rows.forEach((row, i) => {
      const clean = this.get(row, this.columns[0] ?? 'clean');
      const cells = this.columns.map((column, j) => {
        const accuracy = this.get(row, column);
        if (accuracy === undefined) return '-';
        if (j === 0 || clean === undefined) return accuracy.toFixed(1);
        // Rounded first, so a change too small to show prints as ±0.0, not -0.0.
        const change = Math.round((accuracy - clean) * 10) / 10;
        const sign = change > 0 ? '+' : change < 0 ? '-' : '±';
        return `${accuracy.toFixed(1)} (${sign}${Math.abs(change).toFixed(1)})`;
      });
      ctx.fact(`matrix.${i + 1}`, line(row, cells));
    });
  }
}
