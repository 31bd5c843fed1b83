/**
 * Builds a LayersModel synchronously from a Keras-format topology (the `modelTopology` of a
 * TensorFlow.js `model.json`), with every random initializer seeded.
 *
 * TensorFlow.js only offers this as the async `tf.models.modelFromJSON`, while `buildModel` is
 * synchronous; the two private steps it performs — converting snake_case keys and values to
 * camelCase, then calling the model class's `fromConfig` — are reproduced here from
 * tfjs-layers 4.22 (`convertPythonicToTs` in utils/serialization_utils, and
 * `deserializeKerasObject` in utils/generic_utils). Layers nested inside the model are
 * deserialised by TensorFlow.js itself.
 */
import * as tf from '@tensorflow/tfjs';
import { SiloError } from '@silo/common';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Initializers that draw random numbers and therefore take a seed (tfjs class names). */
const RANDOM_INITIALIZERS = new Set([
  'GlorotNormal',
  'GlorotUniform',
  'HeNormal',
  'HeUniform',
  'LeCunNormal',
  'LeCunUniform',
  'Orthogonal',
  'RandomNormal',
  'RandomUniform',
  'TruncatedNormal',
  'VarianceScaling',
]);

/** Layers whose omitted `kernelInitializer` defaults to an (unseeded) Glorot uniform. */
const KERNEL_LAYERS = new Set(['Dense', 'Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'Conv3DTranspose']);

/**
 * The model described by `topology`, with random initializers seeded `seed`, `seed + 1`, … in
 * document order so that the same topology and seed give bit-identical initial weights.
 * Dense and convolution layers that omit `kernel_initializer` get a seeded Glorot uniform (the
 * TensorFlow.js default); other omitted initializers of other layer types stay unseeded.
 *
 * @throws SiloError `ERR_BAD_CONFIG` when the topology cannot be deserialised into a model.
 */
export function modelFromTopology(topology: object, seed: number): tf.LayersModel {
  let pythonic = topology as JsonObject;
  // A full Keras model file wraps the architecture in model_config.
  const wrapped = pythonic.model_config;
  if (typeof wrapped === 'object' && wrapped !== null && !Array.isArray(wrapped)) pythonic = wrapped;
  const config = toCamelCaseConfig(pythonic) as JsonObject;
  seedInitializers(config, { next: seed });
  const className = config.className;
  const inner = config.config;
  const entry =
    typeof className === 'string'
      ? tf.serialization.SerializationMap.getMap().classNameMap[className]
      : undefined;
  if (!entry || typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `model topology has no known model class_name (got ${JSON.stringify(className)})`,
    );
  }
  const [cls, fromConfig] = entry;
  let model: unknown;
  try {
    model = fromConfig(cls, { ...inner, customObjects: {} });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SiloError('ERR_BAD_CONFIG', `model topology does not deserialise: ${reason}`, { cause: err });
  }
  if (!(model instanceof tf.LayersModel)) {
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `model topology class ${JSON.stringify(className)} is not a LayersModel`,
    );
  }
  return model;
}

/** tfjs-layers' `toCamelCase`: `glorot_uniform` → `glorotUniform`; leaves other strings alone. */
function camel(identifier: string): string {
  if (identifier.length <= 1 || !identifier.includes('_')) return identifier;
  return identifier.replace(/[_]+(\w|$)/g, (_m, c: string) => c.toUpperCase());
}

/** tfjs-layers' `convertPythonicToTs`, including its exceptions for names. */
function toCamelCaseConfig(value: Json, key?: string): Json {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return camel(value);
  if (Array.isArray(value)) {
    return value.map((item, index) =>
      // Node references such as ["dense_1", 0, 0] start with a layer name, which is not converted.
      (key === 'inboundNodes' || key === 'outputLayers' || key === 'inputLayers') &&
      index === 0 &&
      typeof item === 'string'
        ? item
        : toCamelCaseConfig(item, key),
    );
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'name' && typeof v === 'string') out[k] = v;
    else {
      const tsKey = camel(k);
      out[tsKey] = toCamelCaseConfig(v, tsKey);
    }
  }
  return out;
}

function seedInitializers(value: Json, counter: { next: number }): void {
  if (Array.isArray(value)) {
    for (const item of value) seedInitializers(item, counter);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const layerConfig = value.config;
  if (
    typeof value.className === 'string' &&
    KERNEL_LAYERS.has(value.className) &&
    typeof layerConfig === 'object' &&
    layerConfig !== null &&
    !Array.isArray(layerConfig) &&
    layerConfig.kernelInitializer === undefined
  ) {
    layerConfig.kernelInitializer = 'glorotUniform';
  }
  for (const [key, child] of Object.entries(value)) {
    if (key.endsWith('Initializer')) value[key] = seeded(child, counter);
    else seedInitializers(child, counter);
  }
}

/** `initializer` with a seed when it is random; string shorthands become full configs. */
function seeded(initializer: Json, counter: { next: number }): Json {
  if (typeof initializer === 'string') {
    const className = initializer.charAt(0).toUpperCase() + initializer.slice(1);
    return RANDOM_INITIALIZERS.has(className) ? { className, config: { seed: counter.next++ } } : initializer;
  }
  if (typeof initializer !== 'object' || initializer === null || Array.isArray(initializer))
    return initializer;
  const { className, config } = initializer;
  if (typeof className !== 'string' || !RANDOM_INITIALIZERS.has(className)) return initializer;
  const base = typeof config === 'object' && config !== null && !Array.isArray(config) ? config : {};
  return { ...initializer, config: { ...base, seed: counter.next++ } };
}
