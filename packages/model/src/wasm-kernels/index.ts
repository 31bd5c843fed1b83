/**
 * The kernels that training needs and the wasm backend of TensorFlow.js 4.22 lacks, each built
 * from kernels wasm does have (see the file of each for its arithmetic). With them, models made
 * of dense, conv2d, depthwise/separable conv2d, pooling, batch-normalization and embedding
 * layers train on wasm. Found by training such models there and by listing the kernels the cpu
 * backend registers and wasm does not; the others missing (complex numbers, FFT, ragged
 * tensors, Einsum, string ops, Draw) no layer's training uses.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { depthwiseConv2dBackpropFilterConfig } from './depthwise-conv2d-backprop-filter.js';
import { depthwiseConv2dBackpropInputConfig } from './depthwise-conv2d-backprop-input.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

/** Every kernel Silo may register for wasm, by kernel name. */
const KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  depthwiseConv2dBackpropFilterConfig,
  depthwiseConv2dBackpropInputConfig,
  unsortedSegmentSumConfig,
];

/** Names of the kernels {@link registerWasmTrainingKernels} provides when wasm lacks them. */
export const WASM_TRAINING_KERNELS: readonly string[] = KERNELS.map((k) => k.kernelName);

/**
 * Registers, for the wasm backend, each training kernel it lacks (`Conv2DBackpropFilter`,
 * `DepthwiseConv2dNativeBackpropFilter`, `DepthwiseConv2dNativeBackpropInput`,
 * `UnsortedSegmentSum`), leaving alone any a TensorFlow.js version already ships. Returns the
 * names it registered now. Idempotent; safe before the wasm backend has initialised, as kernels
 * are looked up when they run.
 */
export function registerWasmTrainingKernels(): string[] {
  const registered: string[] = [];
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}

/**
 * The former name of {@link registerWasmTrainingKernels}, which registers the convolution
 * filter gradient among the others.
 *
 * @deprecated Use {@link registerWasmTrainingKernels}.
 */
export function registerWasmConvFilterGradient(): void {
  registerWasmTrainingKernels();
}
