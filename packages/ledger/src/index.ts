/**
 * @silo/ledger: a tamper-evident, append-only log. RFC 6962 Merkle trees and proofs, C2SP
 * signed notes and tlog checkpoints, a crash-safe on-disk store, and an offline auditor.
 *
 * @packageDocumentation
 */
export {
  HASH_BYTES,
  MerkleTree,
  leafHash,
  nodeHash,
  emptyRootHash,
  rootHash,
  inclusionProof,
  consistencyProof,
} from './merkle.js';
export { verifyInclusion, verifyConsistency } from './merkle-verify.js';
export {
  parseVerifierKey,
  formatVerifierKey,
  parseSignerKey,
  noteKeyId,
  isValidKeyName,
  ed25519PublicKeyRaw,
  signNote,
  verifyNote,
  type VerifierKey,
  type NoteSigner,
  type NoteSignatureRef,
  type VerifiedNote,
} from './note.js';
export {
  formatCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
  type Checkpoint,
} from './checkpoint.js';
export {
  LedgerStore,
  ENTRIES_FILE,
  CHECKPOINTS_FILE,
  DEFAULT_MAX_ENTRY_BYTES,
  type LedgerStoreOptions,
  type StoredCheckpoint,
  type AppendResult,
} from './store.js';
export type { DamagedTail } from './records.js';
export type { TruncationEvent } from './store-io.js';
export { verifyLedgerDir, type LedgerAudit } from './verify.js';
export {
  AGGREGATE_RECORD_TYP,
  encodeEntry,
  decodeEntry,
  parseAggregateRecord,
  ledgerEntrySchema,
  aggregateRecordSchema,
  type LedgerEntry,
  type NewLedgerEntry,
  type KeyEnrolledEntry,
  type KeyRevokedEntry,
  type RunEntry,
  type UpdateEntry,
  type RejectionEntry,
  type DeclinedEntry,
  type EvaluationEntry,
  type AggregateRecord,
  type RevealedSecrets,
  type AggregateEntry,
  type RunEndedEntry,
} from './entries.js';
