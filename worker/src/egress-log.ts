import { createHash } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { SiloError, toSiloError } from '@silo/common';
import { egressRecordSchema, type EgressRecord, type NewEgressRecord } from './egress-records.js';
import { acquireLock, type FileLock } from './file-lock.js';

/** `prev` of the first record. */
export const EGRESS_CHAIN_START = '0'.repeat(64);

const NEWLINE = 0x0a;

/**
 * Read and append, created if missing, and O_SYNC: a write returns once its bytes (and the file
 * size) are on stable storage, as if each were followed by fsync, at one system call per record.
 */
const OPEN_FLAGS = 'as+';

/** Something wrong found when reading an egress log back. */
export interface EgressProblem {
  /** Line number, from 0 (equal to the `seq` the line should carry). */
  readonly line: number;
  /**
   * `torn-tail`: the last line is cut short or not JSON (a crash mid-write); `bad-record`: a line
   * that is not a valid record; `chain-break`: `prev` is not the hash of the line before (a line
   * was edited, inserted or deleted); `bad-seq`: `seq` is not the line number.
   */
  readonly kind: 'torn-tail' | 'bad-record' | 'chain-break' | 'bad-seq';
  readonly message: string;
}

/** An egress log as read back: its valid records in order and everything wrong with it. */
export interface EgressScan {
  readonly records: readonly EgressRecord[];
  readonly problems: readonly EgressProblem[];
  /** Complete lines read, valid or not (a torn tail is not counted). */
  readonly lines: number;
}

/** A torn last line cut off when a log was opened for appending. */
export interface TailCut {
  /** Byte offset where the cut line began. */
  readonly offset: number;
  readonly cutBytes: number;
  /** SHA-256 (hex) of the bytes cut off. */
  readonly cutDigest: string;
  readonly reason: string;
}

/** Options of {@link EgressLog.open}. */
export interface EgressLogOptions {
  /** Called when a torn last line is cut at open (it is also recorded as a `tail-cut` record). */
  readonly onTruncate?: (cut: TailCut) => void;
  /** Clock for `at`; default `Date.now`. */
  readonly now?: () => number;
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

type ParsedLine = { ok: true; record: EgressRecord } | { ok: false; json: boolean; message: string };

function parseLine(line: Uint8Array): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(line));
  } catch {
    return { ok: false, json: false, message: 'not UTF-8 JSON' };
  }
  const parsed = egressRecordSchema.safeParse(value);
  if (parsed.success) return { ok: true, record: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.join('.');
  return { ok: false, json: true, message: `${where}: ${issue?.message ?? 'invalid'}` };
}

/** Reads log bytes line by line, checking the schema, `seq` and the hash chain. */
function scanBytes(bytes: Uint8Array): EgressScan & { torn?: TailCut; lastHash: string } {
  const records: EgressRecord[] = [];
  const problems: EgressProblem[] = [];
  let prev = EGRESS_CHAIN_START;
  let line = 0;
  let start = 0;
  let torn: TailCut | undefined;
  while (start < bytes.length) {
    const end = bytes.indexOf(NEWLINE, start);
    const text = bytes.subarray(start, end < 0 ? bytes.length : end);
    const parsed = end < 0 ? undefined : parseLine(text);
    const isLast = end < 0 || end === bytes.length - 1;
    if (parsed === undefined || (isLast && !parsed.ok && !parsed.json)) {
      const rest = bytes.subarray(start);
      const reason = parsed === undefined ? 'no trailing newline' : 'not JSON';
      torn = { offset: start, cutBytes: rest.length, cutDigest: sha256Hex(rest), reason };
      problems.push({
        line,
        kind: 'torn-tail',
        message: `last line is torn (${reason}, ${rest.length} bytes)`,
      });
      break;
    }
    if (!parsed.ok) {
      problems.push({
        line,
        kind: 'bad-record',
        message: `line ${line} is not a valid record: ${parsed.message}`,
      });
    } else {
      const { record } = parsed;
      if (record.seq !== line)
        problems.push({ line, kind: 'bad-seq', message: `line ${line} carries seq ${record.seq}` });
      if (record.prev !== prev) {
        problems.push({
          line,
          kind: 'chain-break',
          message:
            line === 0
              ? 'line 0 does not start the chain (lines were deleted before it?)'
              : `line ${line} does not chain to line ${line - 1} (a line was edited, inserted or deleted)`,
        });
      }
      records.push(record);
    }
    prev = sha256Hex(text);
    line += 1;
    start = end + 1;
  }
  return torn === undefined
    ? { records, problems, lines: line, lastHash: prev }
    : { records, problems, lines: line, lastHash: prev, torn };
}

/**
 * Reads and checks an egress log without changing it: every line against the record schema,
 * `seq` against the line number, `prev` against the hash of the line before. A torn tail is
 * reported, not cut. Deleting whole lines from the end cannot be seen from the log alone; the
 * coordinator's ledger receipts are the check on that.
 *
 * @throws SiloError ERR_NOT_FOUND when there is no log at `path`.
 */
export async function readEgressLog(path: string): Promise<EgressScan> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new SiloError('ERR_NOT_FOUND', `no egress log at ${path}`, { cause: err });
    throw toSiloError(err);
  }
  const { records, problems, lines } = scanBytes(bytes);
  return { records, problems, lines };
}

/**
 * The worker's append-only log of everything it sends to the coordinator (and the receipts it
 * gets back): one JSON record per line, each chained to the line before by SHA-256, written with
 * O_APPEND and O_SYNC, so it is on stable storage before `append` resolves. One process may append
 * to a log at a time (a lock file next to it enforces that), and every append first checks that
 * the file is still the size this process left it.
 */
export class EgressLog {
  /** The file. */
  readonly path: string;
  /** What was in the log when it was opened: records, problems, and any torn tail cut off. */
  readonly recovered: EgressScan & { readonly cut?: TailCut };
  readonly #file: FileHandle;
  readonly #lock: FileLock;
  readonly #now: () => number;
  #seq: number;
  #prev: string;
  #size: number;
  #queue: Promise<unknown> = Promise.resolve();
  #broken: SiloError | undefined;
  #closed = false;

  private constructor(init: {
    path: string;
    file: FileHandle;
    lock: FileLock;
    scan: EgressScan & { torn?: TailCut; lastHash: string };
    size: number;
    now: () => number;
  }) {
    const { records, problems, lines, torn } = init.scan;
    this.path = init.path;
    this.recovered =
      torn === undefined ? { records, problems, lines } : { records, problems, lines, cut: torn };
    this.#file = init.file;
    this.#lock = init.lock;
    this.#now = init.now;
    this.#seq = lines;
    this.#prev = init.scan.lastHash;
    this.#size = init.size;
  }

  /**
   * Opens (creating, mode 0600) the log at `path` for appending. A torn last line is cut off,
   * reported through `onTruncate` and recorded as a `tail-cut` record naming the cut bytes'
   * digest, so the cut itself stays in the owner's evidence. Other problems are kept in
   * {@link EgressLog.recovered} and never rewritten. A lock file `<path>.lock` keeps a second
   * process from appending to the same log.
   *
   * @throws SiloError ERR_CONFLICT when another running process has the log open, ERR_BAD_CONFIG
   *   when it cannot be opened.
   */
  static async open(path: string, options: EgressLogOptions = {}): Promise<EgressLog> {
    let file: FileHandle;
    let lock: FileLock;
    try {
      lock = await acquireLock(`${path}.lock`, `egress log ${path}`);
    } catch (err) {
      if (err instanceof SiloError) throw err;
      throw new SiloError('ERR_BAD_CONFIG', `cannot lock egress log ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      file = await open(path, OPEN_FLAGS, 0o600);
    } catch (err) {
      await lock.release();
      throw new SiloError('ERR_BAD_CONFIG', `cannot open egress log ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      const bytes = await file.readFile();
      const scan = scanBytes(bytes);
      let size = bytes.length;
      if (scan.torn !== undefined) {
        await file.truncate(scan.torn.offset);
        await file.sync();
        size = scan.torn.offset;
        options.onTruncate?.(scan.torn);
      }
      const log = new EgressLog({ path, file, lock, scan, size, now: options.now ?? Date.now });
      if (scan.torn !== undefined) {
        const { cutBytes, cutDigest, reason } = scan.torn;
        await log.append({ kind: 'tail-cut', bytes: 0, cutBytes, cutDigest, reason });
      }
      return log;
    } catch (err) {
      await file.close().catch(() => undefined);
      await lock.release();
      throw toSiloError(err);
    }
  }

  /** Records written so far, including those found at open. */
  get size(): number {
    return this.#seq;
  }

  /**
   * Appends one record, filling in `seq`, `at` and `prev`, and resolves once it is on stable
   * storage (a synchronous-I/O write). Appends are serialised in call order.
   *
   * @throws SiloError ERR_INTERNAL when the record is malformed (a bug) or the write fails; after
   *   a failed write every later append fails until the log is reopened, which cuts the torn line.
   *   ERR_CONFLICT when the file grew under this process (another writer).
   */
  append(record: NewEgressRecord): Promise<EgressRecord> {
    return this.#exclusive(async () => {
      if (this.#closed) throw new SiloError('ERR_INTERNAL', `egress log ${this.path} is closed`);
      if (this.#broken !== undefined) throw this.#broken;
      const parsed = egressRecordSchema.safeParse({
        seq: this.#seq,
        at: this.#now(),
        ...record,
        prev: this.#prev,
      });
      if (!parsed.success) {
        throw new SiloError('ERR_INTERNAL', `refusing to log a malformed ${record.kind} record`, {
          cause: parsed.error,
        });
      }
      const text = Buffer.from(JSON.stringify(parsed.data), 'utf8');
      // A metadata read the kernel answers from memory: synchronous, it costs a system call, where
      // the asynchronous form costs a round trip through the thread pool on every append.
      const { size } = fstatSync(this.#file.fd);
      if (size !== this.#size) {
        throw new SiloError(
          'ERR_CONFLICT',
          `egress log ${this.path} changed under the worker (${size} bytes, expected ${this.#size}): ` +
            'is another worker using the same state directory?',
        );
      }
      try {
        await writeAll(this.#file, Buffer.concat([text, Uint8Array.of(NEWLINE)]));
      } catch (err) {
        this.#broken = new SiloError('ERR_INTERNAL', `writing egress log ${this.path} failed`, {
          cause: err,
        });
        throw this.#broken;
      }
      this.#size += text.length + 1;
      this.#seq += 1;
      this.#prev = sha256Hex(text);
      return parsed.data;
    });
  }

  /** Waits for pending appends and closes the file. */
  close(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      this.#closed = true;
      try {
        await this.#file.close();
      } finally {
        await this.#lock.release();
      }
    });
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await file.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}
