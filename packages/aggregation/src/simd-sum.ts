import { SiloError } from '@silo/common';
import { weightedSumWasm } from './wasm/weighted-sum-wasm.js';

/** Elements of the kernel's sums array; must equal `SUM_BLOCK` (see weighted-sum.wat). */
export const KERNEL_BLOCK = 16_384;
/** Byte offset of the first staged vector in the kernel's memory (after the float64 sums). */
const STAGE_OFFSET = KERNEL_BLOCK * 8;

/** What the kernel module exports. */
interface KernelExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  readonly addFour: (n: number, a: number, b: number, c: number, d: number) => void;
  readonly addTwo: (n: number, a: number, b: number) => void;
  readonly addOne: (n: number, a: number) => void;
  readonly addMean: (n: number, total: number) => number;
}

/** The part of the WebAssembly JavaScript API used here (the project's TypeScript libs have no DOM). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}

/**
 * The WebAssembly SIMD loops of `weighted-sum.wat`: four, two or one vectors added to a block
 * of float64 sums per pass, and FedAvg's `base + sum / total` rounded to float32, two lanes at a
 * time, bit for bit the scalar loops.
 *
 * Why not the scalar loop alone: V8 compiles it to one element per iteration, about 4 GB/s of
 * update bytes here, a third of memory-copy bandwidth; the SIMD loop, with each vector's slice
 * copied into the kernel's memory first (a copy that lands in cache), runs at about twice that.
 * Nothing on npm does a float64 weighted sum of float32 vectors in wasm; tfjs's wasm backend has
 * float32 kernels only, and the sums must stay float64 for the aggregate to be exact.
 *
 * One instance per process, its memory reused by every block. A caller takes it with
 * {@link take} and gives it back with {@link release}; a nested caller (an `onBlock` that sums
 * again) finds it taken and uses the scalar loop.
 */
export class SimdSumKernel {
  static #shared: SimdSumKernel | null | undefined;
  /** The kernel's sums, {@link KERNEL_BLOCK} float64 at the start of its memory. */
  readonly sums: Float64Array;
  readonly #stages: readonly Float32Array[];
  readonly #exports: KernelExports;
  #taken = false;

  private constructor(exports: KernelExports) {
    const { buffer } = exports.memory;
    this.sums = new Float64Array(buffer, 0, KERNEL_BLOCK);
    this.#stages = [0, 1, 2, 3].map(
      (q) => new Float32Array(buffer, STAGE_OFFSET + q * KERNEL_BLOCK * 4, KERNEL_BLOCK),
    );
    this.#exports = exports;
  }

  /**
   * The process's kernel, marked taken, or `undefined` when it is already taken or this runtime
   * has no WebAssembly SIMD (the caller then uses the scalar loop).
   */
  static take(): SimdSumKernel | undefined {
    if (SimdSumKernel.#shared === undefined) SimdSumKernel.#shared = SimdSumKernel.#load();
    const kernel = SimdSumKernel.#shared ?? undefined;
    if (kernel === undefined || kernel.#taken) return undefined;
    kernel.#taken = true;
    return kernel;
  }

  static #load(): SimdSumKernel | null {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    const bytes = Buffer.from(weightedSumWasm, 'base64');
    if (wasm === undefined || !wasm.validate(bytes)) return null;
    const instance = new wasm.Instance(new wasm.Module(bytes));
    return new SimdSumKernel(instance.exports as KernelExports);
  }

  /** Gives the kernel back for the next caller. */
  release(): void {
    this.#taken = false;
  }

  /**
   * `sums[j] += a·x[start + j] + b·y[…] + …` (added in that order) over the first
   * `count − count mod 4` elements of the kernel's sums, for the one to four vectors
   * `vectors[k…k + group − 1]` with their weights. Returns how many elements it did; the caller
   * adds the rest.
   *
   * @throws SiloError `ERR_INTERNAL` for a count past the kernel's block or a vector of the group missing.
   */
  add(
    count: number,
    vectors: readonly Float32Array[],
    weights: readonly number[],
    k: number,
    group: 1 | 2 | 4,
    start: number,
  ): number {
    const done = this.#whole(count);
    for (let q = 0; q < group; q++) {
      const vector = vectors[k + q];
      if (vector === undefined) throw new SiloError('ERR_INTERNAL', `no vector ${k + q} for the kernel`);
      (this.#stages[q] as Float32Array).set(vector.subarray(start, start + done));
    }
    const w = (q: number): number => weights[k + q] as number;
    if (group === 4) this.#exports.addFour(done, w(0), w(1), w(2), w(3));
    else if (group === 2) this.#exports.addTwo(done, w(0), w(1));
    else this.#exports.addOne(done, w(0));
    return done;
  }

  /**
   * `out[start + j] = float32(base[start + j] + sums[j] / total)` over the first
   * `count − count mod 4` elements of the kernel's sums: bit for bit the scalar
   * `Math.fround(base + sum / total)`. Returns how many elements it did, and a probe that is 0
   * when every value written is finite and NaN otherwise.
   *
   * @throws SiloError `ERR_INTERNAL` for a count past the kernel's block.
   */
  mean(
    count: number,
    out: Float32Array,
    base: Float32Array,
    start: number,
    total: number,
  ): { done: number; probe: number } {
    const done = this.#whole(count);
    const [input, output] = this.#stages as [Float32Array, Float32Array];
    input.set(base.subarray(start, start + done));
    const probe = this.#exports.addMean(done, total);
    out.set(output.subarray(0, done), start);
    return { done, probe };
  }

  /** The multiple of four the kernel does of `count` elements. */
  #whole(count: number): number {
    if (count > KERNEL_BLOCK)
      throw new SiloError('ERR_INTERNAL', `a block of ${count} is past the kernel's ${KERNEL_BLOCK}`);
    return count - (count % 4);
  }
}
