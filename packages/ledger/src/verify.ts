import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SiloError } from '@silo/common';
import { verifyCheckpoint, type Checkpoint } from './checkpoint.js';
import { MerkleTree, bytesEqual, leafHash } from './merkle.js';
import { verifyConsistency } from './merkle-verify.js';
import { parseVerifierKey } from './note.js';
import { readRecordFile, scanRecords } from './records.js';
import { CHECKPOINTS_FILE, ENTRIES_FILE } from './store.js';

/** What {@link verifyLedgerDir} found. */
export interface LedgerAudit {
  /** True when there are no problems (warnings allowed). */
  readonly ok: boolean;
  /** Intact entries in the log. */
  readonly size: number;
  /** Checkpoint records examined. */
  readonly checkpoints: number;
  /** Size of the latest checkpoint that verified and matched the entries, if any. */
  readonly verifiedSize: number | undefined;
  /** Reasons the ledger cannot be trusted, one per finding. */
  readonly problems: readonly string[];
  /** Findings that do not break trust, such as a crash-torn tail or unsigned recent entries. */
  readonly warnings: readonly string[];
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Audits a ledger directory offline, without modifying it: recomputes the Merkle tree from the
 * entries, verifies every stored checkpoint's signature with `verifierKeyText` and its origin,
 * checks each root against the recomputed root at its size, and checks consistency between
 * successive checkpoints.
 *
 * @throws SiloError ERR_BAD_INPUT when `verifierKeyText` does not parse, ERR_NOT_FOUND when
 *   `dir` does not exist. Everything wrong with the ledger itself is reported, not thrown.
 */
export async function verifyLedgerDir(
  dir: string,
  verifierKeyText: string,
  origin: string,
): Promise<LedgerAudit> {
  const key = parseVerifierKey(verifierKeyText);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new SiloError('ERR_NOT_FOUND', `no ledger directory at ${dir}`);

  const problems: string[] = [];
  const warnings: string[] = [];

  const entries = await readRecordFile(join(dir, ENTRIES_FILE));
  if (!entries.exists) problems.push(`${ENTRIES_FILE} is missing`);
  const scan = scanRecords(entries.data);
  if (scan.tail) {
    warnings.push(
      `${ENTRIES_FILE}: ${scan.tail.bytes} bytes after ${scan.records.length} intact entries are damaged ` +
        `(${scan.tail.reason} at byte ${scan.tail.offset}); a crash mid-append leaves this, and opening the store cuts it`,
    );
  }
  const tree = MerkleTree.from(scan.records.map((r) => leafHash(r.payload)));

  const cpFile = await readRecordFile(join(dir, CHECKPOINTS_FILE));
  const cpScan = scanRecords(cpFile.data);
  if (cpScan.tail) {
    warnings.push(`${CHECKPOINTS_FILE}: damaged tail of ${cpScan.tail.bytes} bytes (${cpScan.tail.reason})`);
  }

  // A checkpoint "matches" when its root equals the recomputed root at its size.
  interface Seen {
    readonly checkpoint: Checkpoint;
    readonly matches: boolean;
  }
  let previous: Seen | undefined;
  let verifiedSize: number | undefined;
  cpScan.records.forEach((record, i) => {
    let cp: Checkpoint;
    try {
      cp = verifyCheckpoint(record.payload, key, origin);
    } catch (err) {
      problems.push(`checkpoint ${i}: ${messageOf(err)}`);
      return;
    }
    const at = `checkpoint ${i} (size ${cp.size})`;
    const found: string[] = [];
    const matches = cp.size <= tree.size && bytesEqual(cp.root, tree.root(cp.size));
    if (cp.size > tree.size) {
      found.push(`${at}: covers more entries than the ${tree.size} intact ones in ${ENTRIES_FILE}`);
    } else if (!matches) {
      found.push(`${at}: root does not match the entries`);
    }
    if (previous !== undefined) found.push(...consistencyProblems(previous, { checkpoint: cp, matches }, at));
    problems.push(...found);
    if (found.length === 0) verifiedSize = cp.size;
    previous = { checkpoint: cp, matches };
  });

  function consistencyProblems(prev: Seen, next: Seen, at: string): string[] {
    const [p, c] = [prev.checkpoint, next.checkpoint];
    if (c.size < p.size) return [`${at}: rolls the log back from size ${p.size}`];
    // Every tree extends the empty one. Otherwise the only proofs to hand come from the entries,
    // so consistency can be judged only when the later checkpoint matches them; when it does not,
    // its root mismatch is already reported and whether it extends `prev` is unknowable here.
    if (p.size === 0 || !next.matches) return [];
    if (!prev.matches) {
      // The log behind `next` fixes the root at every smaller size, and it is not `prev`'s: the
      // key signed two views that cannot both be true.
      return [`${at}: not consistent with the checkpoint at size ${p.size}, whose root this log never had`];
    }
    try {
      verifyConsistency(p.size, c.size, tree.consistencyProof(p.size, c.size), p.root, c.root);
      return [];
    } catch (err) {
      return [`${at}: not consistent with the checkpoint at size ${p.size}: ${messageOf(err)}`];
    }
  }

  if (cpScan.records.length === 0) {
    warnings.push('no checkpoints: no entry is attested by a signature');
  } else if (verifiedSize !== undefined && verifiedSize < tree.size) {
    warnings.push(`${tree.size - verifiedSize} entries after the latest checkpoint are not yet signed`);
  }
  return {
    ok: problems.length === 0,
    size: tree.size,
    checkpoints: cpScan.records.length,
    verifiedSize,
    problems,
    warnings,
  };
}
