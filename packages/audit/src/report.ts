import type { SiloErrorCode } from '@silo/common';

/**
 * The checks an audit performs, in the order the report lists them:
 *
 * - `checkpoints`: the Merkle tree recomputed from the entries, every signed checkpoint
 *   verified against it and their consistency (`verifyLedgerDir`);
 * - `schema`: every entry decodes against the ledger schema;
 * - `keys`: key enrolments and revocations replayed in ledger order;
 * - `runs`: every run names the coordinator key, a valid layout and a known strategy;
 * - `update-signatures`: every update manifest verifies against a key enrolled at the time;
 * - `updates`: every update entry agrees with its manifest, names a known run and the round's
 *   base, and uses a fresh nonce;
 * - `aggregate-signatures`: every aggregate record is signed by the coordinator key;
 * - `aggregates`: every aggregate record agrees with the update entries it lists;
 * - `blobs`: every blob read hashes to its name;
 * - `recompute`: every aggregate recomputed from the blobs gives the recorded checkpoint;
 * - `privacy`: every round of a private run applies its configured mechanism, its ε recomputes
 *   from the rounds so far and stays within the budget, and logged noise has the declared scale;
 * - `run-ended`: every completed run ends on its last aggregate;
 * - `rejections`: the coordinator's refusals, counted by code;
 * - `declines`: workers' signed refusals of instructions, each verified against a key enrolled at
 *   the time and counted by code;
 * - `evaluations`: workers' signed federated-evaluation reports, each verified against a key
 *   enrolled at the time and about the checkpoint its round produced.
 */
export type AuditCheckName =
  | 'checkpoints'
  | 'schema'
  | 'keys'
  | 'runs'
  | 'update-signatures'
  | 'updates'
  | 'aggregate-signatures'
  | 'aggregates'
  | 'blobs'
  | 'recompute'
  | 'privacy'
  | 'run-ended'
  | 'rejections'
  | 'declines'
  | 'evaluations';

/** Every check, in report order. */
export const AUDIT_CHECKS: readonly AuditCheckName[] = [
  'checkpoints',
  'schema',
  'keys',
  'runs',
  'update-signatures',
  'updates',
  'aggregate-signatures',
  'aggregates',
  'blobs',
  'recompute',
  'privacy',
  'run-ended',
  'rejections',
  'declines',
  'evaluations',
];

/** A reason the ledger cannot be trusted. */
export interface AuditFinding {
  /** Ledger entry index the finding is about, when it is about one. */
  readonly entry?: number;
  /** Index in `checkpoints.log` of the checkpoint the finding is about, when it is about one. */
  readonly checkpoint?: number;
  readonly check: AuditCheckName;
  readonly code: SiloErrorCode;
  readonly reason: string;
}

/**
 * Why a warning was raised:
 *
 * - `WARN_TORN_TAIL`: a damaged record after the signed entries, which a crash mid-append leaves;
 * - `WARN_UNCOVERED`: entries no signed checkpoint covers yet (they are checked all the same);
 * - `WARN_KEYS_FROM_LEDGER`: no trusted worker keys were given, so the ledger's own were used;
 * - `WARN_NOT_AGGREGATED`: an accepted update that no aggregate used;
 * - `WARN_LEDGER`: anything else `verifyLedgerDir` warned about.
 */
export type AuditWarningCode =
  'WARN_TORN_TAIL' | 'WARN_UNCOVERED' | 'WARN_KEYS_FROM_LEDGER' | 'WARN_NOT_AGGREGATED' | 'WARN_LEDGER';

/** A finding that does not break trust on its own. */
export interface AuditWarning {
  readonly entry?: number;
  readonly check: AuditCheckName;
  readonly code: AuditWarningCode;
  readonly reason: string;
}

/** One check's tally. */
export interface AuditCheck {
  readonly name: AuditCheckName;
  /** Items (entries, checkpoints, blobs, aggregates) that passed the check. */
  readonly passed: number;
  /** Problems the check found. */
  readonly problems: number;
}

/** What became of one run. */
export interface AuditRun {
  readonly runId: string;
  /** Index of its `run` entry. */
  readonly entry: number;
  /** Rounds aggregated. */
  readonly rounds: number;
  /** Blob digest of the latest aggregate (the initial weights before any). */
  readonly checkpoint: string;
  /** `open` while no `run-ended` entry was seen. */
  readonly status: 'open' | 'completed' | 'failed' | 'cancelled';
}

/** The result of {@link auditLedger}. */
export interface AuditReport {
  /** True only when there are no problems (warnings allowed). */
  readonly ok: boolean;
  /** The checkpoint origin checked. */
  readonly origin: string;
  /** Key id (RFC 7638 thumbprint) of the coordinator key aggregate records must be signed with. */
  readonly coordinatorKeyId: string;
  /** Intact entries read. */
  readonly entries: number;
  /** Checkpoint records stored. */
  readonly checkpoints: number;
  /** Entries covered by the latest checkpoint that verified; 0 when none did. */
  readonly verifiedSize: number;
  /** Every check performed, in {@link AUDIT_CHECKS} order. */
  readonly checks: readonly AuditCheck[];
  /** Rejection entries by their code. */
  readonly rejections: Readonly<Record<string, number>>;
  readonly runs: readonly AuditRun[];
  readonly problems: readonly AuditFinding[];
  readonly warnings: readonly AuditWarning[];
}

/** Collects findings and per-check counts while an audit runs. */
export class ReportBuilder {
  readonly problems: AuditFinding[] = [];
  readonly warnings: AuditWarning[] = [];
  readonly #passed = new Map<AuditCheckName, number>();
  readonly #failed = new Map<AuditCheckName, number>();

  /** Records one item of `check`: passed when `findings` is empty, else each finding as a problem. */
  tally(check: AuditCheckName, findings: readonly Omit<AuditFinding, 'check'>[]): boolean {
    if (findings.length === 0) {
      this.#passed.set(check, (this.#passed.get(check) ?? 0) + 1);
      return true;
    }
    for (const finding of findings) this.problem({ ...finding, check });
    return false;
  }

  /** Records a problem without an item that passed or failed as a whole. */
  problem(finding: AuditFinding): void {
    const { entry, checkpoint, check, code, reason } = finding;
    // A fixed member order, so JSON reports read the same whichever check found what.
    this.problems.push({
      ...(entry === undefined ? {} : { entry }),
      ...(checkpoint === undefined ? {} : { checkpoint }),
      check,
      code,
      reason,
    });
    this.#failed.set(check, (this.#failed.get(check) ?? 0) + 1);
  }

  /** Adds `count` passed items to `check`. */
  pass(check: AuditCheckName, count = 1): void {
    this.#passed.set(check, (this.#passed.get(check) ?? 0) + count);
  }

  /** Records a warning; warnings never make a report fail. */
  warn(warning: AuditWarning): void {
    this.warnings.push(warning);
  }

  /** The tallies in report order. */
  checks(): AuditCheck[] {
    return AUDIT_CHECKS.map((name) => ({
      name,
      passed: this.#passed.get(name) ?? 0,
      problems: this.#failed.get(name) ?? 0,
    }));
  }
}
