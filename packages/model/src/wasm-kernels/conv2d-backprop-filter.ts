/**
 * `Conv2DBackpropFilter` for the wasm backend: the gradient of a 2-D convolution with respect to
 * its filter, for any strides, dilations and padding ('same', 'valid', explicit), NHWC or NCHW.
 *
 * With strides (sh, sw), dilations (dh, dw) and leading padding (pt, pl), the forward pass is
 *
 *   Y[n, y, x, o] = Σ_{i, j, c} X[n, y·sh + i·dh − pt, x·sw + j·dw − pl, c] · W[i, j, c, o]
 *
 * so the filter gradient is
 *
 *   dW[i, j, c, o] = Σ_{n, y, x} X[n, i·dh + y·sh − pt, j·dw + x·sw − pl, c] · dY[n, y, x, o].
 *
 * Read with c as the batch, (i, j) as output pixels, (y, x) as filter taps and n as the input
 * channel, that is itself a convolution, which wasm has: the input X transposed to [C, H, W, N],
 * the filter dY transposed to [outH, outW, N, O], the forward dilation as its stride and the
 * forward stride as its dilation, the same leading padding, and a trailing padding that makes
 * its output exactly [C, fH, fW, O] — negative when the forward pass never read the last rows or
 * columns, which are then cropped. One transpose gives [fH, fW, C, O].
 *
 * TensorFlow.js 4.22 never passes dilations here (its conv2d gradient refuses them on every
 * backend, and the kernel's attributes have none); an optional `dilations` attribute is honoured
 * all the same, so a later version that does pass it gets the right answer.
 */
import * as tf from '@tensorflow/tfjs';
import { type KernelArgs, expectShape, trailingPad, withScratch } from './scratch.js';

/** The kernel's attributes, plus the dilations a later TensorFlow.js may add. */
type Attrs = tf.Conv2DBackpropFilterAttrs & { dilations?: [number, number] | number };

/** The kernel function registered as `Conv2DBackpropFilter` for 'wasm'. */
export function conv2dBackpropFilter({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape, dilations = 1 } = attrs as unknown as Attrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  expectShape('Conv2DBackpropFilter dy', dy, info.outShape);
  const channelsLast = info.dataFormat === 'channelsLast';
  const { top, left } = info.padInfo;
  const bottom = trailingPad(
    info.inHeight,
    top,
    info.filterHeight,
    info.dilationHeight,
    info.outHeight,
    info.strideHeight,
  );
  const right = trailingPad(
    info.inWidth,
    left,
    info.filterWidth,
    info.dilationWidth,
    info.outWidth,
    info.strideWidth,
  );
  return withScratch(backend as tf.KernelBackend, (s) => {
    // Channels as the batch and the batch as channels: [C, H, W, N], and [outH, outW, N, O].
    const xT = s.transpose(x, channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0]);
    const dyT = s.transpose(dy, channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1]);
    // Rows and columns the forward pass never read are cropped; the conv pads the rest.
    const input = s.padOrCrop(xT, [
      [0, 0],
      [0, Math.min(0, bottom)],
      [0, Math.min(0, right)],
      [0, 0],
    ]);
    const grad = s.run(
      'Conv2D',
      { x: input, filter: dyT },
      {
        strides: [info.dilationHeight, info.dilationWidth],
        dilations: [info.strideHeight, info.strideWidth],
        pad: [
          [0, 0],
          [top, Math.max(0, bottom)],
          [left, Math.max(0, right)],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    return s.transpose(grad, [1, 2, 0, 3]);
  });
}

/** Registration of {@link conv2dBackpropFilter}. */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
