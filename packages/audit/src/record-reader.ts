import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { SiloError } from '@silo/common';
import type { DamagedTail } from '@silo/ledger';

// The ledger's record framing (packages/ledger/src/records.ts), read one record at a time:
//
//   uint32 BE payload length ‖ payload ‖ SHA-256(length ‖ payload)
//
// @silo/ledger reads whole files into memory and does not export its scanner; an auditor
// walks logs far larger than the blobs it may hold at once, so it streams instead. The rules
// (and the wording of the damage reasons) are the ledger's: stop at the first record that is
// incomplete or fails its checksum, and report everything from there on as a damaged tail.

const LENGTH_BYTES = 4;
const CHECKSUM_BYTES = 32;

/** Reads the records of a ledger file in order, without loading the file. */
export class RecordReader {
  readonly #file: FileHandle | undefined;
  readonly #size: number;
  #offset = 0;
  #tail: DamagedTail | undefined;
  #count = 0;

  private constructor(file: FileHandle | undefined, size: number) {
    this.#file = file;
    this.#size = size;
  }

  /**
   * Opens `path` for reading; a missing file reads as empty (check {@link RecordReader.exists}).
   *
   * @throws SiloError ERR_INTERNAL when the file exists but cannot be read.
   */
  static async open(path: string): Promise<RecordReader> {
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return new RecordReader(undefined, 0);
      throw new SiloError('ERR_INTERNAL', `cannot read ${path}`, { cause: err });
    }
    try {
      return new RecordReader(file, (await file.stat()).size);
    } catch (err) {
      await file.close();
      throw new SiloError('ERR_INTERNAL', `cannot read ${path}`, { cause: err });
    }
  }

  /** False when the file did not exist. */
  get exists(): boolean {
    return this.#file !== undefined;
  }

  /** Intact records returned so far. */
  get count(): number {
    return this.#count;
  }

  /** The damaged tail, once {@link RecordReader.next} has stopped at one. */
  get tail(): DamagedTail | undefined {
    return this.#tail;
  }

  /** The next intact record's payload; `undefined` at the end of the file or at a damaged tail. */
  async next(): Promise<Uint8Array | undefined> {
    if (this.#file === undefined || this.#tail !== undefined || this.#offset >= this.#size) return undefined;
    const left = this.#size - this.#offset;
    if (left < LENGTH_BYTES) return this.#stop('partial length prefix');
    const prefix = await this.#read(this.#offset, LENGTH_BYTES);
    const length = Buffer.from(prefix.buffer, prefix.byteOffset, LENGTH_BYTES).readUInt32BE(0);
    // Checked against the file size before allocating, so a garbled prefix cannot ask for 4 GiB.
    if (LENGTH_BYTES + length + CHECKSUM_BYTES > left) return this.#stop('record runs past end of file');
    const rest = await this.#read(this.#offset + LENGTH_BYTES, length + CHECKSUM_BYTES);
    const payload = rest.subarray(0, length);
    const digest = createHash('sha256').update(prefix).update(payload).digest();
    if (!digest.equals(rest.subarray(length))) return this.#stop('record checksum mismatch');
    this.#offset += LENGTH_BYTES + length + CHECKSUM_BYTES;
    this.#count += 1;
    return payload;
  }

  /** Closes the file; safe when it never existed. */
  async close(): Promise<void> {
    await this.#file?.close();
  }

  #stop(reason: string): undefined {
    this.#tail = { offset: this.#offset, bytes: this.#size - this.#offset, reason };
    return undefined;
  }

  async #read(position: number, length: number): Promise<Buffer> {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await (this.#file as FileHandle).read(out, done, length - done, position + done);
      if (bytesRead === 0)
        throw new SiloError('ERR_LEDGER_CORRUPT', 'the ledger file shrank while it was read');
      done += bytesRead;
    }
    return out;
  }
}
