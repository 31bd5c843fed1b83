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
    const ds = await loadCsv({ path: file, labelColumn: 'label' });
    expect(ds.size).toBe(2);
    expect(ds.featureShape).toEqual([2]);
    expect(Array.from(ds.x)).toEqual([1, 3, 4.5, Math.fround(-0.6)]);
    expect(Array.from(ds.y)).toEqual([2, 0]);
    expect(ds.numClasses).toBe(3);
  });

  it('uses the chosen feature columns in the chosen order', async () => {
    const file = csvFile('a,b,c,y\n1,2,3,0\n4,5,6,1\n');
    const ds = await loadCsv({ path: file, labelColumn: 'y', featureColumns: ['c', 'a'] });
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
