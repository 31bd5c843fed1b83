import { createStrategy, type ClientUpdate } from '@silo/aggregation';
import { buildModel, getFlatWeights, initBackend, modelLayout } from '@silo/model';
import {
  UPDATE_ENCODINGS,
  decodeUpdate,
  encodeUpdate,
  encodedSize,
  type UpdateEncoding,
} from '@silo/tensors';
import type { Figure, Section } from '../section.js';
import { FactTable, localDelta, splitMnist, testAccuracy, withoutTensorLeak } from './federation-sim.js';

/** The federation every encoding trains: the same digits, seeds and rounds. */
const FULL = {
  workers: 10,
  trainSize: 4000,
  testSize: 2000,
  rounds: 5,
  training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
  seed: 0,
};
const QUICK = { ...FULL, trainSize: 500, testSize: 300, rounds: 1 };

const MODEL = 'mlp';

/**
 * What update compression saves and costs: bytes per update on the wire and in the blob store,
 * and the final test accuracy of FedAvg on the MNIST demo (2NN, 10 IID workers) when every
 * update goes through the encoding and back, as the coordinator decodes it. In-process: the
 * workers' `trainLocal`, `encodeUpdate`/`decodeUpdate` and the FedAvg arithmetic, without gRPC.
 * The float32 row is the baseline of the ratios.
 */
export const compressionSection: Section = {
  name: 'compression',
  description: 'update encodings float32/float16/int8: bytes per update and accuracy cost (MNIST 2NN)',
  async define(ctx) {
    const setup = ctx.quick ? QUICK : FULL;
    ctx.tfjsBackend(await initBackend());
    const model = buildModel({ kind: 'builtin', name: MODEL }, setup.seed);
    ctx.teardown(() => {
      model.dispose();
      return Promise.resolve();
    });
    const layout = modelLayout(model);
    const initial = getFlatWeights(model);
    const { parts, test } = splitMnist({ ...setup, scheme: { kind: 'iid' } });
    ctx.fact('model', `${MODEL} (${initial.length} parameters in ${layout.length} tensors)`);
    ctx.fact(
      'federation',
      `${setup.workers} IID workers, ${setup.trainSize} train / ${setup.testSize} test digits, ${setup.rounds} rounds, ` +
        `E = ${setup.training.epochs}, B = ${setup.training.batchSize}, lr ${setup.training.learningRate}`,
    );
    const table = new FactTable('table', ['encoding', 'bytes/update', 'accuracy'], [...UPDATE_ENCODINGS]);
    table.record(ctx);
    const fedavg = createStrategy({ name: 'fedavg' });
    for (const encoding of UPDATE_ENCODINGS) {
      ctx.case(
        encoding,
        async (): Promise<Figure[]> => {
          const accuracy = await withoutTensorLeak(`the ${encoding} run`, () => train(encoding));
          const bytes = encodedSize(layout, encoding);
          table.set(ctx, encoding, [String(bytes), `${(accuracy * 100).toFixed(2)}%`]);
          const baseline = encoding === 'float32' ? {} : { ratioTo: 'compression/float32/update-bytes' };
          return [
            { name: 'update-bytes', unit: 'B', value: bytes, better: 'lower', ...baseline },
            { name: 'accuracy', unit: '%', value: accuracy * 100 },
          ];
        },
        { warmup: 0, maxReps: 1 },
      );
    }

    /** FedAvg for the set rounds with every update encoded and decoded; the final test accuracy. */
    async function train(encoding: UpdateEncoding): Promise<number> {
      let weights = initial;
      for (let round = 1; round <= setup.rounds; round++) {
        const updates: ClientUpdate[] = [];
        for (const [k, data] of parts.entries()) {
          const delta = await localDelta(model, weights, data, setup.training, setup.seed * 100_003 + round);
          const sent = decodeUpdate(encodeUpdate(delta, layout, encoding), layout, encoding);
          updates.push({ keyId: `w${k}`, numExamples: data.size, delta: sent });
        }
        weights = fedavg.aggregate(weights, updates).weights;
        ctx.log(`compression ${encoding}: round ${round}/${setup.rounds}`);
      }
      return testAccuracy(model, weights, test);
    }
  },
};
