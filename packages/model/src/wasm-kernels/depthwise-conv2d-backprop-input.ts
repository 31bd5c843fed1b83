/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend: the gradient of a depthwise
 * convolution with respect to its input, for any strides, dilations and padding (NHWC).
 *
 * With channel multiplier m, strides (sh, sw), dilations (dh, dw) and leading padding (pt, pl),
 * the forward pass is
 *
 *   Y[n, y, x, c·m + q] = Σ_{i, j} X[n, y·sh + i·dh − pt, x·sw + j·dw − pl, c] · W[i, j, c, q]
 *
 * so the input gradient is
 *
 *   dX[n, r, t, c] = Σ_q Σ_{i, j} Z[n, r + pt − i·dh, t + pl − j·dw, c·m + q] · W[i, j, c, q]
 *
 * where Z is dY with sh − 1 zero rows after each row and sw − 1 zero columns after each column
 * (Z[n, y·sh, x·sw] = dY[n, y, x], zero elsewhere and out of range). Reversing the filter,
 * i' = fH − 1 − i, turns the inner sum into a stride-1 depthwise convolution with dilations
 * (dh, dw) over Z padded before by (fH − 1)·dh − pt rows (cropped where that is negative) and
 * after so the output is H rows high, and likewise for columns:
 *
 *   T[n, r, t, c·m + q] = Σ_{i', j'} P[n, r + i'·dh, t + j'·dw, c·m + q] · W[fH−1−i', fW−1−j', c, q],
 *
 * a depthwise convolution with multiplier 1 over all C·m channels, which wasm has. Summing T,
 * as [N, H, W, C, m], over its last axis gives dX. Z itself is a zero padding: dY as
 * [N, outH, 1, outW, 1, C·m] padded after its two unit axes to sh and sw.
 */
import * as tf from '@tensorflow/tfjs';
import { type KernelArgs, expectShape, withScratch } from './scratch.js';

/** The kernel function registered as `DepthwiseConv2dNativeBackpropInput` for 'wasm'. */
export function depthwiseConv2dBackpropInput({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const filterShape = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  expectShape('DepthwiseConv2dNativeBackpropInput dy', dy, info.outShape);
  const {
    batchSize: n,
    inHeight,
    inWidth,
    inChannels: c,
    outHeight,
    outWidth,
    strideHeight,
    strideWidth,
  } = info;
  const [fH, fW, , m] = filterShape;
  const k = c * m;
  // Leading and trailing padding of the zero-interleaved dY, so that a valid convolution with
  // the dilated filter spans it exactly: H + (fH − 1)·dh rows in all.
  const spanH = (fH - 1) * info.dilationHeight;
  const spanW = (fW - 1) * info.dilationWidth;
  const before = [spanH - info.padInfo.top, spanW - info.padInfo.left] as const;
  const after = [
    inHeight + spanH - before[0] - outHeight * strideHeight,
    inWidth + spanW - before[1] - outWidth * strideWidth,
  ] as const;
  return withScratch(backend as tf.KernelBackend, (s) => {
    let z = dy;
    if (strideHeight > 1 || strideWidth > 1) {
      const spread = s.padOrCrop(s.reshape(dy, [n, outHeight, 1, outWidth, 1, k]), [
        [0, 0],
        [0, 0],
        [0, strideHeight - 1],
        [0, 0],
        [0, strideWidth - 1],
        [0, 0],
      ]);
      z = s.reshape(spread, [n, outHeight * strideHeight, outWidth * strideWidth, k]);
    }
    const padded = s.padOrCrop(z, [
      [0, 0],
      [before[0], after[0]],
      [before[1], after[1]],
      [0, 0],
    ]);
    const reversed = s.reshape(s.run('Reverse', { x: filter }, { dims: [0, 1] }), [fH, fW, k, 1]);
    const perChannel = s.run(
      'DepthwiseConv2dNative',
      { x: padded, filter: reversed },
      { strides: 1, dilations: [info.dilationHeight, info.dilationWidth], pad: 'valid' },
    );
    if (m === 1) return perChannel;
    return s.run(
      'Sum',
      { x: s.reshape(perChannel, [n, inHeight, inWidth, c, m]) },
      { axis: [4], keepDims: false },
    );
  });
}

/** Registration of {@link depthwiseConv2dBackpropInput}. */
export const depthwiseConv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dBackpropInput,
};
