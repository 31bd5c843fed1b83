import { SiloError } from '@silo/common';
import type { Figure, Section } from '../section.js';

const MIB = 1024 * 1024;
/** Bytes per copy: well past every cache, so the figure is memory bandwidth. */
const FULL_BYTES = 256 * MIB;
const QUICK_BYTES = 64 * MIB;
/** Copies per repetition, so one repetition lasts long enough for the clock to be exact. */
const PASSES = 4;

/** GB/s (10^9 bytes) of `bytes` moved in `ms`; each byte counted once, not once read and once written. */
const gbPerS = (bytes: number, ms: number): number => bytes / (ms / 1000) / 1e9;

/**
 * What this machine can do at all: copy bandwidth and a plain JS loop over floats. Later
 * sections state their throughput as a ratio to these, so a number means the same on a laptop
 * and on a server.
 */
export const floorSection: Section = {
  name: 'floor',
  description: 'memory-copy bandwidth (Buffer.copy, Float32Array.set) and a JS float loop: the baselines',
  define(ctx) {
    const bytes = ctx.quick ? QUICK_BYTES : FULL_BYTES;
    // Two vectors, each seen both as floats and as a Buffer: one allocation serves every case.
    let src: Float32Array | undefined = new Float32Array(bytes / 4).fill(1.5);
    let dst: Float32Array | undefined = new Float32Array(bytes / 4).fill(0.5);
    const vectors = (): [Float32Array, Float32Array] => {
      if (src === undefined || dst === undefined)
        throw new SiloError('ERR_INTERNAL', 'floor vectors used after teardown');
      return [src, dst];
    };
    ctx.fact('bytes-per-copy', bytes);
    ctx.teardown(() => {
      src = dst = undefined; // let the 2 x 256 MiB go before the next section
      return Promise.resolve();
    });

    ctx.case('buffer-copy', () => {
      const [s, d] = vectors();
      const from = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
      const to = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
      const start = performance.now();
      for (let p = 0; p < PASSES; p++) from.copy(to);
      const ms = performance.now() - start;
      return Promise.resolve([{ name: 'bandwidth', unit: 'GB/s', value: gbPerS(bytes * PASSES, ms) }]);
    });

    ctx.case('float32-set', () => {
      const [s, d] = vectors();
      const start = performance.now();
      for (let p = 0; p < PASSES; p++) d.set(s);
      const ms = performance.now() - start;
      const figure: Figure = {
        name: 'bandwidth',
        unit: 'GB/s',
        value: gbPerS(bytes * PASSES, ms),
        ratioTo: 'floor/buffer-copy/bandwidth',
      };
      return Promise.resolve([figure]);
    });

    // y += a * x over the whole vector: the inner loop of FedAvg, as plain JS can run it.
    ctx.case('float32-axpy', () => {
      const [x, y] = vectors();
      const a = 0.25;
      const n = x.length;
      const start = performance.now();
      for (let i = 0; i < n; i++) y[i] = (y[i] as number) + a * (x[i] as number);
      const ms = performance.now() - start;
      y.fill(0.5); // keep values bounded across repetitions
      return Promise.resolve([
        { name: 'throughput', unit: 'Mfloat/s', value: n / (ms / 1000) / 1e6 },
        // Bytes of one vector per second (the loop reads two and writes one).
        { name: 'vector-bandwidth', unit: 'GB/s', value: gbPerS(n * 4, ms) },
      ]);
    });
    return Promise.resolve();
  },
};
