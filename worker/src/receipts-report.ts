import { parseVerifierKey, verifyCheckpoint, type VerifierKey } from '@silo/ledger';
import type { FlattenedJws } from '@silo/signing';
import { readEgressLog, type EgressProblem } from './egress-log.js';
import { receiptFromRecord, type EgressRecord, type EgressRecordOf } from './egress-records.js';
import { verifyLedgerReceipt } from './receipt-verify.js';
import { egressLogPath } from './state-dir.js';

/** Options of {@link verifyReceipts}. */
export interface VerifyReceiptsOptions {
  /** The coordinator's ledger verifier key, as text (`name+hash+key`) or parsed. */
  coordinatorKey: string | VerifierKey;
  /** Checkpoint origin; default the key's name. */
  origin?: string | undefined;
}

/**
 * Where one update stands. `verified`: a receipt proves the coordinator logged it; `receipt-failed`:
 * a receipt came but does not hold up (evidence against the coordinator); `no-receipt`: accepted
 * (or maybe received) but never receipted, so the coordinator may have dropped it; `rejected`: the
 * coordinator refused it with a reason code, so no receipt is owed.
 */
export type UpdateReceiptStatus = 'verified' | 'receipt-failed' | 'no-receipt' | 'rejected';

/** One update the egress log says was sent, and what became of it. */
export interface UpdateReceiptReport {
  runId: string;
  round: number;
  updateDigest: string;
  /** The ledger index the coordinator named, when it accepted the update. */
  entryIndex?: number;
  status: UpdateReceiptStatus;
  /**
   * A `ReceiptFailureReason` for `receipt-failed`; for `no-receipt`: `pending` (still owed),
   * `receipt-missing` (the worker gave up), `no-answer` (the upload failed in transit) or
   * `unanswered` (no outcome recorded); the refusal code for `rejected`.
   */
  reason?: string;
  /** Tree size of the verified checkpoint. */
  treeSize?: number;
  message: string;
}

/** The result of {@link verifyReceipts}. */
export interface ReceiptsReport {
  /** True when the egress log is intact and every update not rejected has a verified receipt. */
  ok: boolean;
  egress: { records: number; problems: readonly EgressProblem[] };
  updates: UpdateReceiptReport[];
  /** Distinct signed checkpoints held, by tree size (root as hex). */
  checkpoints: { treeSize: number; root: string }[];
  /** Everything that makes `ok` false, one line each. */
  problems: string[];
  /** Things worth knowing that are not failures. */
  notes: string[];
}

interface SentUpdateHistory {
  runId: string;
  round: number;
  updateDigest: string;
  manifest: FlattenedJws;
  accepted: number[];
  failure?: { code: string; message: string };
  receipts: EgressRecordOf<'receipt'>[];
  missing: EgressRecordOf<'receipt-missing'>[];
}

/** Codes that mean the upload's fate is unknown, rather than that the coordinator refused it. */
const NO_ANSWER_CODES = new Set(['ERR_UNAVAILABLE', 'ERR_TIMEOUT', 'ERR_CANCELLED', 'ERR_INTERNAL']);

/**
 * Checks, from the owner's records alone, that the coordinator logged every update this worker
 * sent: reads the egress log in `stateDir` (checking its hash chain), then re-verifies every
 * stored ledger receipt against `coordinatorKey` and the manifest the log says was sent, and
 * compares the checkpoints held (one tree size must have one root).
 *
 * @throws SiloError ERR_BAD_INPUT for a malformed key, ERR_NOT_FOUND when there is no egress log.
 */
export async function verifyReceipts(
  stateDir: string,
  options: VerifyReceiptsOptions,
): Promise<ReceiptsReport> {
  const key =
    typeof options.coordinatorKey === 'string'
      ? parseVerifierKey(options.coordinatorKey.trim())
      : options.coordinatorKey;
  const origin = options.origin ?? key.name;
  const scan = await readEgressLog(egressLogPath(stateDir));
  const problems = scan.problems.map((p) => `egress log line ${p.line}: ${p.message}`);
  const notes: string[] = [];
  for (const r of scan.records) {
    if (r.kind === 'tail-cut')
      notes.push(
        `egress log line ${r.seq}: a torn line of ${r.cutBytes} bytes was cut at open (${r.reason})`,
      );
  }

  const updates = [...histories(scan.records).values()].map((h) => judge(h, key, origin, notes));
  for (const u of updates) {
    if (u.status === 'receipt-failed' || u.status === 'no-receipt')
      problems.push(`run ${u.runId} round ${u.round}${at(u.entryIndex)}: ${u.message}`);
    else if (u.status === 'rejected') notes.push(`run ${u.runId} round ${u.round}: ${u.message}`);
  }

  const checkpoints = heldCheckpoints(scan.records, key, origin);
  const sizes = new Map<number, Set<string>>();
  for (const cp of checkpoints) sizes.set(cp.treeSize, (sizes.get(cp.treeSize) ?? new Set()).add(cp.root));
  for (const [size, roots] of sizes) {
    if (roots.size > 1) {
      problems.push(
        `checkpoints of tree size ${size} with ${roots.size} different roots: the coordinator signed ` +
          'two different histories (a split view)',
      );
    }
  }
  if (sizes.size > 1) {
    notes.push(
      `checkpoints held at tree sizes ${[...sizes.keys()].join(', ')}: that each is a prefix of the next ` +
        "needs consistency proofs from an auditor's mirror of the ledger (silo audit verify)",
    );
  }
  return {
    ok: problems.length === 0,
    egress: { records: scan.records.length, problems: scan.problems },
    updates,
    checkpoints,
    problems,
    notes,
  };
}

const at = (entryIndex: number | undefined): string =>
  entryIndex === undefined ? '' : ` entry ${entryIndex}`;

/** Groups the log's records by update (run, round, digest), in the order the updates were sent. */
function histories(records: readonly EgressRecord[]): Map<string, SentUpdateHistory> {
  const byUpdate = new Map<string, SentUpdateHistory>();
  const keyOf = (r: { runId: string; round: number; updateDigest: string }): string =>
    `${r.runId}/${r.round}/${r.updateDigest}`;
  for (const r of records) {
    if (r.kind === 'update' && !byUpdate.has(keyOf(r))) {
      const { runId, round, updateDigest, manifest } = r;
      byUpdate.set(keyOf(r), {
        runId,
        round,
        updateDigest,
        manifest,
        accepted: [],
        receipts: [],
        missing: [],
      });
      continue;
    }
    if (
      r.kind !== 'accepted' &&
      r.kind !== 'update-failed' &&
      r.kind !== 'receipt' &&
      r.kind !== 'receipt-missing'
    )
      continue;
    const history = byUpdate.get(keyOf(r));
    if (history === undefined) continue;
    if (r.kind === 'accepted' && !history.accepted.includes(r.entryIndex))
      history.accepted.push(r.entryIndex);
    else if (r.kind === 'update-failed') history.failure = { code: r.code, message: r.message };
    else if (r.kind === 'receipt') history.receipts.push(r);
    else if (r.kind === 'receipt-missing') history.missing.push(r);
  }
  return byUpdate;
}

function judge(h: SentUpdateHistory, key: VerifierKey, origin: string, notes: string[]): UpdateReceiptReport {
  const base = { runId: h.runId, round: h.round, updateDigest: h.updateDigest };
  const entryIndex = h.receipts[0]?.entryIndex ?? h.accepted[0];
  const indexed = entryIndex === undefined ? base : { ...base, entryIndex };
  let verifiedSize: number | undefined;
  for (const record of h.receipts) {
    const sent = { ...base, entryIndex: record.entryIndex, manifest: h.manifest };
    const verdict = verifyLedgerReceipt(receiptFromRecord(record), sent, { verifierKey: key, origin });
    if (!verdict.ok) {
      return {
        ...base,
        entryIndex: record.entryIndex,
        status: 'receipt-failed',
        reason: verdict.reason,
        message: `receipt refused (${verdict.reason}): ${verdict.error.message}`,
      };
    }
    if (record.status === 'failed') {
      notes.push(
        `run ${h.runId} round ${h.round} entry ${record.entryIndex}: the worker refused this receipt ` +
          `(${record.reason ?? 'no reason'}) but it verifies with the key given here`,
      );
    }
    verifiedSize = verdict.checkpoint.size;
  }
  if (verifiedSize !== undefined) {
    const message = `receipted and verified in the tree of size ${verifiedSize}`;
    return { ...indexed, status: 'verified', treeSize: verifiedSize, message };
  }
  const missing = h.missing.at(-1);
  if (missing !== undefined) {
    const waited = `${Math.round(missing.waitedMs / 1000)} s and ${missing.attempts} requests`;
    const message = `no ledger receipt after ${waited}: the coordinator may have dropped it`;
    return { ...indexed, status: 'no-receipt', reason: 'receipt-missing', message };
  }
  if (h.accepted.length > 0) {
    const message =
      'accepted but no receipt yet (the worker may still be waiting for the checkpoint): ' +
      'if none comes, the coordinator may have dropped it';
    return { ...indexed, status: 'no-receipt', reason: 'pending', message };
  }
  if (h.failure !== undefined && !NO_ANSWER_CODES.has(h.failure.code)) {
    const message = `rejected by the coordinator with ${h.failure.code}: ${h.failure.message}`;
    return { ...base, status: 'rejected', reason: h.failure.code, message };
  }
  if (h.failure !== undefined) {
    const message =
      `the upload failed in transit (${h.failure.code}); no receipt: ` +
      'the coordinator may have received it and dropped it';
    return { ...base, status: 'no-receipt', reason: 'no-answer', message };
  }
  const message =
    'sent, but no answer is recorded (did the worker stop mid-upload?); the coordinator may have dropped it';
  return { ...base, status: 'no-receipt', reason: 'unanswered', message };
}

/** Distinct checkpoints signed by `key` among the stored receipts, by tree size. */
function heldCheckpoints(
  records: readonly EgressRecord[],
  key: VerifierKey,
  origin: string,
): { treeSize: number; root: string }[] {
  const seen = new Map<string, { treeSize: number; root: string }>();
  for (const r of records) {
    if (r.kind !== 'receipt') continue;
    try {
      const cp = verifyCheckpoint(r.checkpoint, key, origin);
      const root = Buffer.from(cp.root).toString('hex');
      seen.set(`${cp.size}/${root}`, { treeSize: cp.size, root });
    } catch {
      // A checkpoint this key did not sign says nothing about the coordinator's history; the
      // receipt holding it is already reported as failed.
    }
  }
  return [...seen.values()].sort((a, b) => a.treeSize - b.treeSize);
}
