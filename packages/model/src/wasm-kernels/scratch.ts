/**
 * Plumbing shared by Silo's wasm kernels: each is a short program of kernels the wasm backend
 * already has, run directly on the backend (below the engine, so no tensors are made and the
 * gradient tape never sees them). Their intermediate outputs are backend buffers that nothing
 * else would free; {@link withScratch} frees them.
 */
import * as tf from '@tensorflow/tfjs';
import { SiloError } from '@silo/common';

/** What the engine passes a kernel function. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** A kernel's padding along one axis: `[before, after]`; negative amounts remove elements. */
export type Margin = readonly [number, number];

/** Runs wasm kernels inside another kernel, remembering every output so it can be freed. */
export class Scratch {
  readonly #backend: tf.KernelBackend;
  readonly #temps: tf.TensorInfo[] = [];

  constructor(backend: tf.KernelBackend) {
    this.#backend = backend;
  }

  /** Runs the wasm kernel `name`; its single output is freed when the scratch is released. */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const out = wasmKernel(name)({ inputs, attrs, backend: this.#backend });
    if (Array.isArray(out)) {
      for (const o of out) this.#backend.disposeData(o.dataId);
      throw new SiloError('ERR_INTERNAL', `the wasm ${name} kernel returned ${out.length} outputs, not one`);
    }
    this.#temps.push(out);
    return out;
  }

  /** Adopts a buffer made directly on the backend, so it is freed with the rest. */
  adopt(info: tf.TensorInfo): tf.TensorInfo {
    this.#temps.push(info);
    return info;
  }

  reshape(x: tf.TensorInfo, shape: readonly number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape: [...shape] });
  }

  transpose(x: tf.TensorInfo, perm: readonly number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm: [...perm] });
  }

  /**
   * `x` with `margins[axis]` zeros added before and after each axis, or elements removed where
   * an amount is negative (removal first, then zero padding). Returns `x` itself when every
   * margin is zero.
   */
  padOrCrop(x: tf.TensorInfo, margins: readonly Margin[]): tf.TensorInfo {
    let out = x;
    if (margins.some(([before, after]) => before < 0 || after < 0)) {
      const begin = margins.map(([before]) => Math.max(0, -before));
      const size = margins.map(
        ([before, after], axis) => x.shape[axis]! - Math.max(0, -before) - Math.max(0, -after),
      );
      if (size.some((s) => s <= 0)) {
        throw new SiloError(
          'ERR_SHAPE_MISMATCH',
          `cannot crop [${x.shape.join(', ')}] to [${size.join(', ')}]`,
        );
      }
      out = this.run('Slice', { x: out }, { begin, size });
    }
    if (margins.some(([before, after]) => before > 0 || after > 0)) {
      const paddings = margins.map(([before, after]) => [Math.max(0, before), Math.max(0, after)]);
      out = this.run('PadV2', { x: out }, { paddings, constantValue: 0 });
    }
    return out;
  }

  /** Frees every intermediate except `result`, which the caller hands on. */
  release(result?: tf.TensorInfo): void {
    for (const temp of this.#temps) if (temp !== result) this.#backend.disposeData(temp.dataId);
    this.#temps.length = 0;
  }
}

/**
 * Runs `body` with a fresh {@link Scratch} and returns its result, having freed every other
 * buffer the body made — also when it throws. `body` must return a buffer it made through the
 * scratch, never one of the kernel's inputs (the engine would then free that input twice).
 */
export function withScratch(
  backend: tf.KernelBackend,
  body: (scratch: Scratch) => tf.TensorInfo,
): tf.TensorInfo {
  const scratch = new Scratch(backend);
  let result: tf.TensorInfo | undefined;
  try {
    result = body(scratch);
    return result;
  } finally {
    scratch.release(result);
  }
}

/** The wasm backend's own implementation of kernel `name`. */
export function wasmKernel(name: string): tf.KernelFunc {
  const kernel = tf.getKernel(name, 'wasm') as tf.KernelConfig | undefined;
  if (!kernel) throw new SiloError('ERR_INTERNAL', `the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc;
}

/**
 * How far the input must be padded after its end (negative: how much of its end is never read)
 * so that a convolution with `taps` taps spaced `dilation` apart, `outSize` outputs spaced
 * `stride` apart and `padBefore` leading padding reads exactly up to its last element:
 * the window spans `(taps − 1)·dilation + (outSize − 1)·stride + 1` padded positions.
 */
export function trailingPad(
  inSize: number,
  padBefore: number,
  taps: number,
  dilation: number,
  outSize: number,
  stride: number,
): number {
  return (taps - 1) * dilation + (outSize - 1) * stride + 1 - padBefore - inSize;
}

/** Fails unless `info` has `shape`: a kernel given a mismatched gradient would return garbage. */
export function expectShape(what: string, info: tf.TensorInfo, shape: readonly number[]): void {
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `${what} has shape [${info.shape.join(', ')}], expected [${shape.join(', ')}]`,
    );
  }
}
