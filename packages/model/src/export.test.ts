import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestWeights } from '@silo/tensors';
import { initBackend } from './backend.js';
import { buildModel } from './build.js';
import { exportLayersModel, loadExportedModel } from './export.js';
import type { ModelSpec } from './model-spec.js';
import { modelSpecDigest } from './model-spec.js';
import { getFlatWeights } from './weights.js';

const dir = mkdtempSync(path.join(tmpdir(), 'silo-model-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend();
});

function predictions(model: tf.LayersModel, input: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(input) as tf.Tensor).dataSync() as Float32Array);
}

describe('exportLayersModel', () => {
  it('writes model.json and weights.bin that load back to the same predictions', async () => {
    const spec: ModelSpec = { kind: 'builtin', name: 'mlp' };
    const original = buildModel(spec, 9);
    const weights = getFlatWeights(original);
    const out = path.join(dir, 'mlp');
    await exportLayersModel(spec, weights, out);

    const modelJson = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0]!.paths).toEqual(['./weights.bin']);
    expect(readFileSync(path.join(out, 'weights.bin')).byteLength).toBe(4 * 199_210);
    expect(modelJson.userDefinedMetadata).toEqual({
      silo: { modelSpecDigest: modelSpecDigest(spec), weightsDigest: digestWeights(weights) },
    });

    const input = tf.tidy(() => tf.randomUniform([5, 784], 0, 1, 'float32', 4));
    const expected = predictions(original, input);
    const loaded = await loadExportedModel(out);
    expect(digestWeights(getFlatWeights(loaded))).toBe(digestWeights(weights));
    const fromLoader = predictions(loaded, input);
    // The standard in-memory loader reads the same artifacts.
    const bin = readFileSync(path.join(out, 'weights.bin'));
    const viaMemory = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0]!.weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    );
    const fromMemory = predictions(viaMemory, input);
    for (const actual of [fromLoader, fromMemory]) {
      expect(actual.length).toBe(50);
      actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    }
    for (const m of [original, loaded, viaMemory]) m.dispose();
    input.dispose();
  });

  it('rejects weights that do not fit the spec, and a missing directory on load', async () => {
    await expect(
      exportLayersModel({ kind: 'builtin', name: 'mlp' }, new Float32Array(3), path.join(dir, 'bad')),
    ).rejects.toMatchObject({
      code: 'ERR_SHAPE_MISMATCH',
    });
    await expect(loadExportedModel(path.join(dir, 'absent'))).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
  });
});
