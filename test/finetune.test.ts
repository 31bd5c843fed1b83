import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { Coordinator, type ModelCard } from '@silo/coordinator';
import { loadMnist, partition, subset } from '@silo/data';
import {
  buildModel,
  exportLayersModel,
  getFlatWeights,
  initBackend,
  loadExportedModel,
  modelLayout,
  trainLocal,
} from '@silo/model';
import type { SigningKey } from '@silo/signing';
import { fromCanonicalBytes, sha256Hex, toCanonicalBytes, type Layout } from '@silo/tensors';
import { Trainer, Worker } from '@silo/worker';
import { exportRun } from '../packages/cli/src/commands/run.js';
import {
  cleanRedis,
  coordinatorConfig,
  makeKey,
  nextEvent,
  quietLogger,
  tempDir,
  uniquePrefix,
} from './helpers.js';

const TOKEN = 'finetune-token-0123456789';

/** The values of tensor `name` in a flat weight vector of `layout`. */
function tensor(weights: Float32Array, layout: Layout, name: string): Float32Array {
  let start = 0;
  for (const t of layout) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.name === name) return weights.subarray(start, start + size);
    start += size;
  }
  throw new Error(`no tensor ${name}`);
}

describe('fine-tuning a pretrained model with frozen layers, and its model card', () => {
  const prefix = uniquePrefix();
  let dir: string;
  let cleanupDir: () => Promise<void>;
  let coordinator: Coordinator;
  const workers: Worker[] = [];
  const keys: SigningKey[] = [];
  let pretrained: Float32Array;
  const pretrainedDir = (): string => join(dir, 'pretrained');

  beforeAll(async () => {
    await initBackend();
    ({ dir, cleanup: cleanupDir } = await tempDir());
    // A model "trained elsewhere": the 2NN after a little training on other digits.
    const { train, test } = loadMnist({ trainSize: 300, testSize: 100, seed: 6 });
    const base = buildModel({ kind: 'builtin', name: 'mlp' }, 5);
    await trainLocal(base, test, { epochs: 1, batchSize: 20, learningRate: 0.05, seed: 1 });
    pretrained = getFlatWeights(base);
    base.dispose();
    await exportLayersModel({ kind: 'builtin', name: 'mlp' }, pretrained, pretrainedDir());

    const made = await Promise.all(['a', 'b'].map((name) => makeKey(dir, name)));
    keys.push(...made.map((m) => m.key));
    const config = coordinatorConfig({
      prefix,
      dataDir: join(dir, 'coordinator'),
      insecure: true,
      apiToken: TOKEN,
      ledgerName: 'silo-finetune',
      workers: ['a', 'b'].map((name, i) => ({
        name,
        org: `org-${name}`,
        publicKeyFile: made[i]!.publicPath,
      })),
    });
    coordinator = await Coordinator.start({ config, logger: quietLogger });
    const parts = partition(train, 2, { kind: 'iid' }, 6);
    for (const [i, name] of ['a', 'b'].entries()) {
      workers.push(
        new Worker({
          coordinator: coordinator.grpcAddress,
          credentials: grpc.credentials.createInsecure(),
          name,
          key: keys[i]!,
          trainer: new Trainer(subset(train, parts[i]!)),
          backend: 'test',
          logger: quietLogger,
          initialDelayMs: 50,
          maxDelayMs: 500,
        }),
      );
    }
    const joined = Promise.all(workers.map((w) => nextEvent(w, 'joined')));
    for (const w of workers) w.start();
    await joined;
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanupDir?.();
  });

  it('refuses a freeze list that names no layer of the model, or leaves nothing to train', async () => {
    const model = { kind: 'pretrained', path: pretrainedDir() };
    await expect(coordinator.createRun({ model, rounds: 1, freeze: ['hidden9'] })).rejects.toThrow(
      /freeze names hidden9, not layers of the model \(hidden1, hidden2, output\)/,
    );
    await expect(
      coordinator.createRun({ model, rounds: 1, freeze: ['hidden1', 'hidden2', 'output'] }),
    ).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG' });
    await expect(
      coordinator.createRun({ model: { kind: 'pretrained', path: join(dir, 'missing') }, rounds: 1 }),
    ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('starts from the pretrained weights, leaves the frozen layer as it was, and exports a model card', async () => {
    const ended = nextEvent<{ runId: string; status: string }>(coordinator, 'run-ended');
    const run = await coordinator.createRun({
      name: 'specialise',
      model: { kind: 'pretrained', path: pretrainedDir() },
      freeze: ['hidden1'],
      rounds: 2,
      minWorkers: 2,
      train: { epochs: 1, batchSize: 20, learningRate: 0.05 },
    });
    expect(run.config.model).toMatchObject({ kind: 'topology' });
    expect(run.checkpoint).toBe(sha256Hex(toCanonicalBytes(pretrained)));
    expect(run.config.pretrained).toEqual({ path: pretrainedDir(), checkpoint: run.checkpoint });
    expect(await ended).toMatchObject({ runId: run.id, status: 'completed' });

    const view = await coordinator.runView(run.id);
    const final = fromCanonicalBytes(await readFile(join(coordinator.ledgerDir, 'blobs', view.checkpoint)));
    // Compared by digest: a failing deep comparison of 157k floats would take minutes to print.
    const digestOf = (weights: Float32Array, name: string): string =>
      sha256Hex(toCanonicalBytes(tensor(weights, run.layout, name)));
    for (const name of ['hidden1/kernel', 'hidden1/bias'])
      expect(digestOf(final, name), name).toBe(digestOf(pretrained, name));
    expect(digestOf(final, 'hidden2/kernel')).not.toBe(digestOf(pretrained, 'hidden2/kernel'));

    const out = join(dir, 'export');
    const digest = await exportRun({ url: coordinator.httpUrl, token: TOKEN }, run.id, out);
    expect(digest).toBe(view.checkpoint);
    const exported = await loadExportedModel(out);
    expect(sha256Hex(toCanonicalBytes(getFlatWeights(exported)))).toBe(view.checkpoint);
    expect(modelLayout(exported)).toEqual(run.layout);
    exported.dispose();
    const card = JSON.parse(await readFile(join(out, 'model-card.json'), 'utf8')) as ModelCard;
    expect(card).toMatchObject({
      run: { id: run.id, name: 'specialise', status: 'completed', rounds: 2, roundsConfigured: 2 },
      model: { checkpoint: view.checkpoint, pretrained: run.config.pretrained, freeze: ['hidden1'] },
      privacy: null,
      participants: [
        { name: 'a', org: 'org-a', rounds: 2 },
        { name: 'b', org: 'org-b', rounds: 2 },
      ],
    });
    expect(card.ledger?.checkpoint).toMatch(/^silo-finetune\n\d+\n/);
    const markdown = await readFile(join(out, 'model-card.md'), 'utf8');
    expect(markdown).toContain(`fine-tuned from \`${pretrainedDir()}\``);
    expect(markdown).toContain('| a | org-a | 2 |');
  });
});
