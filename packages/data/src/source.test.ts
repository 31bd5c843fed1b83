import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DataSourceConfig } from './source.js';
import { loadDataSource, loadSplit } from './source.js';
import { loadMnist } from './mnist.js';

const dir = mkdtempSync(path.join(tmpdir(), 'silo-data-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadDataSource', () => {
  it('gives each MNIST worker its own share of the train split', async () => {
    const base = { kind: 'mnist', partition: 'iid', parts: 4, seed: 5, trainSize: 400 } as const;
    const shares = await Promise.all([0, 1, 2, 3].map((index) => loadDataSource({ ...base, index })));
    expect(shares.map((s) => s.size)).toEqual([100, 100, 100, 100]);
    const train = loadMnist({ trainSize: 400, seed: 5 }).train;
    const total = shares.reduce((sum, s) => sum + s.x.reduce((a, b) => a + b, 0), 0);
    expect(total).toBeCloseTo(
      train.x.reduce((a, b) => a + b, 0),
      0,
    );
    expect(shares[0]!.featureShape).toEqual([784]);
    expect(shares[0]!.numClasses).toBe(10);
  });

  it('splits the synthetic tabular set like MNIST, and loadSplit gives the same shares at once', async () => {
    const base = {
      kind: 'synthetic-tabular',
      partition: 'label-shards:2',
      parts: 5,
      seed: 2,
      trainSize: 500,
    } as const;
    const one = await Promise.all([0, 1, 2, 3, 4].map((index) => loadDataSource({ ...base, index })));
    expect(one.reduce((n, s) => n + s.size, 0)).toBe(500);
    expect(one[0]!.featureShape).toEqual([50]);
    const split = loadSplit({ ...base, index: 0 });
    for (const [index, share] of one.entries()) {
      const again = split.share(index);
      expect(Array.from(again.y)).toEqual(Array.from(share.y));
      expect(Buffer.from(again.x.buffer).equals(Buffer.from(share.x.buffer))).toBe(true);
      // label-shards:2: each worker sees at most two classes.
      expect(new Set(share.y).size).toBeLessThanOrEqual(2);
    }
    expect(() => split.share(5)).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });

  it('loads a CSV source', async () => {
    const file = path.join(dir, 'd.csv');
    writeFileSync(file, 'f,y\n0.5,1\n');
    const ds = await loadDataSource({ kind: 'csv', path: file, labelColumn: 'y', normalize: 'none' });
    expect(Array.from(ds.x)).toEqual([0.5]);
  });

  it.each<[string, unknown]>([
    ['index ≥ parts', { kind: 'mnist', partition: 'iid', parts: 2, index: 2 }],
    ['negative index', { kind: 'mnist', partition: 'iid', parts: 2, index: -1 }],
    ['fractional parts', { kind: 'mnist', partition: 'iid', parts: 1.5, index: 0 }],
    ['bad scheme', { kind: 'mnist', partition: 'shards', parts: 2, index: 0 }],
    ['bad seed', { kind: 'mnist', partition: 'iid', parts: 2, index: 0, seed: 'x' }],
    ['unknown kind', { kind: 'parquet' }],
    ['csv without label column', { kind: 'csv', path: 'a.csv' }],
  ])('rejects %s with ERR_BAD_CONFIG', async (_name, config) => {
    await expect(loadDataSource(config as DataSourceConfig)).rejects.toMatchObject({
      code: 'ERR_BAD_CONFIG',
    });
  });
});
