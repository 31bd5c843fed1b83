/**
 * `UnsortedSegmentSum` for the wasm backend, which the gradient of `gather` (and so of every
 * embedding layer) needs:
 *
 *   out[s, …] = Σ_{i : ids[i] = s} x[i, …]        for s in 0 … numSegments − 1,
 *
 * ids outside that range contributing nowhere, as on the cpu backend. It is a scatter-add of the
 * rows of x to the rows named by ids, i.e. `ScatterNd` with ids as [n, 1] indices, which wasm
 * has and which, as TensorFlow defines it, sums the updates of repeated indices. ScatterNd has no
 * notion of a row to drop, so ids out of range (read from the backend, which for wasm is a copy
 * out of its heap) are sent to one extra row that is sliced off again. Work is O(size of x),
 * where the cpu backend's kernel takes O(numSegments · size of x).
 *
 * Only one-dimensional ids, one per row of x, are taken: that is what the gather gradient and
 * `tf.unsortedSegmentSum` document.
 */
import type * as tf from '@tensorflow/tfjs';
import { SiloError } from '@silo/common';
import { type KernelArgs, withScratch } from './scratch.js';

/** The kernel function registered as `UnsortedSegmentSum` for 'wasm'. */
export function unsortedSegmentSum({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const [rows, ...rest] = x.shape;
  if (rows === undefined || segmentIds.shape.length !== 1 || segmentIds.shape[0] !== rows) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `UnsortedSegmentSum on wasm takes one segment id per row of x ([${x.shape.join(', ')}]), ` +
        `got ids of shape [${segmentIds.shape.join(', ')}]`,
    );
  }
  const kernelBackend = backend as tf.KernelBackend;
  return withScratch(kernelBackend, (s) => {
    if (rows === 0) {
      return s.run('Fill', {}, { shape: [numSegments, ...rest], value: 0, dtype: x.dtype });
    }
    const ids = kernelBackend.readSync(segmentIds.dataId) as Int32Array;
    const inRange = ids.every((id) => id >= 0 && id < numSegments);
    const indices = inRange
      ? s.reshape(segmentIds, [rows, 1])
      : s.adopt({
          dataId: kernelBackend.write(
            ids.map((id) => (id >= 0 && id < numSegments ? id : numSegments)),
            [rows, 1],
            'int32',
          ),
          shape: [rows, 1],
          dtype: 'int32',
        });
    const outRows = inRange ? numSegments : numSegments + 1;
    const sums = s.run('ScatterNd', { indices, updates: x }, { shape: [outRows, ...rest] });
    if (inRange) return sums;
    return s.run('Slice', { x: sums }, { begin: sums.shape.map(() => 0), size: [numSegments, ...rest] });
  });
}

/** Registration of {@link unsortedSegmentSum}. */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
