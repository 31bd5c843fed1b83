import { SiloError } from '@silo/common';
import type { Dataset } from '@silo/data';
import {
  buildModel,
  evaluate,
  initBackend,
  parseModelSpec,
  setFlatWeights,
  trainLocal,
  type ModelSpec,
} from '@silo/model';
import { fromCanonicalBytes, sha256Hex } from '@silo/tensors';
import { callApi, downloadBytes, type ApiTarget } from '../api-client.js';

/**
 * Accuracy of a run's final model on the model team's test set, evaluated here: for data sets
 * the coordinator holds no test set of (it evaluates MNIST itself). The weights are checked
 * against the run's checkpoint digest before use.
 */
export async function finalAccuracy(
  target: ApiTarget,
  runId: string,
  spec: string | ModelSpec,
  test: Dataset,
): Promise<number> {
  const info = await callApi<{ digest: string }>(target, 'GET', `/v1/runs/${runId}/model`);
  const { bytes } = await downloadBytes(target, `/v1/runs/${runId}/weights`);
  if (sha256Hex(bytes) !== info.digest)
    throw new SiloError('ERR_DIGEST_MISMATCH', 'downloaded weights do not match the run’s checkpoint digest');
  await initBackend();
  const model = buildModel(parseModelSpec(spec), 0);
  try {
    setFlatWeights(model, fromCanonicalBytes(bytes));
    return evaluate(model, test).accuracy;
  } finally {
    model.dispose();
  }
}

/** Options of {@link centralizedBaseline}. */
export interface BaselineOptions {
  spec: string | ModelSpec;
  train: Dataset;
  test: Dataset;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Called after some epochs (about ten lines in all) with the epoch's training metrics. */
  onEpoch(epoch: number, metrics: { loss: number; accuracy: number }): void;
}

/** The same model trained on all the data in one place, for as many epochs as the run in all. */
export async function centralizedBaseline(
  options: BaselineOptions,
): Promise<{ accuracy: number; backend: string; ms: number }> {
  const backend = await initBackend();
  const started = Date.now();
  const { spec, train, test, epochs } = options;
  const model = buildModel(parseModelSpec(spec), options.seed);
  try {
    const every = Math.max(1, Math.round(epochs / 10));
    await trainLocal(model, train, {
      epochs,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      seed: options.seed,
      onEpochEnd: (epoch, metrics) => {
        if (epoch % every === 0 || epoch === epochs) options.onEpoch(epoch, metrics);
      },
    });
    return { accuracy: evaluate(model, test).accuracy, backend, ms: Date.now() - started };
  } finally {
    model.dispose();
  }
}
