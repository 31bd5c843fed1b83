import { z } from 'zod';
import { SiloError } from '@silo/common';

// What a Silo coordinator writes into its ledger. Every entry is one JSON object encoded as
// UTF-8, with `v: 1` and a `type`. The leaf hash covers the exact bytes written, so readers
// never re-serialize an entry: they parse the stored bytes and hash the stored bytes.

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256 digest');
const keyId = z.string().min(1).max(128);
const unixMs = z.number().int().nonnegative();
const runId = z.string().min(1).max(128);
const round = z.number().int().min(1);

/** A flattened JWS with no unprotected header, as stored in entries. */
export const flattenedJwsSchema = z
  .object({ protected: z.string().min(1), payload: z.string().min(1), signature: z.string().min(1) })
  .strict();

/** An admin enrolled a worker key; updates signed by it are accepted from `at` on. */
export const keyEnrolledEntrySchema = z
  .object({
    v: z.literal(1),
    type: z.literal('key-enrolled'),
    keyId,
    name: z.string().min(1),
    org: z.string(),
    /** The Ed25519 public key (RFC 8037 OKP JWK). */
    publicJwk: z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string().min(1) }).strict(),
    at: unixMs,
  })
  .strict();

/** An admin revoked a worker key; updates signed by it after this entry are invalid. */
export const keyRevokedEntrySchema = z
  .object({ v: z.literal(1), type: z.literal('key-revoked'), keyId, at: unixMs })
  .strict();

/** A run was created: everything that decides what its rounds compute. */
export const runEntrySchema = z
  .object({
    v: z.literal(1),
    type: z.literal('run'),
    runId,
    name: z.string(),
    createdAt: unixMs,
    /** The validated run configuration, as the coordinator holds it. */
    config: z.record(z.string(), z.unknown()),
    /** `modelSpecDigest` of the architecture. */
    specDigest: hex64,
    /** Tensor names and shapes of the flat weight vector. */
    layout: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()) }).strict()),
    /** Blob digest of the initial global weights (round 1's base). */
    initialCheckpoint: hex64,
    /** Strategy configuration (also inside `config`; here for readers that need only it). */
    strategy: z.record(z.string(), z.unknown()),
    /** Privacy settings; `null` while the run uses none. */
    privacy: z.record(z.string(), z.unknown()).nullable(),
    /** Key id of the coordinator key that signs this ledger's aggregate records. */
    coordinatorKeyId: keyId,
  })
  .strict();

/** An update the coordinator accepted: the worker's signed manifest and the blob it names. */
export const updateEntrySchema = z
  .object({
    v: z.literal(1),
    type: z.literal('update'),
    runId,
    round,
    keyId,
    /** The worker's signed update manifest, exactly as received. */
    manifest: flattenedJwsSchema,
    /** Blob digest of the update's canonical bytes (equals the manifest's `updateDigest`). */
    updateDigest: hex64,
    numExamples: z.number().int().positive(),
    nonce: z.string().min(1),
    acceptedAt: unixMs,
  })
  .strict();

/** An update the coordinator refused, with the reason code it answered. */
export const rejectionEntrySchema = z
  .object({
    v: z.literal(1),
    type: z.literal('rejection'),
    runId,
    /** The round that was collecting when the update arrived, or null when none was. */
    round: round.nullable(),
    /** The round the update claimed, when its manifest could be read. */
    claimedRound: z.number().int().nullable(),
    /** The key the update claimed; unverified when `code` is a signature or key error. */
    keyId: z.string().max(128).nullable(),
    code: z.string().regex(/^ERR_[A-Z_]+$/),
    reason: z.string().max(1024),
    /** SHA-256 of the manifest's JSON as received, when there was one. */
    manifestDigest: hex64.nullable(),
    at: unixMs,
  })
  .strict();

/** A worker declined an instruction (its owner's policy forbids it), in a JWS signed by its key. */
export const declinedEntrySchema = z
  .object({
    v: z.literal(1),
    type: z.literal('declined'),
    runId,
    round,
    keyId,
    code: z.string().regex(/^ERR_[A-Z_]+$/),
    reason: z.string().max(1024),
    /** The worker's signed decline (JWS typ `silo-decline+jws`), exactly as received. */
    decline: flattenedJwsSchema,
    at: unixMs,
  })
  .strict();

/**
 * A worker's report of how a round's checkpoint does on its held-out data (federated
 * evaluation), in a JWS signed by its key; the entry repeats what it signed.
 */
export const evaluationEntrySchema = z
  .object({
    v: z.literal(1),
    type: z.literal('evaluation'),
    runId,
    round,
    keyId,
    /** The checkpoint evaluated: the one round `round` produced. */
    checkpoint: hex64,
    numExamples: z.number().int().positive(),
    loss: z.number().nonnegative(),
    accuracy: z.number().min(0).max(1),
    /** The worker's signed report (JWS typ `silo-evaluation+jws`), exactly as received. */
    report: flattenedJwsSchema,
    at: unixMs,
  })
  .strict();

/** The payload of an aggregate record, signed by the coordinator (JWS typ {@link AGGREGATE_RECORD_TYP}). */
export const aggregateRecordSchema = z
  .object({
    v: z.literal(1),
    runId,
    round,
    /** Blob digest of the global weights the round started from. */
    base: hex64,
    /** The strategy configuration applied. */
    strategy: z.record(z.string(), z.unknown()),
    /** The accepted updates combined, by ledger entry index, in ascending index order. */
    updates: z
      .array(
        z
          .object({
            index: z.number().int().nonnegative(),
            keyId,
            updateDigest: hex64,
            numExamples: z.number().int().positive(),
          })
          .strict(),
      )
      .min(1),
    totalExamples: z.number().int().positive(),
    /** Blob digest of the new global weights. */
    checkpoint: hex64,
    /**
     * For strategies with server state (FedAvgM, FedAdam, …): blob digests of the state the round
     * started from (null in round 1) and of the state it left, so auditors can recompute.
     */
    stateIn: hex64.nullable().optional(),
    stateOut: hex64.optional(),
    /**
     * Differential privacy of the round (DP-FedAvg), when the run asks for it: the mechanism's
     * parameters, what the sampling rate was computed from, the blob of the Gaussian noise the
     * coordinator added to the clipped sum (central mode; null in local mode, where each worker
     * noised its own update), and ε at `delta` spent by the run up to and including this round.
     */
    privacy: z
      .object({
        mode: z.enum(['central', 'local']),
        clipNorm: z.number().positive(),
        noiseMultiplier: z.number().positive(),
        delta: z.number().positive().lt(1),
        /** Workers online when the round was sampled. */
        population: z.number().int().positive(),
        /** q = sampled / population. */
        samplingRate: z.number().positive().max(1),
        /** Workers sampled: the fixed denominator of the noised mean. */
        denominator: z.number().int().positive(),
        /** Local mode: the number of workers whose noise shares add up to the full noise. */
        shares: z.number().int().positive().optional(),
        noise: hex64.nullable(),
        epsilon: z.number().nonnegative(),
      })
      .strict()
      .optional(),
    /**
     * Secure aggregation (SecAgg+) of the round: the updates listed are masked inputs, and the
     * strategy took their unmasked mean. `survivors` are the workers whose masked inputs were
     * summed, `dropped` those that shared keys but sent no input (their masks were removed);
     * `revealed` is the blob of the adverts and reconstructed secrets unmasking used, from which
     * an auditor redoes it.
     */
    secureAggregation: z
      .object({
        threshold: z.number().int().min(2),
        neighbours: z.number().int().min(1),
        cohort: z.number().int().positive(),
        clipRange: z.number().positive(),
        quantizationBits: z.number().int().min(1).max(31),
        survivors: z.array(keyId),
        dropped: z.array(keyId),
        revealed: hex64,
      })
      .strict()
      .optional(),
    closedAt: unixMs,
  })
  .strict();

/** A round's aggregate: the coordinator-signed {@link AggregateRecord}. */
export const aggregateEntrySchema = z
  .object({ v: z.literal(1), type: z.literal('aggregate'), record: flattenedJwsSchema })
  .strict();

/** A run ended: completed (its final model), failed or cancelled. */
export const runEndedEntrySchema = z
  .object({
    v: z.literal(1),
    type: z.literal('run-ended'),
    runId,
    status: z.enum(['completed', 'failed', 'cancelled']),
    /** The last round reached. */
    round: z.number().int().nonnegative(),
    /** Blob digest of the final global weights. */
    checkpoint: hex64,
    error: z.string().optional(),
    /** Why a run completed before its last configured round, e.g. its privacy budget. */
    reason: z.string().max(1024).optional(),
    at: unixMs,
  })
  .strict();

export const ledgerEntrySchema = z.discriminatedUnion('type', [
  keyEnrolledEntrySchema,
  keyRevokedEntrySchema,
  runEntrySchema,
  updateEntrySchema,
  rejectionEntrySchema,
  declinedEntrySchema,
  aggregateEntrySchema,
  runEndedEntrySchema,
  evaluationEntrySchema,
]);

export type KeyEnrolledEntry = z.infer<typeof keyEnrolledEntrySchema>;
export type KeyRevokedEntry = z.infer<typeof keyRevokedEntrySchema>;
export type RunEntry = z.infer<typeof runEntrySchema>;
export type UpdateEntry = z.infer<typeof updateEntrySchema>;
export type RejectionEntry = z.infer<typeof rejectionEntrySchema>;
export type DeclinedEntry = z.infer<typeof declinedEntrySchema>;
export type EvaluationEntry = z.infer<typeof evaluationEntrySchema>;
export type AggregateRecord = z.infer<typeof aggregateRecordSchema>;

/**
 * The blob an aggregate record's `secureAggregation.revealed` names: what the coordinator unmasked
 * a round's sum with, so an auditor can redo it. It reveals nothing beyond the sum.
 */
export interface RevealedSecrets {
  v: 1;
  /** The session context keys and masks were bound to. */
  context: string;
  params: { threshold: number; clipRange: number; quantizationBits: number };
  neighbours: number;
  /** Hex seed of the neighbour graph over `cohort`. */
  graphSeed: string;
  cohort: string[];
  survivors: string[];
  dropped: string[];
  /** The signed advertisements of the workers that shared keys. */
  adverts: { protected: string; payload: string; signature: string }[];
  /** base64url secrets: self-mask seeds of survivors, mask keys of the dropped. */
  self: Record<string, string>;
  mask: Record<string, string>;
  /** The fixed DP denominator of the mean, or null to divide by the unmasked weight. */
  denominator: number | null;
}
export type AggregateEntry = z.infer<typeof aggregateEntrySchema>;
export type RunEndedEntry = z.infer<typeof runEndedEntrySchema>;
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;
/** An entry as passed to {@link encodeEntry}: `v` is filled in. */
export type NewLedgerEntry = LedgerEntry extends infer E ? (E extends unknown ? Omit<E, 'v'> : never) : never;

/** JWS `typ` of a coordinator-signed aggregate record. */
export const AGGREGATE_RECORD_TYP = 'silo-aggregate+jws';

/**
 * Encodes an entry as the bytes the ledger stores, after checking it against its schema so a
 * malformed entry never reaches the log.
 *
 * @throws SiloError `ERR_INTERNAL` naming the bad field: entries are built by the coordinator.
 */
export function encodeEntry(entry: NewLedgerEntry): Uint8Array {
  const complete = { v: 1, ...entry };
  const parsed = ledgerEntrySchema.safeParse(complete);
  if (!parsed.success) {
    throw new SiloError('ERR_INTERNAL', `invalid ${entry.type} ledger entry: ${describe(parsed.error)}`);
  }
  return Buffer.from(JSON.stringify(complete), 'utf8');
}

/**
 * Parses stored entry bytes.
 *
 * @throws SiloError `ERR_LEDGER_CORRUPT` when the bytes are not UTF-8 JSON or match no entry type.
 */
export function decodeEntry(bytes: Uint8Array, index?: number): LedgerEntry {
  const at = index === undefined ? 'ledger entry' : `ledger entry ${index}`;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new SiloError('ERR_LEDGER_CORRUPT', `${at} is not UTF-8 JSON`);
  }
  const parsed = ledgerEntrySchema.safeParse(value);
  if (!parsed.success) throw new SiloError('ERR_LEDGER_CORRUPT', `${at}: ${describe(parsed.error)}`);
  return parsed.data;
}

/**
 * Validates the payload of an aggregate record (after its signature was verified).
 *
 * @throws SiloError `ERR_LEDGER_CORRUPT` naming the bad field.
 */
export function parseAggregateRecord(value: unknown, index?: number): AggregateRecord {
  const parsed = aggregateRecordSchema.safeParse(value);
  if (!parsed.success) {
    const at = index === undefined ? 'aggregate record' : `aggregate record in entry ${index}`;
    throw new SiloError('ERR_LEDGER_CORRUPT', `${at}: ${describe(parsed.error)}`);
  }
  return parsed.data;
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.length === 0 ? '(root)' : issue.path.join('.');
  return `${path}: ${issue.message}`;
}
