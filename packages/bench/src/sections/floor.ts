import { SiloError } from '@silo/common';
import { measureGrpcLoopback, type LoopbackMode } from '../rounds/grpc-loopback.js';
import type { Figure, Section } from '../section.js';

const MIB = 1024 * 1024;
/** Bytes per copy: well past every cache, so the figure is memory bandwidth. */
const FULL_BYTES = 256 * MIB;
const QUICK_BYTES = 64 * MIB;
/** Copies per repetition, so one repetition lasts long enough for the clock to be exact. */
const PASSES = 4;
/** Bytes per gRPC message: the coordinator's default chunk size. */
const GRPC_CHUNK_BYTES = MIB;

/** GB/s (10^9 bytes) of `bytes` moved in `ms`; each byte counted once, not once read and once written. */
const gbPerS = (bytes: number, ms: number): number => bytes / (ms / 1000) / 1e9;

/**
 * What this machine can do at all: copy bandwidth, a plain JS loop over floats, and loopback
 * gRPC throughput of one large chunked stream. Later
 * sections state their throughput as a ratio to these, so a number means the same on a laptop
 * and on a server.
 */
export const floorSection: Section = {
  name: 'floor',
  description:
    'memory-copy bandwidth (Buffer.copy, Float32Array.set), a JS float loop, loopback gRPC streaming: the baselines',
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

    // One stream of `bytes` in 1 MiB messages from a grpc-js server to a client on 127.0.0.1,
    // default channel options (a 64 KiB HTTP/2 window, as Silo's own channels have). With the
    // server in a child process, as a coordinator and its workers are, each side has a thread
    // but every window update crosses processes; in one process both sides share an event loop.
    // Neither bounds the other on every machine, so both are measured; the rounds section's
    // floor takes the faster.
    ctx.fact(
      'grpc-loopback',
      `${bytes} bytes per stream in ${GRPC_CHUNK_BYTES}-byte messages; the server in a child process, or in this one (-same-process)`,
    );
    const grpcCase = (name: string, mode: LoopbackMode, ratioTo?: string): void =>
      ctx.case(
        name,
        async () => {
          const value = await measureGrpcLoopback({ mode, totalBytes: bytes, chunkBytes: GRPC_CHUNK_BYTES });
          const figure: Figure = { name: 'throughput', unit: 'GB/s', value, ...(ratioTo ? { ratioTo } : {}) };
          return [figure];
        },
        { warmup: 0 }, // each measurement warms its own connection up first
      );
    grpcCase('grpc-loopback', 'child-process');
    grpcCase('grpc-loopback-same-process', 'same-process', 'floor/grpc-loopback/throughput');
    return Promise.resolve();
  },
};
