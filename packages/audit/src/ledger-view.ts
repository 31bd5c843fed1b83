import { join } from 'node:path';
import { SiloError, toSiloError } from '@silo/common';
import {
  CHECKPOINTS_FILE,
  ENTRIES_FILE,
  MerkleTree,
  leafHash,
  parseCheckpoint,
  parseVerifierKey,
  verifyCheckpoint,
  type Checkpoint,
  type DamagedTail,
  type VerifierKey,
} from '@silo/ledger';
import { RecordReader } from './record-reader.js';

/** A stored checkpoint as an auditor sees it. */
export interface ViewCheckpoint {
  /** Position in `checkpoints.log`, from 0. */
  readonly index: number;
  /** The signed note exactly as stored. */
  readonly note: string;
  readonly checkpoint: Checkpoint;
  /** `verified` when the note verified with the coordinator key; `unchecked` when none was given. */
  readonly signature: 'verified' | 'unchecked';
}

/** A read-only picture of a ledger directory: the Merkle tree of its entries and its checkpoints. */
export interface LedgerView {
  /** Tree over the intact entries of `entries.log`. */
  readonly tree: MerkleTree;
  /** Stored checkpoints, oldest first. */
  readonly checkpoints: readonly ViewCheckpoint[];
  /** Damage after the last intact entry, if any. */
  readonly tail: DamagedTail | undefined;
}

/** Options of {@link readLedgerView}. */
export interface LedgerViewOptions {
  /** The coordinator's verifier key (`name+hash+key`). Default: checkpoint signatures are not checked. */
  readonly coordinatorKey?: string;
  /** Checkpoint origin to require. Default: the verifier key's name. */
  readonly origin?: string;
}

/** One checkpoint record: its note and either the verified (or parsed) body or why it failed. */
export type CheckpointRecord =
  | { readonly index: number; readonly note: string; readonly checkpoint: Checkpoint }
  | { readonly index: number; readonly note: string; readonly error: SiloError };

/**
 * Reads and checks every record of `checkpoints.log`: verified against `key` and `origin` when a
 * key is given, otherwise only parsed. Failures are returned per record, not thrown.
 */
export async function readCheckpointRecords(
  dir: string,
  key?: { readonly key: VerifierKey; readonly origin: string },
): Promise<CheckpointRecord[]> {
  const reader = await RecordReader.open(join(dir, CHECKPOINTS_FILE));
  const records: CheckpointRecord[] = [];
  try {
    for (let payload = await reader.next(); payload !== undefined; payload = await reader.next()) {
      const index = records.length;
      const note = Buffer.from(payload).toString('utf8');
      try {
        const checkpoint =
          key === undefined
            ? parseCheckpoint(unverifiedBody(note))
            : verifyCheckpoint(payload, key.key, key.origin);
        records.push({ index, note, checkpoint });
      } catch (err) {
        records.push({ index, note, error: toSiloError(err) });
      }
    }
  } finally {
    await reader.close();
  }
  return records;
}

/**
 * Reads a ledger directory without changing it (unlike `LedgerStore.open`, which cuts a torn
 * tail): rebuilds the Merkle tree from `entries.log` and reads `checkpoints.log`.
 *
 * @throws SiloError ERR_BAD_INPUT for a malformed verifier key; ERR_NOT_FOUND when there is no
 *   `entries.log`; ERR_BAD_SIGNATURE (or ERR_BAD_INPUT for another origin) naming the first
 *   stored checkpoint that does not verify when a key is given, ERR_LEDGER_CORRUPT for one that
 *   does not parse.
 */
export async function readLedgerView(dir: string, options: LedgerViewOptions = {}): Promise<LedgerView> {
  const key = options.coordinatorKey === undefined ? undefined : parseVerifierKey(options.coordinatorKey);
  const reader = await RecordReader.open(join(dir, ENTRIES_FILE));
  const tree = new MerkleTree();
  try {
    if (!reader.exists) throw new SiloError('ERR_NOT_FOUND', `no ${ENTRIES_FILE} in ${dir}`);
    for (let payload = await reader.next(); payload !== undefined; payload = await reader.next()) {
      tree.append(leafHash(payload));
    }
  } finally {
    await reader.close();
  }
  const verifier = key === undefined ? undefined : { key, origin: options.origin ?? key.name };
  const checkpoints = (await readCheckpointRecords(dir, verifier)).map((record): ViewCheckpoint => {
    if ('error' in record) {
      const code = verifier === undefined ? 'ERR_LEDGER_CORRUPT' : record.error.code;
      throw new SiloError(code, `checkpoint ${record.index}: ${record.error.message}`, {
        cause: record.error,
      });
    }
    return { ...record, signature: verifier === undefined ? 'unchecked' : 'verified' };
  });
  return { tree, checkpoints, tail: reader.tail };
}

/** The text of a signed note before its signatures, split off without verifying them. */
function unverifiedBody(note: string): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new SiloError('ERR_BAD_INPUT', 'not a signed note (text, blank line, signatures)');
  return note.slice(0, split + 1);
}
