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
}

/** The part of the WebAssembly JavaScript API used here (the project's TypeScript libs have no DOM). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}

/**
 * The WebAssembly SIMD loop of `weighted-sum.wat`: four vectors added to a block of float64
 * sums per pass, two lanes at a time, bit for bit the scalar loop.
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
  readonly #addFour: KernelExports['addFour'];
  #taken = false;

  private constructor(exports: KernelExports) {
    const { buffer } = exports.memory;
    this.sums = new Float64Array(buffer, 0, KERNEL_BLOCK);
    this.#stages = [0, 1, 2, 3].map(
      (q) => new Float32Array(buffer, STAGE_OFFSET + q * KERNEL_BLOCK * 4, KERNEL_BLOCK),
    );
    this.#addFour = exports.addFour;
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
   * `sums[j] += a·x[start + j] + b·y[…] + c·z[…] + d·u[…]` (added in that order) for the first
   * `count − count mod 4` elements of the kernel's sums, where x…u are `vectors[k…k + 3]` and
   * a…d their weights. Returns how many elements it did; the caller adds the rest.
   *
   * Fewer than four vectors left (k + 3 past the end) are padded with zeros of weight 0, which
   * change nothing bit for bit: each missing term is +0, and `s + (+0)` is `s` for every sum but
   * −0, which a sum never is (it starts at +0, and a round-to-nearest addition gives −0 only from
   * two −0 operands).
   *
   * @throws SiloError `ERR_INTERNAL` for a count past the kernel's block.
   */
  addFour(
    count: number,
    vectors: readonly Float32Array[],
    weights: readonly number[],
    k: number,
    start: number,
  ): number {
    if (count > KERNEL_BLOCK)
      throw new SiloError('ERR_INTERNAL', `a block of ${count} is past the kernel's ${KERNEL_BLOCK}`);
    const done = count - (count % 4);
    for (let q = 0; q < 4; q++) {
      const stage = this.#stages[q] as Float32Array;
      const vector = vectors[k + q];
      if (vector === undefined) stage.fill(0, 0, done);
      else stage.set(vector.subarray(start, start + done));
    }
    this.#addFour(done, weights[k] ?? 0, weights[k + 1] ?? 0, weights[k + 2] ?? 0, weights[k + 3] ?? 0);
    return done;
  }
}
