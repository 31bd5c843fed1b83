import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { SiloError } from '@silo/common';
import { writeWithBackpressure } from '@silo/protocol';

/**
 * Loopback gRPC throughput of one large server-streaming call, as the coordinator streams a
 * model to a worker: a grpc-js server and client on 127.0.0.1, messages of raw bytes (identity
 * serialization, so protobuf encoding is not part of the figure), backpressure honoured.
 */

/** Where the server runs relative to the client that times the stream. */
export type LoopbackMode = 'same-process' | 'child-process';

/** Options of {@link measureGrpcLoopback}. */
export interface GrpcLoopbackOptions {
  readonly mode: LoopbackMode;
  /** Bytes the timed stream carries. */
  readonly totalBytes: number;
  /** Bytes per message (the coordinator's default chunk is 1 MiB). */
  readonly chunkBytes: number;
}

/** A running loopback server. */
export interface LoopbackServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Bytes of the untimed stream that opens the connection and warms both ends up. */
const WARMUP_BYTES = 16 * 1024 * 1024;
/** Deadline of one stream: generous, a stream that stalls this long is a failure. */
const STREAM_DEADLINE_MS = 120_000;
/** How long a child server may take to start listening. */
const CHILD_START_MS = 30_000;

const identity = (bytes: Buffer): Buffer => bytes;

/** One method, `Pull`: the request names a byte count and chunk size, the reply streams them. */
const LOOPBACK_SERVICE = {
  pull: {
    path: '/silo.bench.Loopback/Pull',
    requestStream: false,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'pull',
  },
} satisfies grpc.ServiceDefinition;

interface LoopbackClient extends grpc.Client {
  pull(request: Buffer, options: grpc.CallOptions): grpc.ClientReadableStream<Buffer>;
}

const LoopbackClientConstructor = grpc.makeGenericClientConstructor(LOOPBACK_SERVICE, 'Loopback');

/** The request: total bytes (float64, exact below 2^53) and chunk size (uint32), little-endian. */
function encodeRequest(totalBytes: number, chunkBytes: number): Buffer {
  const request = Buffer.alloc(12);
  request.writeDoubleLE(totalBytes, 0);
  request.writeUInt32LE(chunkBytes, 8);
  return request;
}

function decodeRequest(request: Buffer): { totalBytes: number; chunkBytes: number } {
  if (request.length !== 12) throw new SiloError('ERR_BAD_INPUT', 'loopback request is not 12 bytes');
  const totalBytes = request.readDoubleLE(0);
  const chunkBytes = request.readUInt32LE(8);
  if (!Number.isSafeInteger(totalBytes) || totalBytes < 0 || chunkBytes < 1) {
    throw new SiloError('ERR_BAD_INPUT', `loopback request of ${totalBytes} bytes in ${chunkBytes}`);
  }
  return { totalBytes, chunkBytes };
}

async function streamBytes(call: grpc.ServerWritableStream<Buffer, Buffer>): Promise<void> {
  const { totalBytes, chunkBytes } = decodeRequest(call.request);
  // One buffer sent again and again: the sender's cost is framing and the socket, as for a
  // model read from disk into a reused chunk.
  const chunk = Buffer.alloc(chunkBytes, 0x5a);
  for (let sent = 0; sent < totalBytes; sent += chunkBytes) {
    const size = Math.min(chunkBytes, totalBytes - sent);
    await writeWithBackpressure(call, size === chunkBytes ? chunk : chunk.subarray(0, size));
  }
  call.end();
}

/** Starts a loopback server on 127.0.0.1, on a free port. */
export async function startLoopbackServer(): Promise<LoopbackServer> {
  const server = new grpc.Server();
  server.addService(LOOPBACK_SERVICE, {
    pull: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      streamBytes(call).catch((err: unknown) => call.destroy(err as Error));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err === null ? resolve(bound) : reject(err),
    ),
  );
  return {
    port,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** Streams `totalBytes` from the server at `port` and resolves with the bytes received and the milliseconds. */
async function pull(
  client: LoopbackClient,
  totalBytes: number,
  chunkBytes: number,
): Promise<{ bytes: number; ms: number }> {
  const start = performance.now();
  const stream = client.pull(encodeRequest(totalBytes, chunkBytes), {
    deadline: Date.now() + STREAM_DEADLINE_MS,
  });
  let bytes = 0;
  for await (const message of stream as AsyncIterable<Buffer>) bytes += message.length;
  const ms = performance.now() - start;
  if (bytes !== totalBytes) {
    throw new SiloError('ERR_STREAM', `loopback stream carried ${bytes} bytes, expected ${totalBytes}`);
  }
  return { bytes, ms };
}

/** A server in a child process (`grpc-loopback-server.js`), so sender and receiver each have a thread. */
async function startChildServer(): Promise<LoopbackServer> {
  const entry = fileURLToPath(new URL('./grpc-loopback-server.js', import.meta.url));
  const child: ChildProcess = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  try {
    const port = await Promise.race([
      once(child, 'message').then(([message]) => (message as { port: number }).port),
      exited.then(([code]) => {
        throw new SiloError('ERR_INTERNAL', `loopback server exited (${String(code)}) before listening`);
      }),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new SiloError('ERR_TIMEOUT', 'loopback server did not start')),
          CHILD_START_MS,
        ).unref(),
      ),
    ]);
    return {
      port,
      close: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/**
 * GB/s (10^9 bytes) of one stream of `totalBytes` from a loopback server to a client, timed
 * after an untimed warm-up stream over the same connection.
 */
export async function measureGrpcLoopback(options: GrpcLoopbackOptions): Promise<number> {
  const server = options.mode === 'child-process' ? await startChildServer() : await startLoopbackServer();
  const client = new LoopbackClientConstructor(
    `127.0.0.1:${server.port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as LoopbackClient;
  try {
    await pull(client, Math.min(WARMUP_BYTES, options.totalBytes), options.chunkBytes);
    const { bytes, ms } = await pull(client, options.totalBytes, options.chunkBytes);
    return bytes / (ms / 1000) / 1e9;
  } finally {
    client.close();
    await server.close();
  }
}
