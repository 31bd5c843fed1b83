import type * as tf from '@tensorflow/tfjs';
import { SiloError } from '@silo/common';
import { loadMnist, subset, type Dataset } from '@silo/data';
import { buildModel, initBackend, trainLocal, type BackendName } from '@silo/model';
import type { CaseOptions, Figure, Section, SectionContext } from '../section.js';
import { figureRef } from '../section.js';

type ModelName = 'mlp' | 'cnn';

/** FedAvg's B, and a larger batch that amortises per-step overhead. */
const BATCH_SIZES = [10, 50] as const;
const MODELS: readonly ModelName[] = ['mlp', 'cnn'];
const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
const LEARNING_RATE = 0.05;
/** The baseline every other backend's throughput is stated against. */
const BASELINE: BackendName = 'cpu';

/** How much one case trains, per measured repetition and per warm-up. */
interface CasePlan {
  readonly batches: number;
  readonly warmupBatches: number;
  readonly options: CaseOptions;
}

/**
 * Examples per repetition, sized from runs on a 2-core machine so a repetition takes about 2–5 s:
 * the 2NN trains at roughly 500–3,000 examples/s on wasm and a few hundred on cpu, the CNN at
 * roughly 25 on wasm. The CNN on the cpu backend manages well under one example per second
 * (30–40 s for a batch of 10), so it gets one batch per repetition, no warm-up and at most two
 * repetitions, and its batch of 50 (several minutes, at the same cost per example) is skipped.
 */
function plan(model: ModelName, backend: BackendName, batchSize: number, quick: boolean): CasePlan | string {
  if (model === 'cnn' && backend === 'cpu') {
    if (batchSize > 10)
      return `one batch of ${batchSize} takes minutes on the cpu backend, at the per-example cost of batch 10`;
    if (quick) return 'one batch takes 30–40 s on the cpu backend: too slow for --quick';
    return { batches: 1, warmupBatches: 0, options: { warmup: 0, maxReps: 2 } };
  }
  const examples = model === 'mlp' ? (quick ? 200 : 1000) : quick ? 10 : 100;
  const batches = Math.max(1, Math.round(examples / batchSize));
  return { batches, warmupBatches: Math.min(batches, model === 'mlp' ? 10 : 1), options: {} };
}

/**
 * Local training throughput (examples/s) of the FedAvg 2NN and CNN on each TensorFlow.js backend
 * that initialises here, at FedAvg's batch size 10 and at 50: `trainLocal` — the code a worker
 * runs — for a fixed number of SGD steps on MNIST digits, so the time includes batching, the
 * forward and backward passes, the update and reading back each step's loss. Each backend's
 * figure is also stated as a ratio to the cpu backend's: the wasm backend needs Silo's own
 * gradient kernels to train the CNN at all, and that ratio is what they are for.
 */
export const trainingSection: Section = {
  name: 'training',
  description: 'local training throughput (examples/s) of the 2NN and CNN per tfjs backend, batch 10 and 50',
  async define(ctx) {
    const backends = await availableBackends();
    ctx.tfjsBackend(backends[0]!);
    ctx.fact('backends', backends.join(', '));
    ctx.fact(
      'training',
      `trainLocal, 1 epoch over a fixed number of batches, lr ${LEARNING_RATE}, plain SGD`,
    );
    const cases: Omit<TrainingCase, 'fixture' | 'ratioTo'>[] = [];
    for (const model of MODELS) {
      for (const batchSize of BATCH_SIZES) {
        for (const backend of backends) {
          const name = caseName(model, backend, batchSize);
          const p = plan(model, backend, batchSize, ctx.quick);
          if (typeof p === 'string') ctx.fact(`skipped.${name}`, p);
          else cases.push({ name, model, backend, batchSize, plan: p });
        }
      }
    }
    const examples = Math.max(...cases.map((c) => c.plan.batches * c.batchSize));
    const digits = loadMnist({ trainSize: examples, testSize: 0, seed: 0 }).train;
    ctx.fact('data', `the first ${examples} MNIST digits of a seed-0 shuffle`);
    const fixture = new Fixture(digits);
    ctx.teardown(async () => {
      fixture.dispose();
      await initBackend(backends[0]);
    });
    const names = new Set(cases.map((c) => c.name));
    for (const c of cases) {
      ctx.fact(`batches.${c.name}`, c.plan.batches);
      const baseline = caseName(c.model, BASELINE, c.batchSize);
      const ratioTo =
        c.backend !== BASELINE && names.has(baseline)
          ? figureRef('training', baseline, 'throughput')
          : undefined;
      addCase(ctx, { ...c, fixture, ratioTo });
    }
  },
};

function caseName(model: ModelName, backend: BackendName, batchSize: number): string {
  return `${model}-${backend}-b${batchSize}`;
}

/** The backends that initialise here, fastest first. */
async function availableBackends(): Promise<BackendName[]> {
  const available: BackendName[] = [];
  for (const backend of BACKENDS) if ((await initBackend(backend)) === backend) available.push(backend);
  if (available.length === 0) throw new SiloError('ERR_INTERNAL', 'no TensorFlow.js backend initialised');
  return available;
}

interface TrainingCase {
  readonly name: string;
  readonly model: ModelName;
  readonly backend: BackendName;
  readonly batchSize: number;
  readonly plan: CasePlan;
  readonly fixture: Fixture;
  readonly ratioTo: string | undefined;
}

function addCase(ctx: SectionContext, c: TrainingCase): void {
  ctx.case(
    c.name,
    async (rep) => {
      const active = await initBackend(c.backend);
      if (active !== c.backend) {
        throw new SiloError('ERR_INTERNAL', `case ${c.name} needs the ${c.backend} backend, got ${active}`);
      }
      const batches = rep.warmup ? c.plan.warmupBatches : c.plan.batches;
      const data = c.fixture.first(batches * c.batchSize);
      const model = c.fixture.model(c.model, c.backend);
      const start = performance.now();
      const result = await trainLocal(model, data, {
        epochs: 1,
        batchSize: c.batchSize,
        learningRate: LEARNING_RATE,
        seed: rep.index,
      });
      const seconds = (performance.now() - start) / 1000;
      if (result.steps !== batches) {
        throw new SiloError('ERR_INTERNAL', `case ${c.name} took ${result.steps} steps, not ${batches}`);
      }
      const figures: Figure[] = [
        {
          name: 'throughput',
          unit: 'samples/s',
          value: data.size / seconds,
          ...(c.ratioTo === undefined ? {} : { ratioTo: c.ratioTo }),
        },
        { name: 'time-per-batch', unit: 'ms', value: (seconds * 1000) / batches, better: 'lower' },
      ];
      return figures;
    },
    c.plan.options,
  );
}

/** The digits, and one model per (model, backend) built on first use, its variables on that backend. */
class Fixture {
  readonly #digits: Dataset;
  readonly #models = new Map<string, tf.LayersModel>();
  readonly #prefixes = new Map<number, Dataset>();

  constructor(digits: Dataset) {
    this.#digits = digits;
  }

  /** The first `count` digits. */
  first(count: number): Dataset {
    let data = this.#prefixes.get(count);
    if (data === undefined) {
      data = subset(
        this.#digits,
        Int32Array.from({ length: count }, (_, i) => i),
      );
      this.#prefixes.set(count, data);
    }
    return data;
  }

  /** The model, built on the active backend the first time it is asked for. */
  model(name: ModelName, backend: BackendName): tf.LayersModel {
    const key = `${name}-${backend}`;
    let model = this.#models.get(key);
    if (model === undefined) {
      model = buildModel({ kind: 'builtin', name }, 0);
      this.#models.set(key, model);
    }
    return model;
  }

  dispose(): void {
    for (const model of this.#models.values()) model.dispose();
    this.#models.clear();
  }
}
