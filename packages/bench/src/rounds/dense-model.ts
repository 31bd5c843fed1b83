import { SiloError } from '@silo/common';

/** The shape of a one-layer dense model: `inputs` features into `units` outputs, with bias. */
export interface DenseShape {
  readonly inputs: number;
  readonly units: number;
  /** `inputs × units + units`. */
  readonly params: number;
}

/** Units of the layer: enough that the input width stays reasonable for every size benched. */
const MAX_UNITS = 1000;

/**
 * The dense layer with (about) `params` parameters: `units` is 1000, or `params` itself when
 * smaller, and `inputs = round(params / units) − 1`, so `params` that 1000 divides are exact
 * and any other is off by less than `units / 2`.
 *
 * @throws SiloError ERR_BAD_INPUT for fewer than 2 parameters or a non-integer count.
 */
export function denseShape(params: number): DenseShape {
  if (!Number.isSafeInteger(params) || params < 2) {
    throw new SiloError('ERR_BAD_INPUT', `a dense layer needs at least 2 parameters, got ${params}`);
  }
  const units = Math.min(MAX_UNITS, Math.floor(params / 2));
  const inputs = Math.max(1, Math.round(params / units) - 1);
  return { inputs, units, params: inputs * units + units };
}

/**
 * The Keras-format topology (the `modelTopology` of a TensorFlow.js `model.json`) of a
 * Sequential model of one linear Dense layer of `shape`, as a run's `model.topology`.
 */
export function denseTopology(shape: DenseShape): Record<string, unknown> {
  return {
    class_name: 'Sequential',
    config: {
      name: 'bench-dense',
      layers: [
        {
          class_name: 'Dense',
          config: {
            name: 'dense',
            units: shape.units,
            activation: 'linear',
            use_bias: true,
            batch_input_shape: [null, shape.inputs],
          },
        },
      ],
    },
  };
}
