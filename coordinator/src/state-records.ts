import type { Layout } from '@silo/tensors';
import type { RunConfig } from './config.js';

/** Lifecycle of a run. */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';
/** Lifecycle of a round: updates are accepted only while `collecting`. */
export type RoundStatus = 'collecting' | 'aggregating' | 'closed';

/** A run as stored in Redis. */
export interface RunRecord {
  id: string;
  config: RunConfig;
  status: RunStatus;
  /** The round in progress (1-based); after completion, the last round. */
  round: number;
  /** Digest of the global weights the current round starts from (the final model once completed). */
  checkpoint: string;
  layout: Layout;
  specDigest: string;
  createdAt: number;
  updatedAt: number;
  error?: string;
  /** Why a run completed before its last configured round (its privacy budget, say). */
  reason?: string;
  /** Blob digest of the strategy's server state after the last round, for stateful strategies. */
  strategyState?: string;
}

/** What one closed round produced. */
export interface RoundSummary {
  round: number;
  base: string;
  checkpoint: string;
  numUpdates: number;
  totalExamples: number;
  contributors: string[];
  rejected: number;
  trainLoss: number;
  trainAccuracy: number;
  evalLoss?: number;
  evalAccuracy?: number;
  /** Differential privacy of the round: what the accountant needs, and ε spent up to and including it. */
  privacy?: { samplingRate: number; noiseMultiplier: number; epsilon: number };
  /**
   * Bytes of update data received for the round, whatever became of the uploads (absent in
   * histories stored before rounds counted their bytes).
   */
  bytesIn?: number;
  /** Bytes of the round's base model sent to workers in completed downloads (evaluations not counted). */
  bytesOut?: number;
  durationMs: number;
  closedAt: number;
}

/** An update the coordinator accepted into a round. */
export interface AcceptedUpdate {
  keyId: string;
  updateDigest: string;
  numExamples: number;
  metrics: Record<string, number>;
  nonce: string;
  manifest: { protected: string; payload: string; signature: string };
  acceptedAt: number;
  /** Index of the update's ledger entry; set by {@link StateStore.acceptUpdate}. */
  entryIndex?: number;
  /** The update's encoding when not float32 (`masked`: a secure-aggregation input). */
  encoding?: 'float16' | 'int8' | 'masked';
}

/** An update the coordinator refused, kept so operators and auditors see what was refused. */
export interface RejectedUpdate {
  /** The key the update claimed (unverified when the code is a signature or key error). */
  keyId: string;
  /** The round the update claimed; it is recorded under the round that was collecting. */
  claimedRound: number;
  code: string;
  reason: string;
  at: number;
}

/** The state of one round. */
export interface RoundRecord {
  status: RoundStatus;
  base: string;
  openedAt: number;
  deadline: number;
  sampled: string[];
  /** Accepted updates that close the round, fixed when it opens. */
  quorum: number;
  /** 0 for the first deadline, then one more per retry. */
  attempt: number;
  /** For a run with differential privacy: the sampling the accountant counts, fixed at open. */
  privacy?: RoundPrivacy;
}

/** A federated evaluation of the checkpoint a round produced. */
export interface EvaluationRecord {
  checkpoint: string;
  openedAt: number;
  /** Reports after this are refused. */
  deadline: number;
  sampled: string[];
}

/** One worker's report on a checkpoint, from its own held-out data. */
export interface EvaluationReportRecord {
  keyId: string;
  numExamples: number;
  loss: number;
  accuracy: number;
  at: number;
}

/** How a private round was sampled. */
export interface RoundPrivacy {
  /** Workers online when the round was sampled. */
  population: number;
  /** q = sampled / population. */
  samplingRate: number;
  /** Workers sampled: the fixed denominator of the noised mean. */
  denominator: number;
  /** Local mode: workers among whom the noise is shared (the quorum). */
  shares?: number;
}

/** A worker that currently holds a Join stream. */
export interface OnlineWorker {
  keyId: string;
  name: string;
  backend: string;
  numExamples: number;
  lastSeen: number;
}

/** A worker seen before that holds no live Join stream now. */
export interface OfflineWorker {
  keyId: string;
  /** When its last stream ended, or its last ping when the process holding the stream went away. */
  lastSeen: number;
}

/** Which way bytes moved over the federation plane: updates `in`, models `out`. */
export type ByteDirection = 'in' | 'out';
