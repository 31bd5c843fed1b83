import { z } from 'zod';
import type { LedgerReceiptData } from './receipt-verify.js';

// The record kinds of the egress log. Each line is one of these, parsed strictly when read back:
// the log is the owner's evidence, so a reader must not guess at a field it does not recognise.

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256 digest');
const count = z.number().int().nonnegative();
const runId = z.string().min(1);
const round = count;

/** Fields every record carries. */
const common = {
  /** Position of the record in the log, from 0. */
  seq: count,
  /** Unix ms when the record was written. */
  at: count,
  /** Bytes of protobuf payload sent to the coordinator; 0 for records of what was received. */
  bytes: count,
  /** SHA-256 (hex) of the previous line without its newline; 64 zeros for the first record. */
  prev: hex64,
};

const jwsSchema = z.object({ protected: z.string(), payload: z.string(), signature: z.string() }).strict();

const receiptRef = { runId, round, entryIndex: count, updateDigest: hex64 };

/** Every kind of record, as it is stored. */
export const egressRecordSchema = z.discriminatedUnion('kind', [
  /** A Join request: who the worker said it was. */
  z
    .object({
      ...common,
      kind: z.literal('join'),
      keyId: z.string(),
      name: z.string(),
      backend: z.string(),
      numExamples: count,
      /** SHA-256 of the proof JWS in compact form (`protected.payload.signature`). */
      proofDigest: hex64,
    })
    .strict(),
  /** A GetChallenge request, sent before each Join. */
  z.object({ ...common, kind: z.literal('challenge-request'), keyId: z.string() }).strict(),
  /** A Decline: the owner's policy refused an instruction, and the worker told the coordinator why. */
  z
    .object({
      ...common,
      kind: z.literal('decline'),
      runId,
      round,
      code: z.string(),
      reason: z.string(),
      /** SHA-256 of the signed decline in compact form. */
      declineDigest: hex64,
    })
    .strict(),
  /**
   * A federated-evaluation report: the metrics of a checkpoint on the owner's held-out data,
   * signed, exactly as sent (nothing else about the held-out examples leaves).
   */
  z
    .object({
      ...common,
      kind: z.literal('evaluation'),
      runId,
      round,
      report: jwsSchema,
      checkpoint: hex64,
      numExamples: count,
      loss: z.number(),
      accuracy: z.number(),
    })
    .strict(),
  /**
   * A secure-aggregation message: the worker's public keys, the key shares it encrypted to its
   * neighbours, or the shares it revealed for unmasking, signed, exactly as sent.
   */
  z
    .object({
      ...common,
      kind: z.literal('secagg'),
      runId,
      round,
      step: z.enum(['advertise', 'shares', 'reveal']),
      message: jwsSchema,
    })
    .strict(),
  /** A FetchModel request. */
  z.object({ ...common, kind: z.literal('fetch-model'), runId, round, keyId: z.string() }).strict(),
  /** One upload attempt of an update, logged (on stable storage) before its first byte is sent. */
  z
    .object({
      ...common,
      kind: z.literal('update'),
      runId,
      round,
      /** The signed manifest exactly as sent. */
      manifest: jwsSchema,
      updateDigest: hex64,
      updateBytes: count,
      /** Data messages the update bytes travel in. */
      chunks: count,
      metrics: z.record(z.string(), z.number()),
      numExamples: count,
      /** 0 for the first upload of this update, then 1, 2, … for retries. */
      attempt: count,
    })
    .strict(),
  /** The coordinator's SubmitUpdate reply: the update is accepted and a ledger receipt is owed. */
  z
    .object({
      ...common,
      ...receiptRef,
      kind: z.literal('accepted'),
      duplicate: z.boolean(),
      acceptedAt: count,
    })
    .strict(),
  /** An upload that ended without acceptance: the coordinator's refusal, or no answer at all. */
  z
    .object({
      ...common,
      kind: z.literal('update-failed'),
      runId,
      round,
      updateDigest: hex64,
      code: z.string(),
      message: z.string(),
    })
    .strict(),
  /** A GetReceipt request. */
  z.object({ ...common, ...receiptRef, kind: z.literal('receipt-request') }).strict(),
  /** A ledger receipt as received, with the verdict the worker reached on it. */
  z
    .object({
      ...common,
      ...receiptRef,
      kind: z.literal('receipt'),
      status: z.enum(['verified', 'unverified-signature', 'failed']),
      /** Why a failed receipt was refused (a `ReceiptFailureReason`) and the detail. */
      reason: z.string().optional(),
      message: z.string().optional(),
      /** The receipt's fields, as received, so it can be checked again later. */
      receivedIndex: count,
      treeSize: count,
      entry: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
      checkpoint: z.string(),
      proof: z.array(z.string().regex(/^(?:[0-9a-f]{2})*$/, 'hex bytes')),
    })
    .strict(),
  /** The worker gave up waiting for a receipt. */
  z
    .object({
      ...common,
      ...receiptRef,
      kind: z.literal('receipt-missing'),
      waitedMs: count,
      attempts: count,
      lastError: z.string().optional(),
    })
    .strict(),
  /** A torn last line was cut when the log was opened; the cut bytes are named by digest. */
  z
    .object({
      ...common,
      kind: z.literal('tail-cut'),
      cutBytes: count,
      cutDigest: hex64,
      reason: z.string(),
    })
    .strict(),
]);

/** One egress-log record. */
export type EgressRecord = z.infer<typeof egressRecordSchema>;

/** The kinds of {@link EgressRecord}. */
export type EgressRecordKind = EgressRecord['kind'];

/** A record as passed to `EgressLog.append`: the log fills in `seq`, `at` and `prev`. */
export type NewEgressRecord = EgressRecord extends infer R
  ? R extends unknown
    ? Omit<R, 'seq' | 'at' | 'prev'>
    : never
  : never;

/** The record of one kind. */
export type EgressRecordOf<K extends EgressRecordKind> = Extract<EgressRecord, { kind: K }>;

/** The stored form of a received ledger receipt: bytes as base64 (entry) and hex (proof). */
export function receiptRecordFields(
  receipt: LedgerReceiptData,
): Pick<EgressRecordOf<'receipt'>, 'receivedIndex' | 'treeSize' | 'entry' | 'checkpoint' | 'proof'> {
  return {
    receivedIndex: receipt.entryIndex,
    treeSize: receipt.treeSize,
    entry: Buffer.from(receipt.entry).toString('base64'),
    checkpoint: receipt.checkpoint,
    proof: receipt.proof.map((hash) => Buffer.from(hash).toString('hex')),
  };
}

/** A stored receipt as the receipt it was, for checking it again. */
export function receiptFromRecord(record: EgressRecordOf<'receipt'>): LedgerReceiptData {
  return {
    entryIndex: record.receivedIndex,
    treeSize: record.treeSize,
    entry: new Uint8Array(Buffer.from(record.entry, 'base64')),
    checkpoint: record.checkpoint,
    proof: record.proof.map((hex) => new Uint8Array(Buffer.from(hex, 'hex'))),
  };
}
