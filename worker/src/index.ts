export { Worker, backoffDelay, type WorkerEvents, type WorkerOptions, type WorkerRecords } from './worker.js';
export { Trainer, type LocalTraining, type TrainedDelta } from './trainer.js';
export { ModelCache } from './model-cache.js';
export {
  SimulatedTrainer,
  SIMULATED_DROPOUT_CODE,
  NO_HETEROGENEITY,
  speedFactor,
  type Heterogeneity,
  type SimulatedTrainerEvents,
  type SimulatedTrainerOptions,
} from './simulated-trainer.js';
export {
  VirtualPool,
  virtualPoolConfigSchema,
  type VirtualPoolConfig,
  type VirtualPoolStats,
} from './virtual-pool.js';
export { attackDelta, attackSeed, flipLabels, formatAttack, parseAttack, type Attack } from './attack.js';
export { fetchModel, uploadUpdate, updateWireSize, type FetchedModel } from './transfer.js';
export { workerConfigSchema, type WorkerConfig } from './config.js';
export { startWorkerFromConfig, type StartWorkerOptions } from './start.js';
export { federationChannelCredentials } from './tls.js';
export { EGRESS_LOG_FILE, egressLogPath, ensureStateDir } from './state-dir.js';
export {
  EgressLog,
  EGRESS_CHAIN_START,
  readEgressLog,
  type EgressLogOptions,
  type EgressProblem,
  type EgressScan,
  type TailCut,
} from './egress-log.js';
export {
  egressRecordSchema,
  type EgressRecord,
  type EgressRecordKind,
  type EgressRecordOf,
  type NewEgressRecord,
} from './egress-records.js';
export {
  VerifiedCheckpoints,
  verifyLedgerReceipt,
  type LedgerReceiptData,
  type ReceiptFailureReason,
  type ReceiptTrust,
  type ReceiptVerdict,
  type SentUpdate,
} from './receipt-verify.js';
export {
  ReceiptFetcher,
  pendingReceipts,
  DEFAULT_RECEIPT_GIVE_UP_MS,
  DEFAULT_RECEIPT_INITIAL_DELAY_MS,
  DEFAULT_RECEIPT_MAX_DELAY_MS,
  type PendingReceipt,
  type ReceiptEvent,
  type ReceiptFailedEvent,
  type ReceiptFetcherOptions,
} from './receipt-fetcher.js';
export {
  verifyReceipts,
  type ReceiptsReport,
  type UpdateReceiptReport,
  type UpdateReceiptStatus,
  type VerifyReceiptsOptions,
} from './receipts-report.js';
export { policySchema, policyRefusal, type Policy, type TrainedRound } from './policy.js';
