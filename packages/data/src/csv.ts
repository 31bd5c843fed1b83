import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { SiloError } from '@silo/common';
import type { Dataset } from './dataset.js';
import type { TabularOptions } from './tabular.js';
import { TabularBuilder } from './tabular.js';

export { labelsToClassIds } from './tabular.js';

/** Options of {@link loadCsv}: the file, and its columns as {@link TabularOptions} describes. */
export interface CsvOptions extends TabularOptions {
  /** Path of the CSV file; its first line must be a header naming the columns. */
  path: string;
}

/**
 * Loads a labelled dataset from a CSV file with a header row.
 *
 * Feature columns are numeric unless listed as `categorical` (one-hot encoded over the
 * categories found in this file, sorted); numeric columns are normalised as `normalize` says
 * (default `'none'`) with statistics of this file. Labels are mapped to class ids in one of
 * two ways:
 * - if every label is a non-negative integer (or `labelsAreClassIds: true`, which then requires
 *   it), it is used as the class id as-is and `numClasses = max + 1` — so workers whose files
 *   lack a class still agree on the ids;
 * - otherwise (or with `labelsAreClassIds: false`) the distinct label values are sorted
 *   (numerically when all are numbers, else by UTF-16 code units) and numbered from 0. This
 *   mapping depends on which values occur in the file, so workers must hold the same set of
 *   labels for their ids to agree. The same holds for the categories of categorical columns.
 *
 * Cells are trimmed; empty lines are skipped; a UTF-8 byte-order mark is ignored; line numbers in
 * messages count the header as line 1.
 *
 * @throws SiloError `ERR_NOT_FOUND` when the file cannot be opened; `ERR_BAD_INPUT` when the
 *   file is empty, has no data rows, lacks a configured column, has a row of the wrong width, a
 *   missing label or category, or a non-numeric numeric feature (naming the line and column);
 *   `ERR_BAD_CONFIG` for an unknown `normalize`.
 */
export async function loadCsv(options: CsvOptions): Promise<Dataset> {
  const { path } = options;
  const parser = parse({ bom: true, skip_empty_lines: true, trim: true, info: true });
  // pipeline (unlike pipe) forwards a read error such as ENOENT into the parser's iterator, and
  // closes the file when iteration stops early on a bad row.
  pipeline(createReadStream(path), parser, () => {});
  let table: TabularBuilder | undefined;
  try {
    for await (const entry of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = entry;
      if (table) table.add(record, info.lines);
      else
        table = new TabularBuilder(record, options, { source: path, unit: 'line', columnsIn: 'the header' });
    }
  } catch (err) {
    throw toCsvError(err, path);
  }
  if (!table)
    throw new SiloError('ERR_BAD_INPUT', `${path} is empty; a header row and data rows are required`);
  if (table.size === 0) throw new SiloError('ERR_BAD_INPUT', `${path} has a header but no data rows`);
  return table.finish();
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
