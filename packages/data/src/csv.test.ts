import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SiloError } from '@silo/common';
import { labelsToClassIds, loadCsv } from './csv.js';

const dir = mkdtempSync(path.join(tmpdir(), 'silo-data-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Asserts that `promise` rejects with `code` and a message matching `message`. */
async function expectRejection(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e as SiloError,
  );
  expect(err?.code).toBe(code);
  expect(err?.message).toMatch(message);
}

let fileCount = 0;
function csvFile(text: string): string {
  const file = path.join(dir, `t${fileCount++}.csv`);
  writeFileSync(file, text);
  return file;
}

describe('loadCsv', () => {
  it('reads numeric features and integer labels as-is', async () => {
    const file = csvFile('\ufeffa,label,b\n1,2,3\n\n4.5,0,-6e-1\n');
    const ds = await loadCsv({ path: file, labelColumn: 'label', normalize: 'none' });
    expect(ds.size).toBe(2);
    expect(ds.featureShape).toEqual([2]);
    expect(Array.from(ds.x)).toEqual([1, 3, 4.5, Math.fround(-0.6)]);
    expect(Array.from(ds.y)).toEqual([2, 0]);
    expect(ds.numClasses).toBe(3);
  });

  it('uses the chosen feature columns in the chosen order', async () => {
    const file = csvFile('a,b,c,y\n1,2,3,0\n4,5,6,1\n');
    const ds = await loadCsv({ path: file, labelColumn: 'y', featureColumns: ['c', 'a'], normalize: 'none' });
    expect(Array.from(ds.x)).toEqual([3, 1, 6, 4]);
    expect(ds.featureShape).toEqual([2]);
  });

  it('maps other labels to ids by sorted distinct value', async () => {
    const file = csvFile('x,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n');
    const ds = await loadCsv({ path: file, labelColumn: 'species' });
    expect(Array.from(ds.y)).toEqual([2, 0, 1, 0]);
    expect(ds.numClasses).toBe(3);
    expect(Array.from(labelsToClassIds(['10', '-1', '2.5', '-1']).y)).toEqual([2, 0, 1, 0]);
  });

  it('names the line and column of a non-numeric feature', async () => {
    const file = csvFile('a,b,y\n1,2,0\n3,oops,1\n');
    await expectRejection(loadCsv({ path: file, labelColumn: 'y' }), 'ERR_BAD_INPUT', /line 3, column "b"/);
    const blank = csvFile('a,b,y\n1,,0\n');
    await expectRejection(loadCsv({ path: blank, labelColumn: 'y' }), 'ERR_BAD_INPUT', /line 2, column "b"/);
  });

  it('names a missing label or feature column', async () => {
    const file = csvFile('a,b\n1,2\n');
    await expectRejection(loadCsv({ path: file, labelColumn: 'target' }), 'ERR_BAD_INPUT', /"target"/);
    await expectRejection(
      loadCsv({ path: file, labelColumn: 'b', featureColumns: ['zz'] }),
      'ERR_BAD_INPUT',
      /"zz"/,
    );
  });

  it('rejects an empty file, a header without rows, and ragged rows', async () => {
    await expectRejection(loadCsv({ path: csvFile(''), labelColumn: 'y' }), 'ERR_BAD_INPUT', /empty/);
    await expectRejection(
      loadCsv({ path: csvFile('a,y\n'), labelColumn: 'y' }),
      'ERR_BAD_INPUT',
      /no data rows/,
    );
    await expect(loadCsv({ path: csvFile('a,y\n1,0\n2\n'), labelColumn: 'y' })).rejects.toMatchObject({
      code: 'ERR_BAD_INPUT',
    });
  });

  it('reports a missing file as not found', async () => {
    await expect(loadCsv({ path: path.join(dir, 'absent.csv'), labelColumn: 'y' })).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
  });
});

describe('loadCsv column options', () => {
  const people = 'age,city,zone,y\n30,paris,10,no\n40,berlin,9,yes\n50,paris,100,no\n';

  it('one-hot encodes categorical columns in place over their sorted categories', async () => {
    const ds = await loadCsv({
      path: csvFile(people),
      labelColumn: 'y',
      categorical: ['city', 'zone'],
      normalize: 'none',
    });
    // age | berlin, paris | 9, 10, 100 (numeric categories sort numerically)
    expect(ds.featureShape).toEqual([6]);
    expect(Array.from(ds.x)).toEqual([30, 0, 1, 0, 1, 0, 40, 1, 0, 1, 0, 0, 50, 0, 1, 0, 0, 1]);
    expect(Array.from(ds.y)).toEqual([0, 1, 0]);
  });

  it('gives the same encoding whatever the row order', async () => {
    const reordered = 'age,city,zone,y\n50,paris,100,no\n40,berlin,9,yes\n30,paris,10,no\n';
    const options = { labelColumn: 'y', categorical: ['city', 'zone'], normalize: 'none' as const };
    const a = await loadCsv({ path: csvFile(people), ...options });
    const b = await loadCsv({ path: csvFile(reordered), ...options });
    expect(Array.from(b.x.subarray(0, 6))).toEqual(Array.from(a.x.subarray(12, 18)));
    expect(Array.from(b.y)).toEqual([0, 1, 0]);
  });

  it('standardises numeric columns when asked, not the one-hot ones', async () => {
    const ds = await loadCsv({
      path: csvFile('a,b,c,y\n1,5,u,0\n2,5,v,1\n3,5,u,0\n'),
      labelColumn: 'y',
      categorical: ['c'],
      normalize: 'standard',
    });
    const s = Math.sqrt(2 / 3);
    const expected = [-1 / s, 0, 1, 0, 0, 0, 0, 1, 1 / s, 0, 1, 0];
    expect(ds.featureShape).toEqual([4]);
    Array.from(ds.x).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('rescales numeric columns to [0, 1] with minmax', async () => {
    const ds = await loadCsv({
      path: csvFile('a,b,y\n2,7,0\n6,7,1\n4,7,0\n'),
      labelColumn: 'y',
      normalize: 'minmax',
    });
    expect(Array.from(ds.x)).toEqual([0, 0, 1, 0, 0.5, 0]);
  });

  it('uses integer labels as class ids when labelsAreClassIds is true', async () => {
    const ds = await loadCsv({ path: csvFile('a,y\n1,4\n2,0\n'), labelColumn: 'y', labelsAreClassIds: true });
    expect(Array.from(ds.y)).toEqual([4, 0]);
    expect(ds.numClasses).toBe(5);
    await expectRejection(
      loadCsv({ path: csvFile('a,y\n1,4\n2,1.5\n'), labelColumn: 'y', labelsAreClassIds: true }),
      'ERR_BAD_INPUT',
      /line 3, column "y": "1.5" is not a class id/,
    );
  });

  it('numbers even integer labels in sorted order when labelsAreClassIds is false', async () => {
    const ds = await loadCsv({
      path: csvFile('a,y\n1,7\n2,5\n3,7\n'),
      labelColumn: 'y',
      labelsAreClassIds: false,
    });
    expect(Array.from(ds.y)).toEqual([1, 0, 1]);
    expect(ds.numClasses).toBe(2);
  });

  it('names the line and column of a missing label or category', async () => {
    await expectRejection(
      loadCsv({ path: csvFile('a,y\n1,0\n2,\n'), labelColumn: 'y' }),
      'ERR_BAD_INPUT',
      /line 3, column "y": the label is missing/,
    );
    await expectRejection(
      loadCsv({ path: csvFile('a,c,y\n1,u,0\n\n2,,1\n'), labelColumn: 'y', categorical: ['c'] }),
      'ERR_BAD_INPUT',
      /line 4, column "c": the value is missing/,
    );
  });

  it('rejects categorical columns that are unknown or not features, and an unknown normalisation', async () => {
    const file = csvFile('a,b,y\n1,2,0\n');
    await expectRejection(
      loadCsv({ path: file, labelColumn: 'y', categorical: ['zz'] }),
      'ERR_BAD_INPUT',
      /categorical column "zz" is not in the header/,
    );
    await expectRejection(
      loadCsv({ path: file, labelColumn: 'y', featureColumns: ['a'], categorical: ['b'] }),
      'ERR_BAD_INPUT',
      /"b" is not a feature column/,
    );
    await expectRejection(
      loadCsv({ path: file, labelColumn: 'y', normalize: 'zscore' as 'none' }),
      'ERR_BAD_CONFIG',
      /normalize/,
    );
  });
});
