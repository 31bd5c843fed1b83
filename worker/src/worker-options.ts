import type * as grpc from '@grpc/grpc-js';
import type { SiloError, Logger } from '@silo/common';
import type { VerifierKey } from '@silo/ledger';
import type { EvaluationClaims, Receipt } from '@silo/protocol';
import type { SigningKey, UpdateManifest } from '@silo/signing';
import type { Attack } from './attack.js';
import type { EgressLog } from './egress-log.js';
import type { Policy } from './policy.js';
import type { ReceiptEvent, ReceiptFailedEvent } from './receipt-fetcher.js';
import type { VerifiedCheckpoints } from './receipt-verify.js';
import type { Trainer } from './trainer.js';

/** What a worker reports to its host process. */
export interface WorkerEvents {
  joined: [];
  disconnected: [SiloError];
  submitted: [{ receipt: Receipt; manifest: Omit<UpdateManifest, 'v' | 'keyId'> }];
  failed: [{ runId: string; round: number; error: SiloError }];
  /** An instruction was not signed by the pinned coordinator key (or was malformed) and was dropped. */
  'instruction-refused': [SiloError];
  /** The owner's policy refused an instruction; the coordinator was told why. */
  declined: [{ runId: string; round: number; code: string; reason: string }];
  /** A federated-evaluation report was accepted by the coordinator. */
  evaluated: [EvaluationClaims];
  /** The owner's policy refused an evaluate instruction; nothing was fetched or sent. */
  'evaluation-refused': [{ runId: string; round: number; reason: string }];
  /** A ledger receipt for an accepted update arrived, was verified and recorded. */
  receipt: [ReceiptEvent];
  /** A ledger receipt was refused (and recorded as evidence), never came, or could not be recorded. */
  'receipt-failed': [ReceiptFailedEvent];
  /** A step of secure aggregation was refused (an unmasking request that would reveal too much, say). */
  'secagg-refused': [{ runId: string; round: number; step: string; error: SiloError }];
}

/** The owner's records: an egress log, and how ledger receipts are fetched and checked. */
export interface WorkerRecords {
  /** Every message to the coordinator is logged here before it is sent. The worker closes it on stop. */
  log: EgressLog;
  /** The coordinator's ledger verifier key; without it receipts are kept as unverified-signature. */
  ledgerKey?: VerifierKey | undefined;
  /** Origin line the checkpoints must carry; default the key's name. */
  ledgerOrigin?: string | undefined;
  /** Checkpoints verified already, shared by the workers of one process; default none. */
  verifiedCheckpoints?: VerifiedCheckpoints | undefined;
  /** Give up on a receipt this long after acceptance; default 30 minutes. */
  receiptGiveUpMs?: number;
  /** First receipt retry delay; default 1 s, doubling up to `receiptMaxDelayMs`, with full jitter. */
  receiptInitialDelayMs?: number;
  /**
   * Longest wait between receipt requests, and for the round of an accepted update to close
   * before the first request; default 60 s.
   */
  receiptMaxDelayMs?: number;
}

/** Options for `Worker`. */
export interface WorkerOptions {
  /** `host:port` of the coordinator. */
  coordinator: string;
  name: string;
  key: SigningKey;
  trainer: Trainer;
  backend: string;
  logger: Logger;
  /** First reconnect delay; doubles up to `maxDelayMs`, with full jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  maxModelBytes?: number;
  /**
   * Channel credentials to the coordinator, never defaulted so that plain text is always a
   * choice: mTLS from `federationChannelCredentials`, or `grpc.credentials.createInsecure()`.
   */
  credentials: grpc.ChannelCredentials;
  /**
   * The owner's egress log and receipt settings. Without them the worker logs nothing and fetches
   * no receipts (for embedding and tests); `startWorkerFromConfig` always provides them.
   */
  records?: WorkerRecords;
  /**
   * The coordinator's key, pinned: only instructions it signed are acted on. Without it,
   * instructions are taken unverified (a warning is logged once); `startWorkerFromConfig`
   * requires it unless the worker runs insecure.
   */
  coordinatorKey?: VerifierKey | undefined;
  /** The owner's policy; instructions outside it are declined with ERR_POLICY. */
  policy?: Policy | undefined;
  /**
   * SIMULATION AND TESTING ONLY: makes this worker malicious. After local training and before
   * signing, it corrupts its update as {@link Attack} says, so the update is still validly signed,
   * as a compromised data owner's would be. For checking that robust strategies cope; never set
   * it on a real worker. Default: none (an honest worker).
   */
  attack?: Attack | undefined;
}
