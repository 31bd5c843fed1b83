import { SiloError } from '@silo/common';

const BYTES_PER_FLOAT = 4;

/** True on little-endian hosts (all mainstream ones), where typed arrays already hold canonical bytes. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The canonical wire and digest form of weights: IEEE-754 float32, little-endian, no header.
 *
 * On little-endian hosts this is a zero-copy view of `values`' memory, so it changes if
 * `values` changes; copy it (`.slice()`) before mutating the weights if the bytes must stay.
 */
export function toCanonicalBytes(values: Float32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return encodeFloat32LE(values);
}

/**
 * Reads canonical bytes (float32 little-endian) back into weights.
 *
 * The result is always a correctly aligned `Float32Array`: a zero-copy view when the input
 * starts on a 4-byte boundary of its buffer (so it aliases `bytes`), otherwise a copy, because
 * a `Float32Array` cannot start at an unaligned offset. Values are kept exactly as sent,
 * NaN and Infinity included; call {@link assertFinite} where they are not acceptable.
 *
 * @param expectedLength - element count the caller expects (for example from the layout).
 * @throws SiloError `ERR_SHAPE_MISMATCH` when the byte length is not a multiple of 4 or the
 *   element count differs from `expectedLength`.
 */
export function fromCanonicalBytes(bytes: Uint8Array, expectedLength?: number): Float32Array {
  if (bytes.byteLength % BYTES_PER_FLOAT !== 0) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `weights are ${bytes.byteLength} bytes, which is not a whole number of float32 values`,
    );
  }
  const length = bytes.byteLength / BYTES_PER_FLOAT;
  if (expectedLength !== undefined && length !== expectedLength) {
    throw new SiloError('ERR_SHAPE_MISMATCH', `expected ${expectedLength} float32 values, got ${length}`);
  }
  if (!HOST_IS_LITTLE_ENDIAN) return decodeFloat32LE(bytes);
  if (bytes.byteOffset % BYTES_PER_FLOAT === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset, length);
  return new Float32Array(bytes.slice().buffer);
}

/**
 * Rejects NaN and ±Infinity, which would poison every aggregate they are averaged into.
 *
 * @param what - what the values are, for the message (e.g. `'update from worker abc'`).
 * @throws SiloError `ERR_BAD_INPUT` naming the first bad index.
 */
export function assertFinite(values: Float32Array, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (!Number.isFinite(value)) {
      throw new SiloError('ERR_BAD_INPUT', `${what}[${i}] is ${value}; every value must be finite`);
    }
  }
}

/**
 * Byte-order-independent encoder. Used on big-endian hosts; exported from this module (not
 * the package) so tests on little-endian machines can check it against the fast path.
 */
export function encodeFloat32LE(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * BYTES_PER_FLOAT);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * BYTES_PER_FLOAT, values[i] as number, true);
  return out;
}

/** Byte-order-independent decoder; the counterpart of {@link encodeFloat32LE}. */
export function decodeFloat32LE(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(Math.floor(bytes.byteLength / BYTES_PER_FLOAT));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * BYTES_PER_FLOAT, true);
  return out;
}
