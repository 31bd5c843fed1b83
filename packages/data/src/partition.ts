import { SiloError } from '@silo/common';
import type { Dataset } from './dataset.js';
import { createRng, randomInt, sampleDirichlet, shuffleInPlace, shuffleIndices } from './rng.js';

/**
 * How a dataset is split across workers.
 *
 * - `iid`: a uniform random split into near-equal parts.
 * - `label-shards`: the pathological non-IID split of McMahan et al. (2017): each worker gets
 *   `shardsPerWorker` label-sorted shards, so it sees only a few classes.
 * - `dirichlet`: per class, worker proportions drawn from Dir(`alpha`); small alpha is skewed,
 *   large alpha approaches IID.
 */
export type PartitionScheme =
  { kind: 'iid' } | { kind: 'label-shards'; shardsPerWorker: number } | { kind: 'dirichlet'; alpha: number };

const ACCEPTED_FORMS = "'iid', 'label-shards:K' (K a positive integer) or 'dirichlet:ALPHA' (ALPHA > 0)";

/**
 * Parses a scheme written as `iid`, `label-shards:K` or `dirichlet:α`.
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming the accepted forms.
 */
export function parsePartitionScheme(text: string): PartitionScheme {
  const bad = (): SiloError =>
    new SiloError(
      'ERR_BAD_CONFIG',
      `unknown partition scheme ${JSON.stringify(text)}; use ${ACCEPTED_FORMS}`,
    );
  if (typeof text !== 'string') throw bad();
  const trimmed = text.trim();
  if (trimmed === 'iid') return { kind: 'iid' };
  const colon = trimmed.indexOf(':');
  if (colon < 0) throw bad();
  const kind = trimmed.slice(0, colon);
  const arg = trimmed.slice(colon + 1).trim();
  if (kind === 'label-shards' && /^[1-9]\d*$/.test(arg)) {
    const shardsPerWorker = Number(arg);
    if (Number.isSafeInteger(shardsPerWorker)) return { kind: 'label-shards', shardsPerWorker };
  }
  if (kind === 'dirichlet' && arg !== '') {
    const alpha = Number(arg);
    if (Number.isFinite(alpha) && alpha > 0) return { kind: 'dirichlet', alpha };
  }
  throw bad();
}

/**
 * Splits the example indices of `ds` into `numParts` disjoint sets, one per worker, each sorted
 * ascending. The same `(ds, numParts, scheme, seed)` always gives the same split.
 *
 * Every scheme covers every example and leaves no part empty.
 * - `iid`: part sizes differ by at most one.
 * - `label-shards`: shards hold a single label whenever `numParts × K ≥` the number of classes
 *   (so a worker sees at most K classes); shard sizes are then only as equal as class sizes
 *   allow (see {@link partitionLabelShards}). Nothing is dropped.
 * - `dirichlet`: sizes vary by design; empty parts are topped up with single examples from the
 *   largest part after sampling (see {@link partitionDirichlet}).
 *
 * @throws SiloError `ERR_BAD_CONFIG` when `numParts` is not a positive integer, or the dataset has
 *   fewer examples than parts (or than label shards); `ERR_BAD_INPUT` when a label is outside
 *   `0 … numClasses-1` (label-shards and dirichlet).
 */
export function partition(
  ds: Dataset,
  numParts: number,
  scheme: PartitionScheme,
  seed: number,
): Int32Array[] {
  if (!Number.isSafeInteger(numParts) || numParts < 1) {
    throw new SiloError('ERR_BAD_CONFIG', `number of parts must be a positive integer, got ${numParts}`);
  }
  if (ds.size < numParts) {
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `cannot split ${ds.size} examples into ${numParts} non-empty parts`,
    );
  }
  switch (scheme.kind) {
    case 'iid':
      return partitionIid(ds.size, numParts, seed);
    case 'label-shards':
      return partitionLabelShards(ds, numParts, scheme.shardsPerWorker, seed);
    case 'dirichlet':
      return partitionDirichlet(ds, numParts, scheme.alpha, seed);
  }
}

/** A random permutation cut into contiguous runs whose sizes differ by at most one. */
function partitionIid(size: number, numParts: number, seed: number): Int32Array[] {
  const order = shuffleIndices(size, seed);
  const parts: Int32Array[] = [];
  for (let p = 0; p < numParts; p++) {
    const start = Math.floor((p * size) / numParts);
    const end = Math.floor(((p + 1) * size) / numParts);
    parts.push(order.slice(start, end).sort());
  }
  return parts;
}

/**
 * The pathological non-IID split: shuffle each class, lay the classes out in label order, cut
 * that sequence into `numParts × K` shards and deal each worker `K` random shards.
 *
 * Cutting into shards of exactly equal size (as in the paper) makes a shard straddle two labels
 * whenever a class size is not a multiple of the shard size — with 8,000 MNIST digits and 20
 * shards that is half the shards, and workers end up with 3–4 classes. So whenever there are at
 * least as many shards as classes, shards are cut within classes instead: each class gets one
 * shard, then each further shard goes to the class whose shards are currently largest, which
 * keeps shard sizes as equal as the class sizes allow. A worker then holds at most `K` labels.
 * With fewer shards than classes, purity is impossible and the label-ordered sequence is cut
 * into runs whose sizes differ by at most one. Either way every example is assigned.
 */
function partitionLabelShards(
  ds: Dataset,
  numParts: number,
  shardsPerWorker: number,
  seed: number,
): Int32Array[] {
  if (!Number.isSafeInteger(shardsPerWorker) || shardsPerWorker < 1) {
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `shards per worker must be a positive integer, got ${shardsPerWorker}`,
    );
  }
  const numShards = numParts * shardsPerWorker;
  if (numShards > ds.size) {
    throw new SiloError('ERR_BAD_CONFIG', `${ds.size} examples are too few for ${numShards} label shards`);
  }
  const rng = createRng(seed);
  const classes = indicesByClass(ds)
    .filter((members) => members.length > 0)
    .map((members) => shuffleInPlace(members, rng));
  const shards =
    numShards >= classes.length ? cutWithinClasses(classes, numShards) : cutEvenly(classes, numShards);
  const shardOrder = shuffleInPlace(identity(numShards), rng);
  const parts: Int32Array[] = [];
  for (let p = 0; p < numParts; p++) {
    const mine = Array.from(
      shardOrder.subarray(p * shardsPerWorker, (p + 1) * shardsPerWorker),
      (s) => shards[s]!,
    );
    const part = new Int32Array(mine.reduce((n, shard) => n + shard.length, 0));
    let offset = 0;
    for (const shard of mine) {
      part.set(shard, offset);
      offset += shard.length;
    }
    parts.push(part.sort());
  }
  return parts;
}

/** Label-pure shards; needs `numShards ≥ classes.length` and `numShards ≤` total examples. */
function cutWithinClasses(classes: Int32Array[], numShards: number): Int32Array[] {
  const counts = classes.map(() => 1);
  for (let extra = classes.length; extra < numShards; extra++) {
    let pick = 0;
    for (let c = 1; c < classes.length; c++) {
      if (classes[c]!.length / counts[c]! > classes[pick]!.length / counts[pick]!) pick = c;
    }
    counts[pick] = counts[pick]! + 1;
  }
  return classes.flatMap((members, c) => cutRuns(members, counts[c]!));
}

function cutEvenly(classes: Int32Array[], numShards: number): Int32Array[] {
  const all = new Int32Array(classes.reduce((n, members) => n + members.length, 0));
  let offset = 0;
  for (const members of classes) {
    all.set(members, offset);
    offset += members.length;
  }
  return cutRuns(all, numShards);
}

/** `values` cut into `count` contiguous runs whose lengths differ by at most one. */
function cutRuns(values: Int32Array, count: number): Int32Array[] {
  return Array.from({ length: count }, (_, i) =>
    values.subarray(Math.floor((i * values.length) / count), Math.floor(((i + 1) * values.length) / count)),
  );
}

/**
 * For each class, shuffles its examples and hands consecutive runs to workers in proportions
 * drawn from a symmetric Dirichlet(alpha) (gammas by Marsaglia–Tsang on the seeded generator).
 *
 * Small alpha routinely leaves a worker with nothing. Because every worker must be able to
 * train, each empty part then receives one example taken from the currently largest part (ties
 * to the lowest worker index), repeated until no part is empty; this moves at most
 * `numParts − 1` examples and needs `size ≥ numParts`, which {@link partition} checks.
 */
function partitionDirichlet(ds: Dataset, numParts: number, alpha: number, seed: number): Int32Array[] {
  if (!Number.isFinite(alpha) || alpha <= 0) {
    throw new SiloError('ERR_BAD_CONFIG', `dirichlet alpha must be a positive number, got ${alpha}`);
  }
  const rng = createRng(seed);
  const parts: number[][] = Array.from({ length: numParts }, () => []);
  for (const members of indicesByClass(ds)) {
    shuffleInPlace(members, rng);
    const proportions = sampleDirichlet(rng, alpha, numParts);
    let cumulative = 0;
    let start = 0;
    for (let p = 0; p < numParts; p++) {
      cumulative += proportions[p]!;
      // The last worker takes the rest, so rounding never loses an example.
      const end =
        p === numParts - 1
          ? members.length
          : Math.min(members.length, Math.round(cumulative * members.length));
      for (let i = start; i < end; i++) parts[p]!.push(members[i]!);
      start = Math.max(start, end);
    }
  }
  for (let p = 0; p < numParts; p++) {
    if (parts[p]!.length > 0) continue;
    let largest = 0;
    for (let q = 1; q < numParts; q++) if (parts[q]!.length > parts[largest]!.length) largest = q;
    const donor = parts[largest]!;
    // Take a random example rather than the last, so the donor's class mix is not biased.
    const pick = randomInt(rng, donor.length);
    parts[p]!.push(donor[pick]!);
    donor[pick] = donor[donor.length - 1]!;
    donor.pop();
  }
  return parts.map((indices) => Int32Array.from(indices).sort());
}

function indicesByClass(ds: Dataset): Int32Array[] {
  const counts = new Int32Array(ds.numClasses);
  for (let i = 0; i < ds.size; i++) {
    const label = ds.y[i]!;
    if (!(label >= 0 && label < ds.numClasses)) {
      throw new SiloError(
        'ERR_BAD_INPUT',
        `label ${label} of example ${i} is outside 0..${ds.numClasses - 1}`,
      );
    }
    counts[label] = counts[label]! + 1;
  }
  const classes = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(ds.numClasses);
  for (let i = 0; i < ds.size; i++) {
    const label = ds.y[i]!;
    classes[label]![filled[label]!] = i;
    filled[label] = filled[label]! + 1;
  }
  return classes;
}

function identity(n: number): Int32Array {
  const values = new Int32Array(n);
  for (let i = 0; i < n; i++) values[i] = i;
  return values;
}
