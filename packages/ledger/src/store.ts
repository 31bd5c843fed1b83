import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SiloError, toSiloError } from '@silo/common';
import { parseCheckpoint, signCheckpoint, unverifiedNoteText, type Checkpoint } from './checkpoint.js';
import { MerkleTree, bytesEqual, leafHash } from './merkle.js';
import type { NoteSigner } from './note.js';
import { PAYLOAD_OFFSET, encodeRecord, readRecordFile, scanRecords, type RecordScan } from './records.js';
import { cutTail, syncDir, writeAll, type TruncationEvent } from './store-io.js';

/** File of entry records inside a ledger directory. */
export const ENTRIES_FILE = 'entries.log';
/** File of signed checkpoint notes inside a ledger directory. */
export const CHECKPOINTS_FILE = 'checkpoints.log';
/** Default cap on one appended entry. */
export const DEFAULT_MAX_ENTRY_BYTES = 16 * 1024 * 1024;

/** Options of {@link LedgerStore.open}. */
export interface LedgerStoreOptions {
  /** Called once per file whose damaged tail was cut off at open. Default: nothing. */
  readonly onTruncate?: (event: TruncationEvent) => void;
  /** Largest entry accepted, in bytes. Default {@link DEFAULT_MAX_ENTRY_BYTES}. */
  readonly maxEntryBytes?: number;
}

/** A checkpoint as stored: its signed note (not verified by the store) and parsed body. */
export interface StoredCheckpoint extends Checkpoint {
  readonly note: string;
}

/** Result of {@link LedgerStore.append}. */
export interface AppendResult {
  readonly index: number;
  readonly leafHash: Uint8Array;
}

const corrupt = (msg: string): SiloError => new SiloError('ERR_LEDGER_CORRUPT', msg);

function storedCheckpoint(note: string): StoredCheckpoint {
  return { ...parseCheckpoint(unverifiedNoteText(note)), note };
}

/**
 * A crash-safe, append-only ledger in one directory: `entries.log` holds the entries as
 * checksummed records, `checkpoints.log` the signed checkpoints, and the Merkle tree is rebuilt
 * in memory at open.
 *
 * `append` writes without fsync; an entry is durable after {@link LedgerStore.sync} or
 * {@link LedgerStore.checkpoint}. One process may have a directory open at a time.
 */
export class LedgerStore {
  readonly #dir: string;
  readonly #entries: FileHandle;
  readonly #checkpointFile: FileHandle;
  readonly #tree: MerkleTree;
  /** Payload offset and length of each entry in `entries.log`. */
  readonly #spans: { offset: number; length: number }[];
  readonly #checkpoints: StoredCheckpoint[];
  readonly #maxEntryBytes: number;
  #entriesBytes: number;
  /** Serialises writers so file order, indices and tree order always agree. */
  #queue: Promise<unknown> = Promise.resolve();
  #broken: SiloError | undefined;
  #closed = false;

  private constructor(init: {
    dir: string;
    entries: FileHandle;
    checkpointFile: FileHandle;
    scan: RecordScan;
    tree: MerkleTree;
    checkpoints: StoredCheckpoint[];
    maxEntryBytes: number;
  }) {
    this.#dir = init.dir;
    this.#entries = init.entries;
    this.#checkpointFile = init.checkpointFile;
    this.#checkpoints = init.checkpoints;
    this.#maxEntryBytes = init.maxEntryBytes;
    this.#spans = init.scan.records.map((r) => ({ offset: r.payloadOffset, length: r.payload.length }));
    this.#tree = init.tree;
    this.#entriesBytes = init.scan.validBytes;
  }

  /**
   * Opens (creating if needed) the ledger in `dir`: reads every record, cuts off a damaged tail
   * (reporting it through `onTruncate`), and checks the entries against the stored checkpoints.
   *
   * @throws SiloError ERR_LEDGER_CORRUPT when the intact entries are fewer than the latest
   *   checkpoint covers, or do not hash to a stored checkpoint's root: cutting there would
   *   rewrite signed history, so nothing is cut and the ledger must be restored from a copy.
   */
  static async open(dir: string, options: LedgerStoreOptions = {}): Promise<LedgerStore> {
    try {
      return await LedgerStore.#open(dir, options);
    } catch (err) {
      throw toSiloError(err); // fs errors become ERR_INTERNAL with the original as cause
    }
  }

  static async #open(dir: string, options: LedgerStoreOptions): Promise<LedgerStore> {
    const maxEntryBytes = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
    await mkdir(dir, { recursive: true });
    const cpPath = join(dir, CHECKPOINTS_FILE);
    const entriesPath = join(dir, ENTRIES_FILE);
    const cpFile = await readRecordFile(cpPath);
    const entriesFile = await readRecordFile(entriesPath);

    const cpScan = scanRecords(cpFile.data);
    const checkpoints = cpScan.records.map((r, i) => {
      try {
        return storedCheckpoint(Buffer.from(r.payload).toString('utf8'));
      } catch (err) {
        throw new SiloError('ERR_LEDGER_CORRUPT', `stored checkpoint ${i} is unreadable`, { cause: err });
      }
    });
    const scan = scanRecords(entriesFile.data);
    const tree = MerkleTree.from(scan.records.map((r) => leafHash(r.payload)));
    for (const cp of checkpoints) {
      if (cp.size > tree.size) {
        const why = scan.tail ? `${scan.tail.reason} at byte ${scan.tail.offset}` : 'the file is short';
        throw corrupt(
          `${entriesPath} holds ${tree.size} intact entries but a checkpoint covers ${cp.size} (${why})`,
        );
      }
      if (!bytesEqual(tree.root(cp.size), cp.root)) {
        throw corrupt(`${entriesPath} does not match the stored checkpoint at size ${cp.size}`);
      }
    }

    const handles: FileHandle[] = [];
    try {
      const entries = await open(entriesPath, 'a+');
      handles.push(entries);
      const checkpointFile = await open(cpPath, 'a+');
      handles.push(checkpointFile);
      await cutTail(entries, entriesPath, entriesFile.data, scan, options.onTruncate);
      await cutTail(checkpointFile, cpPath, cpFile.data, cpScan, options.onTruncate);
      if (!entriesFile.exists || !cpFile.exists) await syncDir(dir);
      return new LedgerStore({ dir, entries, checkpointFile, scan, tree, checkpoints, maxEntryBytes });
    } catch (err) {
      await Promise.allSettled(handles.map((h) => h.close()));
      throw err;
    }
  }

  /** Number of entries, including ones appended but not yet synced. */
  get size(): number {
    return this.#tree.size;
  }

  /** The directory this ledger lives in. */
  get dir(): string {
    return this.#dir;
  }

  /** Appends `entry`; resolves once written (not yet fsynced) with its index and leaf hash. */
  async append(entry: Uint8Array): Promise<AppendResult> {
    if (!(entry instanceof Uint8Array)) throw new SiloError('ERR_BAD_INPUT', 'an entry must be a Uint8Array');
    if (entry.length > this.#maxEntryBytes) {
      throw new SiloError('ERR_BAD_INPUT', `entry of ${entry.length} bytes exceeds ${this.#maxEntryBytes}`);
    }
    const copy = entry.slice(); // the caller may reuse its buffer before the write happens
    return this.#exclusive(async () => {
      const record = encodeRecord(copy);
      try {
        await writeAll(this.#entries, record);
      } catch (err) {
        await this.#rollback(this.#entries, this.#entriesBytes, 'an append', err);
      }
      this.#spans.push({ offset: this.#entriesBytes + PAYLOAD_OFFSET, length: copy.length });
      this.#entriesBytes += record.length;
      const hash = leafHash(copy);
      return { index: this.#tree.append(hash), leafHash: hash };
    });
  }

  /** Flushes appended entries to stable storage (fsync). */
  sync(): Promise<void> {
    return this.#exclusive(() => this.#syncEntries());
  }

  /** The entry at `index`, read back from disk. */
  async entry(index: number): Promise<Uint8Array> {
    if (this.#closed) throw new SiloError('ERR_INTERNAL', 'the ledger is closed');
    this.#tree.leafHash(index); // validates the index with the tree's message
    const span = this.#spans[index] as { offset: number; length: number };
    const out = new Uint8Array(span.length);
    const { bytesRead } = await this.#entries.read(out, 0, span.length, span.offset);
    if (bytesRead !== span.length) throw corrupt(`entry ${index} was cut short on disk`);
    return out;
  }

  /** The leaf hash of entry `index`. */
  leafHash(index: number): Uint8Array {
    return this.#tree.leafHash(index);
  }

  /** The Merkle root at `size` entries (default: all). */
  root(size: number = this.size): Uint8Array {
    return this.#tree.root(size);
  }

  /** Inclusion proof of entry `index` in the tree of `size` entries (default: all). */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    return this.#tree.inclusionProof(index, size);
  }

  /** Consistency proof from `oldSize` entries to `size` (default: all); `oldSize` must be ≥ 1. */
  consistencyProof(oldSize: number, size: number = this.size): Uint8Array[] {
    return this.#tree.consistencyProof(oldSize, size);
  }

  /** The stored checkpoints, oldest first (bodies parsed, signatures not verified here). */
  checkpoints(): readonly StoredCheckpoint[] {
    return [...this.#checkpoints];
  }

  /**
   * Stores a signed checkpoint note after fsyncing the log, so a stored checkpoint never
   * covers entries a crash could lose. The store checks the body against its own tree but
   * cannot check the signature: it does not hold verifier keys.
   *
   * @throws SiloError ERR_BAD_INPUT for a note that is not a checkpoint; ERR_CONFLICT when it
   *   covers more entries than the log has, does not match the log's root, or is older than the
   *   latest stored checkpoint.
   */
  async writeCheckpoint(signedNoteText: string): Promise<void> {
    const cp = storedCheckpoint(signedNoteText);
    return this.#exclusive(async () => {
      await this.#syncEntries();
      await this.#storeCheckpoint(cp);
    });
  }

  /**
   * Fsyncs the log, builds the checkpoint for the current size, signs it with `signer`, stores
   * it, and returns the signed note.
   */
  checkpoint(origin: string, signer: NoteSigner): Promise<string> {
    return this.#exclusive(async () => {
      await this.#syncEntries();
      const note = signCheckpoint({ origin, size: this.size, root: this.root() }, signer);
      await this.#storeCheckpoint(storedCheckpoint(note));
      return note;
    });
  }

  /** Waits for pending writes and closes the files. */
  close(): Promise<void> {
    return this.#exclusive(async () => {
      this.#closed = true;
      await Promise.all([this.#entries.close(), this.#checkpointFile.close()]);
    });
  }

  async #storeCheckpoint(cp: StoredCheckpoint): Promise<void> {
    const latest = this.#checkpoints.at(-1);
    if (cp.size > this.size) {
      throw new SiloError('ERR_CONFLICT', `checkpoint covers ${cp.size} entries, the log has ${this.size}`);
    }
    if (!bytesEqual(cp.root, this.root(cp.size))) {
      throw new SiloError('ERR_CONFLICT', `checkpoint root does not match the log at size ${cp.size}`);
    }
    if (latest !== undefined && cp.size < latest.size) {
      throw new SiloError(
        'ERR_CONFLICT',
        `checkpoint size ${cp.size} is older than the latest, ${latest.size}`,
      );
    }
    const record = encodeRecord(Buffer.from(cp.note, 'utf8'));
    const before = (await this.#checkpointFile.stat()).size;
    try {
      await writeAll(this.#checkpointFile, record);
      await this.#checkpointFile.sync();
    } catch (err) {
      await this.#rollback(this.#checkpointFile, before, 'storing a checkpoint', err);
    }
    this.#checkpoints.push(cp);
  }

  /**
   * Fsyncs the entries. After a failed fsync the kernel may already have dropped the dirty
   * pages, so a retry could "succeed" over lost data: the store refuses further work instead.
   */
  async #syncEntries(): Promise<void> {
    try {
      await this.#entries.sync();
    } catch (err) {
      this.#broken = new SiloError('ERR_INTERNAL', 'fsync of the ledger failed; reopen it', { cause: err });
      throw this.#broken;
    }
  }

  /**
   * Cuts `file` back to `length` after a failed write, so the next record does not land after
   * a partial one (which the next open would cut, taking later records with it). When even
   * that fails the store refuses further work until reopened.
   */
  async #rollback(file: FileHandle, length: number, what: string, err: unknown): Promise<never> {
    try {
      await file.truncate(length);
    } catch (truncateErr) {
      this.#broken = new SiloError(
        'ERR_INTERNAL',
        `${what} failed and could not be undone; reopen the ledger`,
        {
          cause: truncateErr,
        },
      );
    }
    throw new SiloError('ERR_INTERNAL', `${what} failed`, { cause: err });
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#closed) throw new SiloError('ERR_INTERNAL', 'the ledger is closed');
      if (this.#broken) throw this.#broken;
      return task();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
