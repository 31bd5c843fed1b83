import { SiloError, toSiloError, type SiloErrorCode } from '@silo/common';
import type { StrategyConfig } from '@silo/aggregation';
import type { RunEntry } from '@silo/ledger';
import type { UpdateEncoding } from '@silo/tensors';
import type { KeyRegistry, PublicJwk } from '@silo/signing';
import type { AuditFinding, AuditRun, ReportBuilder } from './report.js';

/** A finding before it is filed under a check. */
export type Problem = Omit<AuditFinding, 'check'>;

/** A problem about entry `entry`. */
export function problem(entry: number, code: SiloErrorCode, reason: string): Problem {
  return { entry, code, reason };
}

/** A problem about entry `entry` from a thrown error, its message prefixed by `what`. */
export function problemFrom(entry: number, err: unknown, what: string): Problem {
  const e = toSiloError(err);
  return { entry, code: e.code, reason: `${what}: ${e.message}` };
}

/** What the replay knows about a run. */
export interface RunState {
  /** Index of the `run` entry. */
  readonly entry: number;
  readonly run: RunEntry;
  /** Values in the weight vector; `undefined` when the layout is invalid (a problem already). */
  readonly length: number | undefined;
  /** Last round aggregated; 0 before the first. */
  round: number;
  /** The base of the next round: the latest aggregate's checkpoint, the initial weights before. */
  base: string;
  /** Index of the latest aggregate entry. */
  lastAggregate: number | undefined;
  /** Blob digest of the server state the latest aggregate left, for stateful strategies. */
  strategyState: string | null;
  status: AuditRun['status'];
  /** Index of the `run-ended` entry. */
  endedAt: number | undefined;
  /** The checkpoint each aggregated round produced, for the evaluations of it. */
  readonly checkpoints: Map<number, string>;
  /** The sampling and noise of every private round aggregated so far, for the accountant. */
  readonly privateRounds: { samplingRate: number; noiseMultiplier: number }[];
}

/** What the replay remembers of an update entry, for the aggregates that list it. */
export interface UpdateState {
  readonly runId: string;
  readonly round: number;
  readonly keyId: string;
  readonly updateDigest: string;
  readonly numExamples: number;
  /** How its blob encodes the values (`masked`: a secure-aggregation input). */
  readonly encoding: UpdateEncoding | 'masked';
  /** True when its manifest verified against a key enrolled at the time. */
  readonly verified: boolean;
  /** Index of the aggregate that used it. */
  aggregatedBy: number | undefined;
}

/** Everything the entry handlers share while the ledger is replayed in order. */
export interface ReplayContext {
  readonly report: ReportBuilder;
  readonly blobsDir: string;
  readonly coordinatorKeyId: string;
  readonly coordinatorJwk: PublicJwk;
  /** Key ids the auditor trusts; `undefined` to take the ledger's enrolments as they are. */
  readonly trustedKeyIds: ReadonlySet<string> | undefined;
  /** Worker keys as of the entry being replayed. */
  readonly registry: KeyRegistry;
  /** Key ids the ledger enrolled, trusted or not. */
  readonly enrolled: Set<string>;
  readonly runs: Map<string, RunState>;
  /** Update entries by index. */
  readonly updates: Map<number, UpdateState>;
  /** Entry that first used each nonce. */
  readonly nonces: Map<string, number>;
  /** Entry that first submitted each (run, round, key). */
  readonly submissions: Map<string, number>;
  /** Rejection entries by code. */
  readonly rejections: Map<string, number>;
}

/**
 * A strategy configuration from a ledger record; `createStrategy` refuses unknown names.
 *
 * @throws SiloError ERR_BAD_CONFIG when it has no name.
 */
export function strategyConfig(value: Record<string, unknown>): StrategyConfig {
  if (typeof value['name'] !== 'string') throw new SiloError('ERR_BAD_CONFIG', 'strategy has no name');
  return value as StrategyConfig;
}
