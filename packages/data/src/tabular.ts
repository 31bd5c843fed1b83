import { SiloError } from '@silo/common';
import type { Dataset } from './dataset.js';

/**
 * How numeric feature columns are rescaled, each with statistics of the owner's own rows:
 * `standard` to zero mean and unit variance (population standard deviation), `minmax` to
 * [0, 1], `none` left as read. A column with a single value throughout becomes all zeros.
 */
export type Normalization = 'standard' | 'minmax' | 'none';

/**
 * The normalisation of numeric columns when `normalize` is not given: none. Statistics are each
 * owner's own, so owners that standardise scale the same feature differently; an owner opts in
 * knowingly, and existing configs keep their meaning.
 */
export const DEFAULT_NORMALIZATION: Normalization = 'none';

/** The normalisations {@link Normalization} allows, for validating untyped config. */
export const NORMALIZATIONS: readonly Normalization[] = ['standard', 'minmax', 'none'];

/** Column options shared by the tabular loaders (CSV and PostgreSQL). */
export interface TabularOptions {
  /** Name of the column holding the class label. */
  labelColumn: string;
  /** Names of the feature columns, in this order. Default: every column but the label. */
  featureColumns?: string[];
  /**
   * Feature columns holding categories rather than numbers. Each is one-hot encoded in place,
   * over its distinct values in these rows sorted (numerically when all are numbers, else by
   * UTF-16 code units). Default: none.
   */
  categorical?: string[];
  /** Rescaling of the numeric feature columns (not the one-hot ones). Default `'none'`. */
  normalize?: Normalization;
  /**
   * `true`: every label must be a class id (an integer ≥ 0) and is used as-is. `false`: the
   * sorted distinct labels are numbered from 0. Default: as-is when every label is a class id,
   * numbered otherwise.
   */
  labelsAreClassIds?: boolean;
}

/** Where rows come from, for messages of the form `source: line 3, column "age": …`. */
export interface RowOrigin {
  /** The file or server the rows come from; never holds a credential. */
  source: string;
  /** What a row's position counts: file `line`s (header included) or result `row`s. */
  unit: 'line' | 'row';
  /** Where column names come from, e.g. `the header`. */
  columnsIn: string;
}

const INITIAL_CAPACITY = 1024;
const MAX_CLASS_ID = 0x7fff_ffff;
const MAX_SHOWN_CHARS = 40;

/** A feature column as laid out in every example, in configured order. */
type Segment =
  | { kind: 'numeric'; name: string; index: number; offset: number; width: number; array: boolean }
  | { kind: 'categorical'; name: string; index: number; ids: Map<string, number>; codes: Int32Builder };

/**
 * Turns rows of cells into a {@link Dataset}, one row at a time, so a loader can stream a file or
 * a query result into typed arrays without holding the rows.
 *
 * Numeric cells are numbers, numeric strings or booleans (1/0); a numeric cell may also be a flat
 * array of them (a PostgreSQL `real[]`), which supplies one feature per element and must have the
 * same length in every row. Numeric values go straight into a growing `Float32Array` while their
 * statistics are kept in running form (Welford), so normalising is one pass over that array at
 * the end; categorical and label values are kept as provisional integer codes and numbered in
 * sorted order at the end.
 */
export class TabularBuilder {
  readonly #origin: RowOrigin;
  readonly #normalize: Normalization;
  readonly #labelsAreClassIds: boolean | undefined;
  readonly #labelName: string;
  readonly #labelIndex: number;
  readonly #labelIds = new Map<string, number>();
  readonly #labels = new Int32Builder();
  readonly #segments: Segment[];
  #numericWidth = -1;
  #numeric = new Float32Builder();
  #stats: RunningStats | undefined;
  #size = 0;

  /**
   * @param columnNames the names of the cells of every row, in order
   * @throws SiloError `ERR_BAD_CONFIG` for an unknown normalisation; `ERR_BAD_INPUT` when a
   *   configured column is missing from `columnNames`, appears there twice, or is used twice.
   */
  constructor(columnNames: readonly string[], options: TabularOptions, origin: RowOrigin) {
    this.#origin = origin;
    this.#normalize = options.normalize ?? DEFAULT_NORMALIZATION;
    if (!NORMALIZATIONS.includes(this.#normalize)) {
      throw new SiloError(
        'ERR_BAD_CONFIG',
        `normalize must be one of ${NORMALIZATIONS.join(', ')}, got ${JSON.stringify(this.#normalize)}`,
      );
    }
    this.#labelsAreClassIds = options.labelsAreClassIds;
    const columns = resolveColumns(columnNames, options, origin);
    this.#labelName = options.labelColumn;
    this.#labelIndex = columns.label;
    this.#segments = columns.features.map(({ name, index, categorical }): Segment =>
      categorical
        ? { kind: 'categorical', name, index, ids: new Map(), codes: new Int32Builder() }
        : { kind: 'numeric', name, index, offset: 0, width: 0, array: false },
    );
  }

  /** Rows added so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds one row. `position` is its line or row number, named in errors.
   *
   * @throws SiloError `ERR_BAD_INPUT` for a missing label or categorical value, a non-numeric
   *   numeric value, or an array of another length than in the first row.
   */
  add(cells: ArrayLike<unknown>, position: number): void {
    if (this.#numericWidth < 0) this.#layOut(cells, position);
    const base = this.#numeric.grow(this.#numericWidth);
    for (const segment of this.#segments) {
      const cell = cells[segment.index];
      if (segment.kind === 'categorical') {
        const key = categoryKey(cell);
        if (key === undefined) {
          const what = isMissing(cell) ? 'the value is missing' : `${describe(cell)} is not a category`;
          throw this.#badCell(position, segment.name, what);
        }
        segment.codes.push(provisionalId(segment.ids, key));
      } else if (!segment.array) {
        this.#numeric.data[base + segment.offset] = this.#toNumber(cell, position, segment.name);
      } else {
        this.#addArray(cell, base + segment.offset, segment, position);
      }
    }
    this.#stats?.add(this.#numeric.data, base);
    this.#labels.push(this.#labelId(cells[this.#labelIndex], position));
    this.#size++;
  }

  /** The dataset of the rows added, normalised and encoded as configured. */
  finish(): Dataset {
    const size = this.#size;
    const { y, numClasses } = classIds(this.#labelIds, this.#labels.trimmed(size), this.#labelsAreClassIds);
    const width = Math.max(this.#numericWidth, 0);
    const numeric = this.#numeric.trimmed(size * width);
    const scale = this.#stats?.transform(this.#normalize, size);
    const categories = this.#segments.map((s) => (s.kind === 'categorical' ? sortedIds(s.ids) : undefined));
    const total = this.#segments.reduce(
      (sum, s, i) => sum + (s.kind === 'numeric' ? s.width : categories[i]!.count),
      0,
    );
    if (total === width) {
      if (scale) for (let i = 0; i < numeric.length; i++) numeric[i] = scale(numeric[i]!, i % width);
      return { x: numeric, y, size, featureShape: [total], numClasses };
    }
    const x = new Float32Array(size * total);
    for (let row = 0; row < size; row++) {
      let out = row * total;
      for (const [i, segment] of this.#segments.entries()) {
        if (segment.kind === 'categorical') {
          const { rank, count } = categories[i]!;
          x[out + rank[segment.codes.data[row]!]!] = 1;
          out += count;
          continue;
        }
        for (let j = 0; j < segment.width; j++) {
          const feature = segment.offset + j;
          const value = numeric[row * width + feature]!;
          x[out++] = scale ? scale(value, feature) : value;
        }
      }
    }
    return { x, y, size, featureShape: [total], numClasses };
  }

  /** Fixes each numeric column's width (1, or an array's length) from the first row. */
  #layOut(cells: ArrayLike<unknown>, position: number): void {
    let offset = 0;
    for (const segment of this.#segments) {
      if (segment.kind !== 'numeric') continue;
      const cell = cells[segment.index];
      segment.offset = offset;
      segment.array = Array.isArray(cell);
      segment.width = Array.isArray(cell) ? cell.length : 1;
      if (segment.width === 0) throw this.#badCell(position, segment.name, 'the array is empty');
      offset += segment.width;
    }
    this.#numericWidth = offset;
    if (this.#normalize !== 'none') this.#stats = new RunningStats(offset);
  }

  #addArray(cell: unknown, at: number, segment: { name: string; width: number }, position: number): void {
    if (!Array.isArray(cell) || cell.length !== segment.width) {
      const got = Array.isArray(cell) ? `an array of ${cell.length}` : describe(cell);
      throw this.#badCell(
        position,
        segment.name,
        `expected an array of ${segment.width} numbers, got ${got}`,
      );
    }
    const data = this.#numeric.data;
    for (let j = 0; j < cell.length; j++) {
      const value = toNumber(cell[j]);
      if (Number.isNaN(value)) {
        throw this.#badCell(position, segment.name, `element ${j + 1}: ${describe(cell[j])} is not a number`);
      }
      data[at + j] = value;
    }
  }

  #toNumber(cell: unknown, position: number, column: string): number {
    const value = toNumber(cell);
    if (Number.isNaN(value)) throw this.#badCell(position, column, `${describe(cell)} is not a number`);
    return value;
  }

  #labelId(cell: unknown, position: number): number {
    const key = categoryKey(cell);
    if (key === undefined) {
      const what = isMissing(cell) ? 'the label is missing' : `${describe(cell)} is not a label`;
      throw this.#badCell(position, this.#labelName, what);
    }
    if (this.#labelsAreClassIds === true && !this.#labelIds.has(key) && !isClassId(key)) {
      throw this.#badCell(
        position,
        this.#labelName,
        `${describe(cell)} is not a class id (an integer 0 … ${MAX_CLASS_ID}), as labelsAreClassIds requires`,
      );
    }
    return provisionalId(this.#labelIds, key);
  }

  #badCell(position: number, column: string, what: string): SiloError {
    const { source, unit } = this.#origin;
    return new SiloError('ERR_BAD_INPUT', `${source}: ${unit} ${position}, column "${column}": ${what}`);
  }
}

/**
 * Maps label strings to class ids: as-is when all are class ids (integers ≥ 0) and `asIs` is not
 * `false`, else numbered in sorted order of the distinct values (numeric order when all are
 * numbers, else UTF-16 code units).
 */
export function labelsToClassIds(
  labels: readonly string[],
  asIs?: boolean,
): { y: Int32Array; numClasses: number } {
  const ids = new Map<string, number>();
  const codes = Int32Array.from(labels, (label) => provisionalId(ids, label));
  return classIds(ids, codes, asIs);
}

function resolveColumns(names: readonly string[], options: TabularOptions, origin: RowOrigin) {
  const { source, columnsIn } = origin;
  const { labelColumn } = options;
  const position = new Map<string, number>();
  names.forEach((name, index) => {
    if (position.has(name))
      throw new SiloError('ERR_BAD_INPUT', `${source}: column "${name}" appears twice in ${columnsIn}`);
    position.set(name, index);
  });
  const label = position.get(labelColumn);
  if (label === undefined) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `${source}: label column "${labelColumn}" is not in ${columnsIn} (${names.join(', ')})`,
    );
  }
  const featureNames = options.featureColumns ?? names.filter((name) => name !== labelColumn);
  if (featureNames.length === 0)
    throw new SiloError('ERR_BAD_INPUT', `${source}: no feature columns besides "${labelColumn}"`);
  if (new Set(featureNames).size !== featureNames.length)
    throw new SiloError('ERR_BAD_INPUT', `${source}: a feature column is listed twice`);
  const categorical = new Set(options.categorical ?? []);
  for (const name of categorical) {
    if (!position.has(name))
      throw new SiloError('ERR_BAD_INPUT', `${source}: categorical column "${name}" is not in ${columnsIn}`);
    if (!featureNames.includes(name))
      throw new SiloError('ERR_BAD_INPUT', `${source}: categorical column "${name}" is not a feature column`);
  }
  const features = featureNames.map((name) => {
    const index = position.get(name);
    if (index === undefined)
      throw new SiloError('ERR_BAD_INPUT', `${source}: feature column "${name}" is not in ${columnsIn}`);
    if (index === label)
      throw new SiloError('ERR_BAD_INPUT', `${source}: "${name}" is the label column, not a feature`);
    return { name, index, categorical: categorical.has(name) };
  });
  return { label, features };
}

/** A numeric cell's value, or NaN when it is not a finite number. */
function toNumber(cell: unknown): number {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : Number.NaN;
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  if (typeof cell === 'string') {
    const value = cell.trim() === '' ? Number.NaN : Number(cell);
    return Number.isFinite(value) ? value : Number.NaN;
  }
  return Number.NaN;
}

/** A category or label cell as text, or undefined when it is missing or not a scalar. */
function categoryKey(cell: unknown): string | undefined {
  if (typeof cell === 'string') return cell === '' ? undefined : cell;
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : undefined;
  if (typeof cell === 'boolean' || typeof cell === 'bigint') return String(cell);
  return undefined;
}

function describe(cell: unknown): string {
  if (cell === null || cell === undefined) return 'NULL (missing)';
  const text = typeof cell === 'string' || typeof cell === 'number' ? String(cell) : categoryKey(cell);
  // Not a scalar: e.g. an array, or a Date from a timestamp column.
  if (text === undefined) return Array.isArray(cell) ? 'an array' : `a value of type ${typeof cell}`;
  return JSON.stringify(text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text);
}

function isMissing(cell: unknown): boolean {
  return cell === null || cell === undefined || cell === '';
}

function isClassId(s: string): boolean {
  return /^\d+$/.test(s) && Number(s) <= MAX_CLASS_ID;
}

function provisionalId(ids: Map<string, number>, key: string): number {
  let id = ids.get(key);
  if (id === undefined) {
    id = ids.size;
    ids.set(key, id);
  }
  return id;
}

/** The sorted rank of each provisional id (first-seen order) of `ids`. */
function sortedIds(ids: Map<string, number>): { rank: Int32Array; count: number } {
  const distinct = [...ids.keys()];
  const numeric = distinct.every((s) => s.trim() !== '' && Number.isFinite(Number(s)));
  const order = distinct.map((_, i) => i);
  order.sort(
    numeric
      ? (a, b) => Number(distinct[a]) - Number(distinct[b])
      : (a, b) => (distinct[a]! < distinct[b]! ? -1 : distinct[a]! > distinct[b]! ? 1 : 0),
  );
  const rank = new Int32Array(distinct.length);
  order.forEach((id, r) => (rank[id] = r));
  return { rank, count: distinct.length };
}

/** Final class ids for labels held as provisional `codes` into `ids`. */
function classIds(
  ids: Map<string, number>,
  codes: Int32Array,
  asIs: boolean | undefined,
): { y: Int32Array; numClasses: number } {
  const distinct = [...ids.keys()];
  let final: Int32Array;
  let numClasses: number;
  if (asIs !== false && distinct.every(isClassId)) {
    final = Int32Array.from(distinct, Number);
    numClasses = final.reduce((max, v) => Math.max(max, v), -1) + 1;
  } else {
    final = sortedIds(ids).rank;
    numClasses = distinct.length;
  }
  return { y: codes.map((code) => final[code]!), numClasses };
}

/** Running per-feature statistics (Welford's mean and M2, min, max) over rows of `width` floats. */
class RunningStats {
  readonly #mean: Float64Array;
  readonly #m2: Float64Array;
  readonly #min: Float64Array;
  readonly #max: Float64Array;
  #count = 0;

  constructor(width: number) {
    this.#mean = new Float64Array(width);
    this.#m2 = new Float64Array(width);
    this.#min = new Float64Array(width).fill(Infinity);
    this.#max = new Float64Array(width).fill(-Infinity);
  }

  /** Adds the row at `data[base …]`. */
  add(data: Float32Array, base: number): void {
    const n = ++this.#count;
    for (let j = 0; j < this.#mean.length; j++) {
      const v = data[base + j]!;
      const delta = v - this.#mean[j]!;
      this.#mean[j]! += delta / n;
      this.#m2[j]! += delta * (v - this.#mean[j]!);
      if (v < this.#min[j]!) this.#min[j] = v;
      if (v > this.#max[j]!) this.#max[j] = v;
    }
  }

  /** The rescaling of feature `j`'s values that `mode` asks for. */
  transform(mode: Normalization, size: number): ((value: number, j: number) => number) | undefined {
    if (mode === 'none' || size === 0) return undefined;
    if (mode === 'minmax') {
      const min = this.#min;
      const range = this.#max.map((max, j) => max - min[j]!);
      return (value, j) => (range[j]! > 0 ? (value - min[j]!) / range[j]! : 0);
    }
    const mean = this.#mean;
    const std = this.#m2.map((m2) => Math.sqrt(m2 / size));
    return (value, j) => (std[j]! > 0 ? (value - mean[j]!) / std[j]! : 0);
  }
}

/** A `Float32Array` that doubles its capacity as rows are appended. */
class Float32Builder {
  data = new Float32Array(INITIAL_CAPACITY);
  #length = 0;

  /** Reserves `count` more values and returns the offset of the first. */
  grow(count: number): number {
    const at = this.#length;
    if (at + count > this.data.length) {
      const next = new Float32Array(Math.max(2 * this.data.length, at + count));
      next.set(this.data.subarray(0, at));
      this.data = next;
    }
    this.#length = at + count;
    return at;
  }

  trimmed(length: number): Float32Array {
    return length === this.data.length ? this.data : this.data.slice(0, length);
  }
}

/** An `Int32Array` that doubles its capacity as values are appended. */
class Int32Builder {
  data = new Int32Array(INITIAL_CAPACITY);
  #length = 0;

  push(value: number): void {
    if (this.#length === this.data.length) {
      const next = new Int32Array(2 * this.data.length);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.#length++] = value;
  }

  trimmed(length: number): Int32Array {
    return this.data.slice(0, length);
  }
}
