import { SiloError } from '@silo/common';

/**
 * Element-wise `a - b`, as used to turn locally trained weights into an update delta.
 *
 * @param out - where the result goes, returned; default a new vector. It may be `a` or `b`
 *   itself, to spare an allocation when that vector is not needed afterwards.
 * @throws SiloError `ERR_SHAPE_MISMATCH` when the lengths differ.
 */
export function subtract(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array = new Float32Array(a.length),
): Float32Array {
  assertSameLength(a, b, 'subtract');
  assertSameLength(a, out, 'subtract into');
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) - (b[i] as number);
  return out;
}

/**
 * Element-wise `a + b`, as used to apply a delta to base weights.
 *
 * @throws SiloError `ERR_SHAPE_MISMATCH` when the lengths differ.
 */
export function add(a: Float32Array, b: Float32Array): Float32Array {
  assertSameLength(a, b, 'add');
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) + (b[i] as number);
  return out;
}

/**
 * Euclidean norm. Squares are summed in float64 because a float32 running sum over millions of
 * weights drops the small terms once it grows large, and norms drive clipping decisions.
 */
export function l2Norm(values: Float32Array): number {
  let sumOfSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    sumOfSquares += value * value;
  }
  return Math.sqrt(sumOfSquares);
}

function assertSameLength(a: Float32Array, b: Float32Array, operation: string): void {
  if (a.length !== b.length) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `cannot ${operation} vectors of lengths ${a.length} and ${b.length}`,
    );
  }
}
