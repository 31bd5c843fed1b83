/**
 * @silo/audit: the auditor's deep check of a Silo ledger directory. On top of the Merkle and
 * checkpoint checks of @silo/ledger it replays every entry: key history, update signatures,
 * aggregate records, and each aggregate recomputed from the blobs bit for bit. Also the
 * read-only proofs (inclusion, consistency) an auditor hands to third parties.
 *
 * @packageDocumentation
 */
export { auditLedger, BLOBS_DIR, type AuditOptions } from './audit-ledger.js';
export {
  AUDIT_CHECKS,
  type AuditReport,
  type AuditCheck,
  type AuditCheckName,
  type AuditFinding,
  type AuditWarning,
  type AuditWarningCode,
  type AuditRun,
} from './report.js';
export {
  readLedgerView,
  type LedgerView,
  type LedgerViewOptions,
  type ViewCheckpoint,
} from './ledger-view.js';
export {
  proveInclusion,
  proveConsistency,
  type InclusionProof,
  type ConsistencyProof,
  type ProofRoot,
} from './proofs.js';
