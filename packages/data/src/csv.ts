import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { SiloError } from '@silo/common';
import type { Dataset } from './dataset.js';

/** Options of {@link loadCsv}. */
export interface CsvOptions {
  /** Path of the CSV file; its first line must be a header naming the columns. */
  path: string;
  /** Header name of the column holding the class label. */
  labelColumn: string;
  /** Header names of the feature columns, in this order. Default: every column but the label. */
  featureColumns?: string[];
}

/**
 * Loads a labelled dataset from a CSV file with a header row.
 *
 * Features must be numeric (blank or non-numeric cells are rejected). Labels are mapped to
 * class ids in one of two ways:
 * - if every label is a non-negative integer, it is used as the class id as-is and
 *   `numClasses = max + 1` — so workers whose files lack a class still agree on the ids;
 * - otherwise the distinct label values are sorted (numerically when all are numbers, else by
 *   UTF-16 code units) and numbered from 0. This mapping depends on which values occur in the
 *   file, so workers must hold the same set of labels for their ids to agree.
 *
 * Empty lines are skipped; a UTF-8 byte-order mark is ignored; line numbers in messages count
 * the header as line 1.
 *
 * @throws SiloError `ERR_NOT_FOUND` when the file cannot be opened; `ERR_BAD_INPUT` when the
 *   file is empty, has no data rows, lacks the label or a feature column, has a row of the wrong
 *   width, or a non-numeric feature (naming the line and column).
 */
export async function loadCsv(options: CsvOptions): Promise<Dataset> {
  const { path, labelColumn } = options;
  const parser = parse({ bom: true, skip_empty_lines: true, trim: true, info: true });
  // pipeline (unlike pipe) forwards a read error such as ENOENT into the parser's iterator, and
  // closes the file when iteration stops early on a bad row.
  pipeline(createReadStream(path), parser, () => {});
  let columns: ReturnType<typeof resolveColumns> | undefined;
  const features: number[] = [];
  const labels: string[] = [];
  try {
    for await (const entry of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = entry;
      if (!columns) {
        columns = resolveColumns(record, labelColumn, options.featureColumns, path);
        continue;
      }
      for (const [name, index] of columns.features)
        features.push(parseFeature(record[index], info.lines, name, path));
      labels.push(record[columns.label] ?? '');
    }
  } catch (err) {
    throw toCsvError(err, path);
  }
  if (!columns)
    throw new SiloError('ERR_BAD_INPUT', `${path} is empty; a header row and data rows are required`);
  if (labels.length === 0) throw new SiloError('ERR_BAD_INPUT', `${path} has a header but no data rows`);
  const { y, numClasses } = labelsToClassIds(labels);
  return {
    x: Float32Array.from(features),
    y,
    size: labels.length,
    featureShape: [columns.features.length],
    numClasses,
  };
}

function resolveColumns(
  header: string[],
  labelColumn: string,
  featureColumns: string[] | undefined,
  path: string,
) {
  const position = new Map<string, number>();
  header.forEach((name, index) => {
    if (position.has(name))
      throw new SiloError('ERR_BAD_INPUT', `${path}: column "${name}" appears twice in the header`);
    position.set(name, index);
  });
  const label = position.get(labelColumn);
  if (label === undefined) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `${path}: label column "${labelColumn}" is not in the header (${header.join(', ')})`,
    );
  }
  const names = featureColumns ?? header.filter((name) => name !== labelColumn);
  if (names.length === 0)
    throw new SiloError('ERR_BAD_INPUT', `${path}: no feature columns besides "${labelColumn}"`);
  const features = names.map((name): [string, number] => {
    const index = position.get(name);
    if (index === undefined)
      throw new SiloError('ERR_BAD_INPUT', `${path}: feature column "${name}" is not in the header`);
    if (index === label)
      throw new SiloError('ERR_BAD_INPUT', `${path}: "${name}" is the label column, not a feature`);
    return [name, index];
  });
  return { label, features };
}

function parseFeature(cell: string | undefined, line: number, column: string, path: string): number {
  const value = cell === undefined || cell === '' ? Number.NaN : Number(cell);
  if (!Number.isFinite(value)) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `${path}: line ${line}, column "${column}": ${JSON.stringify(cell ?? '')} is not a number`,
    );
  }
  return value;
}

/** Maps label strings to class ids as {@link loadCsv} documents. */
export function labelsToClassIds(labels: readonly string[]): { y: Int32Array; numClasses: number } {
  const isClassId = (s: string): boolean => /^\d+$/.test(s) && Number.isSafeInteger(Number(s));
  if (labels.every(isClassId)) {
    const y = Int32Array.from(labels, Number);
    return { y, numClasses: y.reduce((max, v) => Math.max(max, v), -1) + 1 };
  }
  const distinct = [...new Set(labels)];
  const numeric = distinct.every((s) => s !== '' && Number.isFinite(Number(s)));
  distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ids = new Map(distinct.map((value, id) => [value, id]));
  return { y: Int32Array.from(labels, (s) => ids.get(s)!), numClasses: distinct.length };
}

function toCsvError(err: unknown, path: string): SiloError {
  if (err instanceof SiloError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    return new SiloError('ERR_NOT_FOUND', `cannot read CSV file ${path}`, { cause: err });
  }
  if (err instanceof CsvError) {
    const line = typeof err.lines === 'number' ? ` at line ${err.lines}` : '';
    return new SiloError('ERR_BAD_INPUT', `${path}: malformed CSV${line}: ${err.message}`, { cause: err });
  }
  return new SiloError('ERR_BAD_INPUT', `${path}: cannot parse CSV`, { cause: err });
}
