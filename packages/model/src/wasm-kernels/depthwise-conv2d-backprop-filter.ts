/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend: the gradient of a depthwise
 * convolution with respect to its filter, for any strides, dilations and padding (NHWC, the
 * only layout depthwise convolutions have in TensorFlow.js).
 *
 * With channel multiplier m, strides (sh, sw), dilations (dh, dw) and leading padding (pt, pl),
 * the forward pass is
 *
 *   Y[n, y, x, c·m + q] = Σ_{i, j} X[n, y·sh + i·dh − pt, x·sw + j·dw − pl, c] · W[i, j, c, q]
 *
 * so the filter gradient is
 *
 *   dW[i, j, c, q] = Σ_n Σ_{y, x} X[n, i·dh + y·sh − pt, j·dw + x·sw − pl, c] · dY[n, y, x, c·m + q].
 *
 * For each pair (c, n) the inner sum is a one-channel convolution of X[n, :, :, c] with
 * dY[n, :, :, c·m + q] as the filter, so all of them together are one depthwise convolution,
 * which wasm has: the input X transposed to [1, H, W, C·N] (channel k = c·N + n), the filter dY
 * rearranged to [outH, outW, C·N, m], the forward dilation as its stride and the forward stride
 * as its dilation, the same leading padding and a trailing padding (or crop) that makes its
 * output exactly [1, fH, fW, C·N·m]. Summing that, as [fH, fW, C, N, m], over N gives dW.
 */
import * as tf from '@tensorflow/tfjs';
import { type KernelArgs, expectShape, trailingPad, withScratch } from './scratch.js';

/** The kernel function registered as `DepthwiseConv2dNativeBackpropFilter` for 'wasm'. */
export function depthwiseConv2dBackpropFilter({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  expectShape('DepthwiseConv2dNativeBackpropFilter dy', dy, info.outShape);
  const { batchSize: n, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const [fH, fW, , m] = filterShape;
  const { top, left } = info.padInfo;
  const bottom = trailingPad(inHeight, top, fH, info.dilationHeight, outHeight, info.strideHeight);
  const right = trailingPad(inWidth, left, fW, info.dilationWidth, outWidth, info.strideWidth);
  return withScratch(backend as tf.KernelBackend, (s) => {
    const xT = s.reshape(s.transpose(x, [1, 2, 3, 0]), [1, inHeight, inWidth, c * n]);
    const dy5 = s.reshape(dy, [n, outHeight, outWidth, c, m]);
    const filter = s.reshape(s.transpose(dy5, [1, 2, 3, 0, 4]), [outHeight, outWidth, c * n, m]);
    const input = s.padOrCrop(xT, [
      [0, 0],
      [0, Math.min(0, bottom)],
      [0, Math.min(0, right)],
      [0, 0],
    ]);
    const perPair = s.run(
      'DepthwiseConv2dNative',
      { x: input, filter },
      {
        strides: [info.dilationHeight, info.dilationWidth],
        dilations: [info.strideHeight, info.strideWidth],
        pad: [
          [0, 0],
          [top, Math.max(0, bottom)],
          [left, Math.max(0, right)],
          [0, 0],
        ],
      },
    );
    return s.run('Sum', { x: s.reshape(perPair, [fH, fW, c, n, m]) }, { axis: [3], keepDims: false });
  });
}

/** Registration of {@link depthwiseConv2dBackpropFilter}. */
export const depthwiseConv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dBackpropFilter,
};
