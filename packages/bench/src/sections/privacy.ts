import type * as tf from '@tensorflow/tfjs';
import { createStrategy, type ClientUpdate } from '@silo/aggregation';
import { shuffleIndices, type Dataset } from '@silo/data';
import { buildModel, getFlatWeights, initBackend } from '@silo/model';
import { dpMeanDelta, epsilonOfRounds, gaussianNoise, type DpUpdate } from '@silo/privacy';
import { add, l2Norm } from '@silo/tensors';
import type { Figure, Section, SectionContext } from '../section.js';
import {
  FactTable,
  localDelta,
  splitMnist,
  testAccuracy,
  withoutTensorLeak,
  type LocalTraining,
} from './federation-sim.js';

/** The population, the sampling and the training every row shares. */
interface PrivacySetup {
  /** W: simulated workers, each holding `digitsPerWorker` train digits. */
  readonly workers: number;
  readonly digitsPerWorker: number;
  readonly testSize: number;
  /** Workers sampled (without replacement) per round; q = sampled / workers. */
  readonly sampled: number;
  readonly rounds: number;
  /** δ of the (ε, δ) guarantee; well below 1/W. */
  readonly delta: number;
  readonly training: LocalTraining;
  readonly seed: number;
}

const FULL: PrivacySetup = {
  workers: 100,
  digitsPerWorker: 80,
  testSize: 2000,
  // Measured on 2 cores: with 10 of 100 sampled, z = 0.5 stalled near 68% after 40 rounds; with
  // 20, z = 1 reached 72–74% after 25–40 rounds. 30 rounds of 20 took 1–2 min a row (6 min in all)
  // beside other jobs.
  sampled: 20,
  rounds: 30,
  delta: 1e-5,
  training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
  seed: 0,
};
const QUICK: PrivacySetup = {
  ...FULL,
  workers: 20,
  digitsPerWorker: 40,
  testSize: 300,
  sampled: 5,
  rounds: 2,
};

/** z of each DP row; `undefined` is the row without DP (plain FedAvg, no clipping, no noise). */
const NOISE_MULTIPLIERS: readonly (number | undefined)[] = [undefined, 0.5, 1, 2];

const MODEL = 'mlp';

/**
 * Final MNIST test accuracy of the 2NN under central DP-FedAvg, against ε, in-process: each
 * round samples q·W of W simulated workers, clips each delta to C, adds N(0, (zC)²) noise
 * (`gaussianNoise`) to the sum, divides by the number sampled (`dpMeanDelta`) and adds the
 * result to the global weights; ε comes from the RDP accountant (`epsilonOfRounds`). C is the
 * median L2 norm of the first round's unclipped updates. No gRPC, signing or ledger.
 */
export const privacySection: Section = {
  name: 'privacy',
  description:
    'MNIST accuracy of central DP-FedAvg (2NN, 100 workers) against epsilon for three noise levels',
  async define(ctx) {
    const setup = ctx.quick ? QUICK : FULL;
    ctx.tfjsBackend(await initBackend());
    const fixture = buildFixture(setup);
    ctx.teardown(() => {
      fixture.model.dispose();
      return Promise.resolve();
    });
    recordSetup(ctx, setup);
    const clipNorm = await calibrateClipNorm(ctx, fixture, setup);
    const q = setup.sampled / setup.workers;
    const table = new FactTable(
      'table',
      ['run', 'z', 'rounds', 'q', 'delta', 'epsilon', 'accuracy'],
      NOISE_MULTIPLIERS.map(rowLabel),
    );
    table.record(ctx);
    for (const z of NOISE_MULTIPLIERS) {
      const label = rowLabel(z);
      ctx.case(
        label,
        async () => {
          const start = performance.now();
          const accuracy = await withoutTensorLeak(`the ${label} run`, () =>
            federate(ctx, fixture, setup, label, z === undefined ? undefined : { z, clipNorm }),
          );
          const seconds = (performance.now() - start) / 1000;
          const epsilon =
            z === undefined
              ? undefined
              : epsilonOfRounds(
                  Array.from({ length: setup.rounds }, () => ({ samplingRate: q, noiseMultiplier: z })),
                  setup.delta,
                );
          table.set(ctx, label, [
            z === undefined ? '-' : String(z),
            String(setup.rounds),
            String(q),
            String(setup.delta),
            epsilon === undefined ? 'inf (no DP)' : epsilon.toFixed(2),
            `${(accuracy * 100).toFixed(2)}%`,
          ]);
          const figures: Figure[] = [{ name: 'accuracy', unit: '%', value: accuracy * 100 }];
          if (epsilon !== undefined)
            figures.push({ name: 'epsilon', unit: 'eps', value: epsilon, better: 'lower' });
          figures.push({ name: 'time', unit: 's', value: seconds, better: 'lower' });
          return figures;
        },
        // One run a row: the sampling is seeded but the noise is not, and a row takes a minute.
        { warmup: 0, maxReps: 1, trackMemory: true },
      );
    }
  },
};

function rowLabel(z: number | undefined): string {
  return z === undefined ? 'no-dp' : `z${z}`;
}

/** The workers' digits, the held-out digits and the one compiled model every run reuses. */
interface Fixture {
  readonly model: tf.LayersModel;
  readonly initial: Float32Array;
  readonly parts: readonly Dataset[];
  readonly test: Dataset;
}

function buildFixture(setup: PrivacySetup): Fixture {
  const { parts, test } = splitMnist({
    trainSize: setup.workers * setup.digitsPerWorker,
    testSize: setup.testSize,
    workers: setup.workers,
    scheme: { kind: 'iid' },
    seed: setup.seed,
  });
  const model = buildModel({ kind: 'builtin', name: MODEL }, setup.seed);
  return { model, initial: getFlatWeights(model), parts, test };
}

function recordSetup(ctx: SectionContext, setup: PrivacySetup): void {
  const { epochs, batchSize, learningRate } = setup.training;
  ctx.fact('model', MODEL);
  ctx.fact('workers', `${setup.workers}, ${setup.digitsPerWorker} train digits each (iid)`);
  ctx.fact('test-digits', setup.testSize);
  ctx.fact(
    'sampling',
    `${setup.sampled} of ${setup.workers} workers a round, uniformly without replacement (seeded); ` +
      'the accountant treats q as a Poisson sampling rate, the usual approximation',
  );
  ctx.fact('training', `E = ${epochs}, B = ${batchSize}, lr ${learningRate}, seed ${setup.seed}`);
  ctx.fact('delta', `${setup.delta} (1/W = ${1 / setup.workers})`);
}

/** The workers of `round`, the same in every run (so rows differ only by clipping and noise). */
function sampleWorkers(setup: PrivacySetup, round: number): Int32Array {
  return shuffleIndices(setup.workers, setup.seed + round)
    .slice(0, setup.sampled)
    .sort();
}

/**
 * C: the median L2 norm of the unclipped deltas of round 1's workers, trained from the initial
 * weights. (Choosing C from the data spends privacy that the accountant does not count; a real
 * deployment would fix C in advance or estimate it privately.)
 */
async function calibrateClipNorm(
  ctx: SectionContext,
  fixture: Fixture,
  setup: PrivacySetup,
): Promise<number> {
  const norms: number[] = [];
  for (const k of sampleWorkers(setup, 1)) {
    const delta = await localDelta(
      fixture.model,
      fixture.initial,
      fixture.parts[k]!,
      setup.training,
      setup.seed + 1,
    );
    norms.push(l2Norm(delta));
  }
  norms.sort((a, b) => a - b);
  const mid = norms.length >> 1;
  const median = norms.length % 2 === 1 ? norms[mid]! : (norms[mid - 1]! + norms[mid]!) / 2;
  const spread = `min ${norms[0]!.toFixed(4)}, median ${median.toFixed(4)}, max ${norms.at(-1)!.toFixed(4)}`;
  ctx.fact('round1-update-norms', spread);
  ctx.fact('clip-norm', `C = ${median.toFixed(4)}, the median`);
  ctx.fact(
    'noise',
    `N(0, (z*C)^2) per coordinate on the sum of clipped deltas, divided by ${setup.sampled}: ` +
      `std ${(median / setup.sampled).toPrecision(3)}*z on the mean`,
  );
  ctx.log(`round-1 update norms ${spread}; C = ${median.toFixed(4)}`);
  return median;
}

/**
 * One run from the initial weights; returns the final test accuracy. Without `dp` each round
 * is plain FedAvg (`createStrategy({ name: 'fedavg' })`); with it, the round's mean delta is
 * `dpMeanDelta` of the clipped deltas plus fresh noise, over the number sampled.
 */
async function federate(
  ctx: SectionContext,
  fixture: Fixture,
  setup: PrivacySetup,
  label: string,
  dp: { z: number; clipNorm: number } | undefined,
): Promise<number> {
  const fedavg = createStrategy({ name: 'fedavg' });
  let global = fixture.initial;
  for (let round = 1; round <= setup.rounds; round++) {
    const updates: (ClientUpdate & DpUpdate)[] = [];
    for (const k of sampleWorkers(setup, round)) {
      const data = fixture.parts[k]!;
      const delta = await localDelta(fixture.model, global, data, setup.training, setup.seed + round);
      updates.push({ keyId: `worker-${String(k).padStart(3, '0')}`, numExamples: data.size, delta });
    }
    if (dp === undefined) {
      global = fedavg.aggregate(global, updates).weights;
    } else {
      const noise = gaussianNoise(global.length, dp.z * dp.clipNorm);
      const options = { clipNorm: dp.clipNorm, mode: 'central', denominator: updates.length } as const;
      global = add(global, dpMeanDelta(updates, options, noise));
    }
    if (round % 10 === 0 || round === setup.rounds)
      ctx.log(
        `${label} round ${round}: ${(testAccuracy(fixture.model, global, fixture.test) * 100).toFixed(2)}%`,
      );
  }
  return testAccuracy(fixture.model, global, fixture.test);
}
