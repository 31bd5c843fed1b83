import { createHash, type Hash } from 'node:crypto';
import { SiloError } from '@silo/common';

/** Default size of one chunk of a weight stream: 1 MiB, well under gRPC's 4 MiB receive limit. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/**
 * Splits `bytes` into consecutive chunks of `chunkSizeBytes` (the last one shorter) without
 * copying: each chunk is a `subarray` view. Empty input yields no chunks.
 *
 * The size is checked when this is called, not when iteration starts, so a bad size fails
 * at the call site.
 *
 * @throws SiloError `ERR_BAD_INPUT` when `chunkSizeBytes` is not a positive integer.
 */
export function chunkBytes(
  bytes: Uint8Array,
  chunkSizeBytes: number = DEFAULT_CHUNK_BYTES,
): Generator<Uint8Array> {
  if (!Number.isSafeInteger(chunkSizeBytes) || chunkSizeBytes <= 0) {
    throw new SiloError('ERR_BAD_INPUT', `chunk size must be a positive integer, got ${chunkSizeBytes}`);
  }
  return chunksOf(bytes, chunkSizeBytes);
}

function* chunksOf(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let start = 0; start < bytes.byteLength; start += size) {
    yield bytes.subarray(start, Math.min(start + size, bytes.byteLength));
  }
}

/** Options of a {@link ChunkAssembler}. */
export interface ChunkAssemblerOptions {
  /** Exact size the sender declared (in its signed manifest, for updates). */
  expectedBytes: number;
  /** The receiver's own limit; a declared size above it is refused before any memory is allocated. */
  maxBytes: number;
}

type AssemblerState = 'open' | 'failed' | 'finished';

/**
 * Receiving side of a chunked byte stream: copies chunks into one preallocated buffer and
 * hashes them as they arrive, so the digest is ready when the stream ends.
 *
 * Any error leaves the assembler failed: a stream that went wrong once is never completed.
 */
export class ChunkAssembler {
  readonly #expectedBytes: number;
  readonly #buffer: Uint8Array;
  readonly #hash: Hash = createHash('sha256');
  #received = 0;
  #state: AssemblerState = 'open';

  /**
   * @throws SiloError `ERR_BAD_INPUT` for sizes that are not non-negative integers;
   *   `ERR_TOO_LARGE` when `expectedBytes` exceeds `maxBytes`.
   */
  constructor(options: ChunkAssemblerOptions) {
    const { expectedBytes, maxBytes } = options;
    for (const [name, value] of [
      ['expectedBytes', expectedBytes],
      ['maxBytes', maxBytes],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new SiloError('ERR_BAD_INPUT', `${name} must be a non-negative integer, got ${value}`);
      }
    }
    if (expectedBytes > maxBytes) {
      throw new SiloError(
        'ERR_TOO_LARGE',
        `stream declares ${expectedBytes} bytes; the limit is ${maxBytes}`,
      );
    }
    this.#expectedBytes = expectedBytes;
    this.#buffer = new Uint8Array(expectedBytes);
  }

  /** Bytes accepted so far. */
  get receivedBytes(): number {
    return this.#received;
  }

  /**
   * Appends one chunk (copied, so the caller may reuse its buffer).
   *
   * @throws SiloError `ERR_TOO_LARGE` when the chunk would exceed the declared size;
   *   `ERR_STREAM` when the assembler already finished or failed.
   */
  push(chunk: Uint8Array): void {
    this.#assertOpen('push');
    const total = this.#received + chunk.byteLength;
    if (total > this.#expectedBytes) {
      this.#state = 'failed';
      throw new SiloError(
        'ERR_TOO_LARGE',
        `stream sent at least ${total} bytes; it declared ${this.#expectedBytes}`,
      );
    }
    this.#buffer.set(chunk, this.#received);
    this.#hash.update(chunk);
    this.#received = total;
  }

  /**
   * Ends the stream and returns its bytes once they are complete and match `expectedDigest`
   * (lowercase hex SHA-256, as produced by `sha256Hex`).
   *
   * @throws SiloError `ERR_STREAM` when fewer bytes than declared arrived (or on a second call);
   *   `ERR_DIGEST_MISMATCH` when the bytes do not hash to `expectedDigest`.
   */
  finish(expectedDigest: string): Uint8Array {
    this.#assertOpen('finish');
    this.#state = 'failed';
    if (this.#received < this.#expectedBytes) {
      throw new SiloError(
        'ERR_STREAM',
        `stream ended after ${this.#received} of ${this.#expectedBytes} bytes`,
      );
    }
    const actual = this.#hash.digest('hex');
    if (actual !== expectedDigest) {
      throw new SiloError('ERR_DIGEST_MISMATCH', `stream digest is ${actual}; expected ${expectedDigest}`);
    }
    this.#state = 'finished';
    return this.#buffer;
  }

  #assertOpen(operation: string): void {
    if (this.#state !== 'open') {
      throw new SiloError('ERR_STREAM', `cannot ${operation}: the stream has already ${this.#state}`);
    }
  }
}
