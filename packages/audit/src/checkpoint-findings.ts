import type { SiloErrorCode } from '@silo/common';
import { ENTRIES_FILE, type DamagedTail, type LedgerAudit, type MerkleTree } from '@silo/ledger';
import type { CheckpointRecord } from './ledger-view.js';
import type { AuditFinding, AuditWarning, ReportBuilder } from './report.js';

// Files what `verifyLedgerDir` found under the `checkpoints` check. Its findings are sentences;
// this adds what a reader needs to act on them: the checkpoint's index, an error code, and the
// entries a finding is about. A root hash cannot say which entry changed, only that something
// between the last checkpoint that still matches and this one did, so that range is named.

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** What the audit read itself, to locate `verifyLedgerDir`'s findings. */
export interface LedgerEvidence {
  /** Tree over the intact entries, as streamed. */
  readonly tree: MerkleTree;
  /** Every stored checkpoint, verified with the coordinator key. */
  readonly checkpoints: readonly CheckpointRecord[];
  /** Damage after the last intact entry, if any. */
  readonly tail: DamagedTail | undefined;
}

/** Files `ledger`'s problems and warnings into `report`, with indices and codes. */
export function fileLedgerAudit(report: ReportBuilder, ledger: LedgerAudit, evidence: LedgerEvidence): void {
  const failed = new Set<number>();
  for (const text of ledger.problems) {
    const finding = locateProblem(text, evidence);
    if (finding.checkpoint !== undefined) failed.add(finding.checkpoint);
    report.problem(finding);
  }
  report.pass('checkpoints', Math.max(0, ledger.checkpoints - failed.size));
  for (const text of ledger.warnings) report.warn(classifyWarning(text, ledger, evidence));
}

function locateProblem(text: string, evidence: LedgerEvidence): AuditFinding {
  const match = /^checkpoint (\d+)\b/.exec(text);
  if (match === null) return { check: 'checkpoints', code: 'ERR_LEDGER_CORRUPT', reason: text };
  const checkpoint = Number(match[1]);
  const record = evidence.checkpoints[checkpoint];
  if (record === undefined || 'error' in record) {
    const code: SiloErrorCode = record === undefined ? 'ERR_LEDGER_CORRUPT' : record.error.code;
    return { checkpoint, check: 'checkpoints', code, reason: text };
  }
  const { tree, tail } = evidence;
  const { size } = record.checkpoint;
  if (size > tree.size) {
    const damage = tail === undefined ? 'is missing' : `is damaged (${tail.reason} at byte ${tail.offset})`;
    return {
      entry: tree.size,
      checkpoint,
      check: 'checkpoints',
      code: 'ERR_LEDGER_CORRUPT',
      reason: `${text}; entry ${tree.size}, which the checkpoint signed, ${damage}`,
    };
  }
  if (!bytesEqual(record.checkpoint.root, tree.root(size))) {
    const from = lastMatchingSize(evidence, size);
    return {
      entry: from,
      checkpoint,
      check: 'checkpoints',
      code: 'ERR_LEDGER_CORRUPT',
      reason: `${text}: one of entries ${from}–${size - 1} is not what was signed (changed, inserted, removed or moved)`,
    };
  }
  return { checkpoint, check: 'checkpoints', code: 'ERR_LEDGER_CORRUPT', reason: text };
}

/** Largest size below `size` at which a verified checkpoint still matches the entries (0 if none). */
function lastMatchingSize({ tree, checkpoints }: LedgerEvidence, size: number): number {
  let best = 0;
  for (const record of checkpoints) {
    if ('error' in record) continue;
    const cp = record.checkpoint;
    if (cp.size < size && cp.size > best && bytesEqual(cp.root, tree.root(cp.size))) best = cp.size;
  }
  return best;
}

function classifyWarning(text: string, ledger: LedgerAudit, { tail }: LedgerEvidence): AuditWarning {
  if (tail !== undefined && text.startsWith(`${ENTRIES_FILE}:`)) {
    return { entry: ledger.size, check: 'checkpoints', code: 'WARN_TORN_TAIL', reason: text };
  }
  if (/^no checkpoints/.test(text) && ledger.size > 0) {
    return {
      entry: 0,
      check: 'checkpoints',
      code: 'WARN_UNCOVERED',
      reason: `no signed checkpoint covers entries 0–${ledger.size - 1}; they were checked all the same (${text})`,
    };
  }
  const from = ledger.verifiedSize;
  if (from !== undefined && from < ledger.size && /not yet signed/.test(text)) {
    return {
      entry: from,
      check: 'checkpoints',
      code: 'WARN_UNCOVERED',
      reason: `entries ${from}–${ledger.size - 1} are not covered by a signed checkpoint; they were checked all the same`,
    };
  }
  return { check: 'checkpoints', code: 'WARN_LEDGER', reason: text };
}
