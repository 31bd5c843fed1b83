import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
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
