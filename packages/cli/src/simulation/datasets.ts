import { SiloError } from '@silo/common';
import { loadMnist, loadSyntheticTabular, type Dataset } from '@silo/data';
import { parseModelSpec, type ModelSpec } from '@silo/model';

/** A data set `silo simulate` splits across its workers. */
export type SimulationDatasetName = 'mnist' | 'tabular';

/** The data sets, for help text and validation. */
export const SIMULATION_DATASETS: readonly SimulationDatasetName[] = ['mnist', 'tabular'];

/** Features of the synthetic tabular problem (the defaults of `loadSyntheticTabular`). */
const TABULAR_FEATURES = 50;
const TABULAR_CLASSES = 10;

/**
 * `tabular-mlp`: 50 → 320 → 256 → 10, ReLU, softmax: 101,066 parameters, a model of the size
 * cross-device federated learning trains on tabular data. A Keras topology, so the coordinator
 * and workers build it like any model a model team brings.
 */
export const TABULAR_MLP: ModelSpec = {
  kind: 'topology',
  topology: {
    class_name: 'Sequential',
    config: {
      name: 'tabular_mlp',
      layers: [
        dense('hidden1', 320, 'relu', [null, TABULAR_FEATURES]),
        dense('hidden2', 256, 'relu'),
        dense('output', TABULAR_CLASSES, 'softmax'),
      ],
    },
  },
};

function dense(name: string, units: number, activation: string, batchInputShape?: (number | null)[]) {
  return {
    class_name: 'Dense',
    config: {
      name,
      units,
      activation,
      ...(batchInputShape === undefined ? {} : { batch_input_shape: batchInputShape }),
    },
  };
}

/** What a simulation needs to know about its data set. */
export interface SimulationDataset {
  readonly name: SimulationDatasetName;
  /** The `kind` of the workers' data sources. */
  readonly sourceKind: 'mnist' | 'synthetic-tabular';
  /** The model when `--model` is not given. */
  readonly defaultModel: string;
  /** What one example is called in messages. */
  readonly examples: string;
  /** Whether the coordinator evaluates each round's model itself (it holds only MNIST). */
  readonly coordinatorEvaluates: boolean;
  /** The train and test splits, as the workers' shares and the model team's test set are cut. */
  load(trainSize: number, testSize: number, seed: number): { train: Dataset; test: Dataset };
}

const DATASETS: Record<SimulationDatasetName, SimulationDataset> = {
  mnist: {
    name: 'mnist',
    sourceKind: 'mnist',
    defaultModel: 'mlp',
    examples: 'digits',
    coordinatorEvaluates: true,
    load: (trainSize, testSize, seed) => loadMnist({ trainSize, testSize, seed }),
  },
  tabular: {
    name: 'tabular',
    sourceKind: 'synthetic-tabular',
    defaultModel: 'tabular-mlp',
    examples: 'rows',
    coordinatorEvaluates: false,
    load: (trainSize, testSize, seed) => loadSyntheticTabular({ trainSize, testSize, seed }),
  },
};

/**
 * The data set named by `--dataset`.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for an unknown name.
 */
export function simulationDataset(name: string): SimulationDataset {
  const dataset = (DATASETS as Record<string, SimulationDataset | undefined>)[name];
  if (dataset === undefined)
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `unknown --dataset ${JSON.stringify(name)}; use ${SIMULATION_DATASETS.join(' or ')}`,
    );
  return dataset;
}

/**
 * The run's model for `--model` on `dataset`: `mlp` and `cnn` (MNIST's 784 pixels), or
 * `tabular-mlp` (the tabular set's 50 features).
 *
 * @throws SiloError `ERR_BAD_CONFIG` for an unknown model, or one that does not fit the data set.
 */
export function simulationModel(name: string, dataset: SimulationDataset): string | ModelSpec {
  const fits = dataset.name === 'tabular' ? ['tabular-mlp'] : ['mlp', 'cnn'];
  if (!fits.includes(name))
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `--model ${name} does not fit --dataset ${dataset.name}; use ${fits.join(' or ')}`,
    );
  if (name === 'tabular-mlp') return TABULAR_MLP;
  parseModelSpec(name);
  return name;
}
