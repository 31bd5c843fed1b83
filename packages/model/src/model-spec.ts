import { createHash } from 'node:crypto';
import { SiloError } from '@silo/common';

/**
 * Which model to train.
 *
 * - `builtin` `mlp`: the FedAvg paper's 2NN (two hidden layers of 200, ReLU).
 * - `builtin` `cnn`: the FedAvg paper's CNN (5×5 conv 32, pool, 5×5 conv 64, pool, dense 512).
 *   Both take flat input rows; `inputShape` (default `[784]` resp. `[28, 28, 1]`) is the shape
 *   of one example, and `numClasses` (default 10) the width of the softmax output.
 * - `topology`: any Keras-format model, as the `modelTopology` part of a TensorFlow.js
 *   `model.json`.
 */
export type ModelSpec =
  | { kind: 'builtin'; name: 'mlp' | 'cnn'; inputShape?: number[]; numClasses?: number }
  | { kind: 'topology'; topology: object };

/** A built-in spec with every default filled in. */
export interface ResolvedBuiltin {
  kind: 'builtin';
  name: 'mlp' | 'cnn';
  inputShape: number[];
  numClasses: number;
}

const DEFAULT_INPUT_SHAPE = { mlp: [784], cnn: [28, 28, 1] } as const;
const DEFAULT_NUM_CLASSES = 10;

/**
 * Parses a model spec from configuration: the strings `'mlp'` / `'cnn'`, or an object of the
 * {@link ModelSpec} shapes.
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming what is wrong.
 */
export function parseModelSpec(value: unknown): ModelSpec {
  if (value === 'mlp' || value === 'cnn') return { kind: 'builtin', name: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(
      `a model must be 'mlp', 'cnn' or an object with kind 'builtin' or 'topology', got ${describe(value)}`,
    );
  }
  const record = value as Record<string, unknown>;
  if (record.kind === 'topology') {
    const topology = record.topology;
    if (typeof topology !== 'object' || topology === null || Array.isArray(topology)) {
      throw bad('a topology model needs a "topology" object (the modelTopology of a model.json)');
    }
    return { kind: 'topology', topology };
  }
  if (record.kind !== 'builtin')
    throw bad(`unknown model kind ${describe(record.kind)}; use 'builtin' or 'topology'`);
  const { name, inputShape, numClasses } = record;
  if (name !== 'mlp' && name !== 'cnn')
    throw bad(`unknown built-in model ${describe(name)}; use 'mlp' or 'cnn'`);
  const spec: ModelSpec = { kind: 'builtin', name };
  if (inputShape !== undefined) {
    if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every(isPositiveInteger)) {
      throw bad(`inputShape must be a list of positive integers, got ${describe(inputShape)}`);
    }
    spec.inputShape = [...inputShape];
  }
  if (numClasses !== undefined) {
    if (!isPositiveInteger(numClasses) || numClasses < 2)
      throw bad(`numClasses must be an integer ≥ 2, got ${describe(numClasses)}`);
    spec.numClasses = numClasses;
  }
  if (name === 'cnn') cnnImageShape(spec.inputShape ?? [...DEFAULT_INPUT_SHAPE.cnn]);
  return spec;
}

/** `spec` with defaults filled in, so equal models have equal descriptions. */
export function resolveBuiltin(spec: Extract<ModelSpec, { kind: 'builtin' }>): ResolvedBuiltin {
  return {
    kind: 'builtin',
    name: spec.name,
    inputShape: [...(spec.inputShape ?? DEFAULT_INPUT_SHAPE[spec.name])],
    numClasses: spec.numClasses ?? DEFAULT_NUM_CLASSES,
  };
}

/**
 * The `[height, width, channels]` image the CNN reshapes each flat row into: `[h, w, c]` as is,
 * `[h, w]` as one channel, and a flat `[n]` as a square one-channel image when n is a square.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for any other shape.
 */
export function cnnImageShape(inputShape: readonly number[]): [number, number, number] {
  const [a, b, c] = inputShape;
  if (inputShape.length === 3) return [a!, b!, c!];
  if (inputShape.length === 2) return [a!, b!, 1];
  const side = Math.round(Math.sqrt(a ?? 0));
  if (inputShape.length === 1 && side * side === a) return [side, side, 1];
  throw bad(
    `the cnn needs an image inputShape [h, w, c], [h, w] or a square [n], got [${inputShape.join(', ')}]`,
  );
}

/**
 * SHA-256 (hex) of the canonical JSON of `spec` — keys sorted, no whitespace, built-in defaults
 * filled in — so the coordinator and workers can check they train the same architecture.
 *
 * @throws SiloError `ERR_BAD_CONFIG` when `spec` does not parse.
 */
export function modelSpecDigest(spec: ModelSpec): string {
  const parsed = parseModelSpec(spec);
  const normal = parsed.kind === 'builtin' ? resolveBuiltin(parsed) : parsed;
  return createHash('sha256').update(canonicalJson(normal)).digest('hex');
}

/** JSON with object keys sorted at every level; `undefined` members are dropped like JSON.stringify. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  const text = JSON.stringify(value);
  if (text === undefined) throw bad(`a model spec cannot contain ${typeof value} values`);
  return text;
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : (JSON.stringify(value) ?? typeof value);
}

function bad(message: string): SiloError {
  return new SiloError('ERR_BAD_CONFIG', message);
}
