import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SiloError } from '@silo/common';
import { digestWeights } from '@silo/tensors';
import { buildModel } from './build.js';
import type { ModelSpec } from './model-spec.js';
import { modelSpecDigest } from './model-spec.js';
import { setFlatWeights } from './weights.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/**
 * Writes a trained model as a standard TensorFlow.js Layers model: `dir/model.json` (topology
 * and weights manifest) and `dir/weights.bin`, loadable by `tf.loadLayersModel('file://…/model.json')`
 * under tfjs-node, by a browser over HTTP, or with {@link loadExportedModel}. The digests of the
 * spec and the weights are recorded under `userDefinedMetadata.silo` for provenance.
 *
 * tfjs-node's `file://` saver is not available without the native backend, so the artifacts
 * are captured with `tf.io.withSaveHandler` and written here; each file is written to a
 * temporary name and renamed, so a crash never leaves a half-written model in place.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a bad spec; `ERR_SHAPE_MISMATCH` when `weights` do not
 *   fit it.
 */
export async function exportLayersModel(spec: ModelSpec, weights: Float32Array, dir: string): Promise<void> {
  const model = buildModel(spec, 0);
  try {
    setFlatWeights(model, weights);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler((captured) => {
        artifacts = captured;
        return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
      }),
    );
    if (!artifacts?.weightSpecs || artifacts.weightData === undefined) {
      throw new SiloError('ERR_INTERNAL', 'TensorFlow.js produced no weights to export');
    }
    const modelJson: tf.io.ModelJSON = {
      format: 'layers-model',
      generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology as object,
      weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs }],
      userDefinedMetadata: {
        silo: { modelSpecDigest: modelSpecDigest(spec), weightsDigest: digestWeights(weights) },
      },
    };
    const weightData = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
    await mkdir(dir, { recursive: true });
    await writeAtomically(path.join(dir, WEIGHTS_FILE), weightData);
    await writeAtomically(path.join(dir, MODEL_FILE), JSON.stringify(modelJson));
  } finally {
    model.dispose();
  }
}

/**
 * Loads a model written by {@link exportLayersModel} (or any single-directory `model.json`
 * with relative weight paths) from the file system, without tfjs-node.
 *
 * @throws SiloError `ERR_NOT_FOUND` when a file is missing; `ERR_BAD_INPUT` when `model.json`
 *   is not a Layers model.
 */
export async function loadExportedModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel({ load: () => readArtifacts(dir) });
}

async function readArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const file = path.join(dir, MODEL_FILE);
  const json = await readOrThrow(file);
  let parsed: Partial<tf.io.ModelJSON>;
  try {
    parsed = JSON.parse(json.toString('utf8')) as Partial<tf.io.ModelJSON>;
  } catch (err) {
    throw new SiloError('ERR_BAD_INPUT', `${file} is not JSON`, { cause: err });
  }
  if (typeof parsed.modelTopology !== 'object' || !Array.isArray(parsed.weightsManifest)) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `${file} is not a TensorFlow.js Layers model (modelTopology / weightsManifest)`,
    );
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of parsed.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const relative of group.paths) {
      const bytes = await readOrThrow(path.resolve(dir, relative));
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  return {
    modelTopology: parsed.modelTopology,
    weightSpecs,
    weightData: tf.io.CompositeArrayBuffer.join(buffers),
    format: parsed.format,
    generatedBy: parsed.generatedBy,
    convertedBy: parsed.convertedBy ?? null,
  };
}

async function readOrThrow(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new SiloError('ERR_NOT_FOUND', `cannot read ${file}`, { cause: err });
  }
}

async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}
