/**
 * The one gradient kernel the FedAvg CNN lacks on the wasm backend of TensorFlow.js 4.22.
 *
 * `Conv2DBackpropFilter` (the gradient of a convolution with respect to its filter) is not
 * implemented for wasm, so training any model with a `conv2d` layer fails there. For stride 1 it
 * is itself a convolution, which wasm does have:
 *
 *   dW[i, j, c, o] = Σ_{n, y, x} X[n, y + i − padTop, x + j − padLeft, c] · dY[n, y, x, o]
 *
 * i.e. convolving X transposed to [C, H, W, N] (channels as batch, batch as channels) with dY
 * transposed to [outH, outW, N, O] as the filter, with the forward pass's padding, gives
 * [C, fH, fW, O]; one more transpose yields [fH, fW, C, O]. The input gradient
 * (`Conv2DBackpropInput`) already exists on wasm. Strides above 1 would need dY dilated first;
 * they are rejected with a clear error instead, since Silo's built-in models do not use them.
 */
import * as tf from '@tensorflow/tfjs';
import { SiloError } from '@silo/common';

const KERNEL = 'Conv2DBackpropFilter';

/**
 * Registers the stride-1 `Conv2DBackpropFilter` kernel for the wasm backend, unless one is
 * already registered (a later TensorFlow.js may ship its own). Idempotent; safe before the
 * wasm backend has initialised, as kernels are looked up when they run.
 */
export function registerWasmConvFilterGradient(): void {
  if (tf.getKernel(KERNEL, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: conv2dBackpropFilter });
}

function wasmKernel(name: string): tf.KernelFunc {
  const kernel = tf.getKernel(name, 'wasm') as tf.KernelConfig | undefined;
  if (!kernel) throw new SiloError('ERR_INTERNAL', `the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc;
}

function conv2dBackpropFilter(params: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { inputs, backend } = params;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = params.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dataFormat !== 'channelsLast') {
    throw new SiloError(
      'ERR_BAD_CONFIG',
      'training a conv2d layer on the wasm backend supports only stride 1 and channels-last data; ' +
        'use the tensorflow or cpu backend for this model',
    );
  }
  const transpose = wasmKernel('Transpose');
  const conv2d = wasmKernel('Conv2D');
  const call = (kernel: tf.KernelFunc, kernelInputs: tf.NamedTensorInfoMap, kernelAttrs: tf.NamedAttrMap) =>
    kernel({ inputs: kernelInputs, attrs: kernelAttrs, backend }) as tf.TensorInfo;
  const { top, bottom, left, right } = info.padInfo;
  const xT = call(transpose, { x }, { perm: [3, 1, 2, 0] });
  const dyT = call(transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  const grad = call(
    conv2d,
    { x: xT, filter: dyT },
    {
      strides: 1,
      dilations: 1,
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
  const out = call(transpose, { x: grad }, { perm: [1, 2, 0, 3] });
  // Intermediates live only in the backend (they were never wrapped as tensors), so they are
  // freed here; the engine takes ownership of `out`.
  const kernelBackend = backend as tf.KernelBackend;
  for (const temp of [xT, dyT, grad]) kernelBackend.disposeData(temp.dataId);
  return out;
}
