import { SiloError } from '@silo/common';

/** One named tensor of a model, in the order its values appear in the flat weight vector. */
export interface TensorSpec {
  name: string;
  shape: number[];
}

/**
 * The shapes of a model's tensors, in order. A flat `Float32Array` of weights is the
 * concatenation of every tensor's values in this order (row-major within a tensor).
 */
export type Layout = TensorSpec[];

/**
 * Total element count of a layout.
 *
 * Layouts arrive from config files and peers, so every dimension is checked: a negative or
 * fractional dimension would otherwise yield a size that silently misreads the weights.
 *
 * @throws SiloError `ERR_BAD_INPUT` when a dimension is not a non-negative integer or the
 *   total exceeds `Number.MAX_SAFE_INTEGER`.
 */
export function layoutSize(layout: Layout): number {
  if (!Array.isArray(layout)) throw new SiloError('ERR_BAD_INPUT', 'layout must be an array of tensor specs');
  let total = 0;
  layout.forEach((spec, index) => {
    total += tensorSize(spec, index);
    if (!Number.isSafeInteger(total)) {
      throw new SiloError(
        'ERR_BAD_INPUT',
        `layout is too large: more than ${Number.MAX_SAFE_INTEGER} elements`,
      );
    }
  });
  return total;
}

function tensorSize(spec: TensorSpec, index: number): number {
  const label = typeof spec?.name === 'string' ? `tensor '${spec.name}'` : `tensor #${index}`;
  if (typeof spec?.name !== 'string') {
    throw new SiloError('ERR_BAD_INPUT', `${label} has no name`);
  }
  if (!Array.isArray(spec.shape)) {
    throw new SiloError('ERR_BAD_INPUT', `${label} has no shape array`);
  }
  // An empty shape is a scalar: one element.
  let size = 1;
  spec.shape.forEach((dim: unknown, axis) => {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new SiloError(
        'ERR_BAD_INPUT',
        `${label} has dimension ${String(dim)} at axis ${axis}; dimensions must be non-negative integers`,
      );
    }
    size *= dim;
  });
  if (!Number.isSafeInteger(size)) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `${label} is too large: more than ${Number.MAX_SAFE_INTEGER} elements`,
    );
  }
  return size;
}
