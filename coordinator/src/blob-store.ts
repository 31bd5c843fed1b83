import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SiloError } from '@silo/common';
import { sha256Hex } from '@silo/tensors';

/** Content-addressed storage of checkpoints and updates; an object store can implement it later. */
export interface BlobStore {
  /** Stores bytes under their SHA-256 and returns the digest. Storing the same bytes twice is a no-op. */
  put(bytes: Uint8Array): Promise<string>;
  /** Reads a blob and checks it still hashes to its name. */
  get(digest: string): Promise<Uint8Array>;
  has(digest: string): Promise<boolean>;
  /** Starts a blob that streams in; see {@link StreamingBlobWriter}. */
  openWriter(
    expectedBytes: number,
    expectedDigest: string | undefined,
    options?: { float32?: boolean; validate?: (chunk: Uint8Array) => void },
  ): Promise<StreamingBlobWriter>;
  /** Reads a blob block by block; see {@link BlobBlockReader}. */
  openReader(digest: string): Promise<BlobBlockReader>;
}

const DIGEST = /^[0-9a-f]{64}$/;

function checkDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw new SiloError('ERR_BAD_INPUT', `not a SHA-256 hex digest: ${digest}`);
}

/** A {@link BlobStore} on local disk: `<dir>/<sha256>`, written to a temp file, fsynced, then renamed. */
export class DiskBlobStore implements BlobStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async put(bytes: Uint8Array): Promise<string> {
    const digest = sha256Hex(bytes);
    const path = join(this.#dir, digest);
    if (await this.has(digest)) return digest;
    await mkdir(this.#dir, { recursive: true });
    const temp = join(this.#dir, `.tmp-${digest}-${randomBytes(6).toString('hex')}`);
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(bytes);
      // A blob named by its digest must never be half-written after a crash.
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return digest;
  }

  async get(digest: string): Promise<Uint8Array> {
    checkDigest(digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.#dir, digest));
    } catch (err) {
      throw new SiloError('ERR_NOT_FOUND', `blob ${digest} is not in the store`, { cause: err });
    }
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (sha256Hex(view) !== digest) {
      throw new SiloError('ERR_DIGEST_MISMATCH', `blob ${digest} is corrupt on disk`);
    }
    return view;
  }

  openWriter(
    expectedBytes: number,
    expectedDigest: string | undefined,
    options?: { float32?: boolean; validate?: (chunk: Uint8Array) => void },
  ): Promise<StreamingBlobWriter> {
    return StreamingBlobWriter.open(this.#dir, expectedBytes, expectedDigest, options);
  }

  openReader(digest: string): Promise<BlobBlockReader> {
    return BlobBlockReader.open(this.#dir, digest);
  }

  async has(digest: string): Promise<boolean> {
    checkDigest(digest);
    try {
      await stat(join(this.#dir, digest));
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * A blob written as it streams in: each chunk goes to a temp file and into a running SHA-256,
 * so memory stays at one chunk whatever the blob's size. {@link commit} checks the size and the
 * digest the sender declared, fsyncs and renames the file to its digest; anything short of that
 * leaves nothing in the store.
 */
export class StreamingBlobWriter {
  readonly #dir: string;
  readonly #expectedBytes: number;
  readonly #expectedDigest: string | undefined;
  readonly #hash = createHash('sha256');
  readonly #temp: string;
  #file: FileHandle | undefined;
  #received = 0;
  /** Bytes of a float32 split across chunks, for the finiteness check. */
  readonly #carry = new Uint8Array(4);
  #carried = 0;
  readonly #checkFinite: boolean;
  readonly #validate: ((chunk: Uint8Array) => void) | undefined;
  #done = false;

  private constructor(
    dir: string,
    expectedBytes: number,
    expectedDigest: string | undefined,
    checkFinite: boolean,
    validate: ((chunk: Uint8Array) => void) | undefined,
  ) {
    this.#validate = validate;
    this.#dir = dir;
    this.#expectedBytes = expectedBytes;
    this.#expectedDigest = expectedDigest;
    this.#checkFinite = checkFinite;
    this.#temp = join(dir, `.tmp-${expectedDigest ?? 'new'}-${randomBytes(6).toString('hex')}`);
  }

  /**
   * Starts a blob of `expectedBytes` that must hash to `expectedDigest` (any digest when
   * `undefined`: a blob this process computes, named by its hash at commit). With `float32`, every
   * 4-byte little-endian value must be finite (a NaN or Infinity in an update would poison an
   * aggregate).
   */
  static async open(
    dir: string,
    expectedBytes: number,
    expectedDigest: string | undefined,
    options: { float32?: boolean; validate?: (chunk: Uint8Array) => void } = {},
  ): Promise<StreamingBlobWriter> {
    if (expectedDigest !== undefined) checkDigest(expectedDigest);
    await mkdir(dir, { recursive: true });
    const writer = new StreamingBlobWriter(
      dir,
      expectedBytes,
      expectedDigest,
      options.float32 === true,
      options.validate,
    );
    writer.#file = await open(writer.#temp, 'wx', 0o600);
    return writer;
  }

  /**
   * Appends a chunk.
   *
   * @throws SiloError `ERR_TOO_LARGE` past the declared size; `ERR_BAD_INPUT` for a value that
   *   is not finite (float32 blobs).
   */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.#done || this.#file === undefined) throw new SiloError('ERR_STREAM', 'the blob is closed');
    const total = this.#received + chunk.byteLength;
    if (total > this.#expectedBytes)
      throw new SiloError(
        'ERR_TOO_LARGE',
        `stream sent at least ${total} bytes; it declared ${this.#expectedBytes}`,
      );
    if (this.#checkFinite) this.#assertFinite(chunk);
    this.#validate?.(chunk);
    this.#hash.update(chunk);
    await this.#file.write(chunk);
    this.#received = total;
  }

  /**
   * Checks the size and digest, makes the blob durable and names it by its digest.
   *
   * @throws SiloError `ERR_STREAM` for a short stream; `ERR_DIGEST_MISMATCH` for other bytes.
   */
  async commit(): Promise<string> {
    if (this.#done || this.#file === undefined) throw new SiloError('ERR_STREAM', 'the blob is closed');
    this.#done = true;
    const file = this.#file;
    try {
      if (this.#received < this.#expectedBytes)
        throw new SiloError(
          'ERR_STREAM',
          `stream ended after ${this.#received} of ${this.#expectedBytes} bytes`,
        );
      const actual = this.#hash.digest('hex');
      if (this.#expectedDigest !== undefined && actual !== this.#expectedDigest)
        throw new SiloError(
          'ERR_DIGEST_MISMATCH',
          `stream digest is ${actual}; expected ${this.#expectedDigest}`,
        );
      await file.sync();
      await file.close();
      await rename(this.#temp, join(this.#dir, actual));
      return actual;
    } catch (err) {
      await file.close().catch(() => undefined);
      await rm(this.#temp, { force: true });
      throw err;
    }
  }

  /** Drops what was written. Safe to call more than once, and after a failed commit. */
  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#file?.close().catch(() => undefined);
    await rm(this.#temp, { force: true });
  }

  #assertFinite(chunk: Uint8Array): void {
    let at = 0;
    if (this.#carried > 0) {
      while (this.#carried < 4 && at < chunk.byteLength) this.#carry[this.#carried++] = chunk[at++]!;
      if (this.#carried < 4) return;
      this.#checkValue(new DataView(this.#carry.buffer).getFloat32(0, true), this.#received);
      this.#carried = 0;
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const whole = at + Math.floor((chunk.byteLength - at) / 4) * 4;
    for (; at < whole; at += 4) this.#checkValue(view.getFloat32(at, true), this.#received + at);
    while (at < chunk.byteLength) this.#carry[this.#carried++] = chunk[at++]!;
  }

  #checkValue(value: number, offset: number): void {
    if (!Number.isFinite(value))
      throw new SiloError(
        'ERR_BAD_INPUT',
        `update[${Math.floor(offset / 4)}] is ${value}; every value must be finite`,
      );
  }
}

/**
 * Reads a blob block by block, hashing as it goes, so a whole pass over many blobs needs one
 * block of memory each. {@link verify} after the last block checks the blob still hashes to its
 * name.
 */
export class BlobBlockReader {
  readonly #file: FileHandle;
  readonly #digest: string;
  readonly #hash = createHash('sha256');
  #position = 0;

  private constructor(file: FileHandle, digest: string) {
    this.#file = file;
    this.#digest = digest;
  }

  /** @throws SiloError `ERR_NOT_FOUND` when the blob is not in `dir`. */
  static async open(dir: string, digest: string): Promise<BlobBlockReader> {
    checkDigest(digest);
    try {
      return new BlobBlockReader(await open(join(dir, digest), 'r'), digest);
    } catch (err) {
      throw new SiloError('ERR_NOT_FOUND', `blob ${digest} is not in the store`, { cause: err });
    }
  }

  /**
   * The next `into.length` float32 values, read into `into` (blocks must be read in order).
   *
   * @throws SiloError `ERR_DIGEST_MISMATCH` when the blob is shorter than asked.
   */
  async next(into: Float32Array): Promise<void> {
    await this.nextBytes(new Uint8Array(into.buffer, into.byteOffset, into.byteLength));
  }

  /** The next `bytes.byteLength` bytes, read into `bytes`. @throws SiloError as {@link next}. */
  async nextBytes(bytes: Uint8Array): Promise<void> {
    let filled = 0;
    while (filled < bytes.byteLength) {
      const { bytesRead } = await this.#file.read(
        bytes,
        filled,
        bytes.byteLength - filled,
        this.#position + filled,
      );
      if (bytesRead === 0)
        throw new SiloError('ERR_DIGEST_MISMATCH', `blob ${this.#digest} is shorter than its layout`);
      filled += bytesRead;
    }
    this.#hash.update(bytes);
    this.#position += filled;
  }

  /** @throws SiloError `ERR_DIGEST_MISMATCH` when the bytes read do not hash to the blob's name. */
  async verify(): Promise<void> {
    const { size } = await this.#file.stat();
    if (size !== this.#position || this.#hash.digest('hex') !== this.#digest)
      throw new SiloError('ERR_DIGEST_MISMATCH', `blob ${this.#digest} is corrupt on disk`);
  }

  async close(): Promise<void> {
    await this.#file.close();
  }
}
