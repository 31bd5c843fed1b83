import { SiloError } from '@silo/common';
import { assertFinite, fromCanonicalBytes, toCanonicalBytes } from '@silo/tensors';

/**
 * What a stateful strategy (FedAvgM, FedAdam, FedYogi, FedAdagrad) carries from one round to the
 * next: the server optimizer's vectors, each as long as the model. A round returns the state the
 * next round must be given; round 1 starts from none.
 */
export interface StrategyState {
  /** Name of the strategy that produced it; another strategy refuses it. */
  readonly strategy: string;
  /**
   * The vectors, in the order the strategy defines: FedAvgM `[velocity]`; FedAdam, FedYogi and
   * FedAdagrad `[m, v]` (first and second moment).
   */
  readonly vectors: readonly Float32Array[];
}

/** "SLS1": Silo strategy state, format 1. */
const MAGIC = [0x53, 0x4c, 0x53, 0x31] as const;
const NAME_BYTES = 12;
/** Magic, name, vector count, vector length: 24 bytes, so the floats start 8-byte aligned. */
const HEADER_BYTES = MAGIC.length + NAME_BYTES + 4 + 4;
const NAME_PATTERN = /^[a-z][a-z0-9-]{0,11}$/;

/**
 * The canonical bytes of a state, which the coordinator stores as a blob and whose digest it
 * logs so an auditor can recompute the next round:
 *
 * ```
 * offset  0  4 bytes   "SLS1"
 * offset  4  12 bytes  strategy name, ASCII, NUL-padded
 * offset 16  u32 LE    vector count k
 * offset 20  u32 LE    vector length P
 * offset 24  k·P float32 LE, the vectors one after another
 * ```
 *
 * @throws SiloError `ERR_BAD_INPUT` for a name that is not 1–12 of `[a-z0-9-]`, no vectors, or
 *   non-finite values; `ERR_SHAPE_MISMATCH` for vectors of different lengths.
 */
export function encodeState(state: StrategyState): Uint8Array {
  const { strategy, vectors } = state;
  if (!NAME_PATTERN.test(strategy)) {
    throw new SiloError('ERR_BAD_INPUT', `state names strategy '${strategy}'; expected 1-12 of [a-z0-9-]`);
  }
  const length = checkVectors(vectors, strategy);
  const out = new Uint8Array(HEADER_BYTES + vectors.length * length * 4);
  out.set(MAGIC, 0);
  for (let i = 0; i < strategy.length; i++) out[MAGIC.length + i] = strategy.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(16, vectors.length, true);
  view.setUint32(20, length, true);
  vectors.forEach((vector, k) => out.set(toCanonicalBytes(vector), HEADER_BYTES + k * length * 4));
  return out;
}

/**
 * Reads bytes written by {@link encodeState}. The vectors are copies: they do not alias `bytes`.
 *
 * @param length - the model's parameter count; every vector must have it.
 * @throws SiloError `ERR_BAD_INPUT` for bytes that are not a state (wrong magic, bad name, no
 *   vectors, non-finite values); `ERR_SHAPE_MISMATCH` when the vectors are not `length` long or
 *   the byte count does not match the header.
 */
export function decodeState(bytes: Uint8Array, length: number): StrategyState {
  if (bytes.byteLength < HEADER_BYTES || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new SiloError('ERR_BAD_INPUT', 'not a strategy state: it does not start with "SLS1"');
  }
  const nameBytes = bytes.subarray(MAGIC.length, MAGIC.length + NAME_BYTES);
  const end = nameBytes.indexOf(0);
  const strategy = String.fromCharCode(...nameBytes.subarray(0, end === -1 ? NAME_BYTES : end));
  if (!NAME_PATTERN.test(strategy) || nameBytes.subarray(strategy.length).some((b) => b !== 0)) {
    throw new SiloError('ERR_BAD_INPUT', 'strategy state has a malformed strategy name');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(16, true);
  const stored = view.getUint32(20, true);
  if (count === 0) throw new SiloError('ERR_BAD_INPUT', `${strategy} state holds no vectors`);
  if (stored !== length) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `${strategy} state holds vectors of ${stored} values; the model has ${length}`,
    );
  }
  const expected = HEADER_BYTES + count * length * 4;
  if (bytes.byteLength !== expected) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `${strategy} state is ${bytes.byteLength} bytes; ${count} vectors of ${length} values take ${expected}`,
    );
  }
  const vectors = Array.from({ length: count }, (_, k) => {
    const start = HEADER_BYTES + k * length * 4;
    // slice() copies into a fresh, aligned buffer, so the vector owns its memory.
    const vector = fromCanonicalBytes(bytes.slice(start, start + length * 4), length);
    assertFinite(vector, `${strategy} state vector ${k}`);
    return vector;
  });
  return { strategy, vectors };
}

/**
 * The vectors of the state a stateful strategy was handed, checked, or `undefined` in round 1.
 *
 * @throws SiloError `ERR_BAD_INPUT` for a state of another strategy, the wrong vector count, or
 *   non-finite values; `ERR_SHAPE_MISMATCH` for vectors not `length` long.
 */
export function stateVectors(
  state: StrategyState | undefined,
  strategy: string,
  count: number,
  length: number,
): readonly Float32Array[] | undefined {
  if (state === undefined) return undefined;
  if (state.strategy !== strategy) {
    throw new SiloError('ERR_BAD_INPUT', `${strategy} was given the state of ${state.strategy}`);
  }
  if (state.vectors.length !== count) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `${strategy} state must hold ${count} vectors, not ${state.vectors.length}`,
    );
  }
  for (const [k, vector] of state.vectors.entries()) {
    if (vector.length !== length) {
      throw new SiloError(
        'ERR_SHAPE_MISMATCH',
        `${strategy} state vector ${k} has ${vector.length} values; the model has ${length}`,
      );
    }
    assertFinite(vector, `${strategy} state vector ${k}`);
  }
  return state.vectors;
}

/**
 * Refuses a state handed to a strategy that keeps none: it means the caller mixed up runs or
 * strategies, and ignoring it would hide that.
 *
 * @throws SiloError `ERR_BAD_INPUT` when `state` is defined.
 */
export function refuseState(strategy: string, state: StrategyState | undefined): void {
  if (state !== undefined) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `${strategy} keeps no state across rounds, but was given a state of ${state.strategy}`,
    );
  }
}

function checkVectors(vectors: readonly Float32Array[], strategy: string): number {
  const first = vectors[0];
  if (first === undefined) throw new SiloError('ERR_BAD_INPUT', `${strategy} state holds no vectors`);
  for (const [k, vector] of vectors.entries()) {
    if (vector.length !== first.length) {
      throw new SiloError(
        'ERR_SHAPE_MISMATCH',
        `${strategy} state vector ${k} has ${vector.length} values; vector 0 has ${first.length}`,
      );
    }
    assertFinite(vector, `${strategy} state vector ${k}`);
  }
  return first.length;
}
