import { SiloError } from '@silo/common';
import { BlockDecoder, layoutSize, type Layout, type UpdateEncoding } from '@silo/tensors';
import type { BlobBlockReader, BlobStore } from './blob-store.js';

/** Values decoded per step while checking an upload. */
const CHECK_VALUES = 16_384;

/**
 * Checks an encoded update as its chunks stream in, whatever their boundaries: the int8 scales
 * once the header is complete, then every value (finite, in float32 and float16), so a bad
 * update is refused during the upload instead of failing the round's aggregation.
 */
export class UpdateValidator {
  readonly #decoder: BlockDecoder;
  readonly #pending: Uint8Array;
  #pendingBytes = 0;
  #headerDone: boolean;
  #nextValue = 0;
  readonly #values = new Float32Array(CHECK_VALUES);
  readonly #length: number;

  constructor(layout: Layout, encoding: UpdateEncoding) {
    this.#decoder = new BlockDecoder(layout, encoding);
    this.#length = layoutSize(layout);
    this.#pending = new Uint8Array(
      Math.max(this.#decoder.headerBytes, CHECK_VALUES * this.#decoder.bytesPerValue),
    );
    this.#headerDone = this.#decoder.headerBytes === 0;
  }

  /** @throws SiloError `ERR_BAD_INPUT` for a value or scale the encoding forbids. */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.byteLength) {
      const want = this.#headerDone
        ? Math.min(CHECK_VALUES, this.#length - this.#nextValue) * this.#decoder.bytesPerValue
        : this.#decoder.headerBytes;
      if (want === 0) return; // past the declared size: the writer refuses that
      const take = Math.min(want - this.#pendingBytes, chunk.byteLength - at);
      this.#pending.set(chunk.subarray(at, at + take), this.#pendingBytes);
      this.#pendingBytes += take;
      at += take;
      if (this.#pendingBytes < want) return;
      if (!this.#headerDone) {
        this.#decoder.setHeader(this.#pending.subarray(0, want));
        this.#headerDone = true;
      } else {
        const count = want / this.#decoder.bytesPerValue;
        this.#decoder.decode(
          this.#pending.subarray(0, want),
          this.#nextValue,
          this.#values.subarray(0, count),
        );
        this.#nextValue += count;
      }
      this.#pendingBytes = 0;
    }
  }
}

/**
 * Reads an encoded update blob as float32 values, block by block, decoding on the way; the blob
 * is hashed as it is read (see {@link BlobBlockReader}).
 */
export class DecodingBlockReader {
  readonly #reader: BlobBlockReader;
  readonly #decoder: BlockDecoder;
  #next = 0;
  #raw = new Uint8Array(0);

  private constructor(reader: BlobBlockReader, decoder: BlockDecoder) {
    this.#reader = reader;
    this.#decoder = decoder;
  }

  static async open(
    blobs: BlobStore,
    digest: string,
    layout: Layout,
    encoding: UpdateEncoding,
  ): Promise<DecodingBlockReader> {
    const decoder = new BlockDecoder(layout, encoding);
    const reader = await blobs.openReader(digest);
    try {
      const header = new Uint8Array(decoder.headerBytes);
      await reader.nextBytes(header);
      decoder.setHeader(header);
    } catch (err) {
      await reader.close();
      throw err instanceof SiloError
        ? err
        : new SiloError('ERR_DIGEST_MISMATCH', `blob ${digest} is unreadable`);
    }
    return new DecodingBlockReader(reader, decoder);
  }

  /** The next `into.length` values. @throws SiloError as `BlobBlockReader.next` and the decoder. */
  async next(into: Float32Array): Promise<void> {
    const bytes = into.length * this.#decoder.bytesPerValue;
    if (this.#raw.byteLength < bytes) this.#raw = new Uint8Array(bytes);
    const raw = this.#raw.subarray(0, bytes);
    await this.#reader.nextBytes(raw);
    this.#decoder.decode(raw, this.#next, into);
    this.#next += into.length;
  }

  verify(): Promise<void> {
    return this.#reader.verify();
  }

  close(): Promise<void> {
    return this.#reader.close();
  }
}
