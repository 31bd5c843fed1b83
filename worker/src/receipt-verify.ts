import { SiloError, toSiloError } from '@silo/common';
import {
  decodeEntry,
  leafHash,
  parseCheckpoint,
  verifyCheckpoint,
  verifyInclusion,
  type Checkpoint,
  type LedgerEntry,
  type VerifierKey,
} from '@silo/ledger';
import type { FlattenedJws } from '@silo/signing';

/** What the worker knows about an update it sent, which a receipt must match. */
export interface SentUpdate {
  readonly runId: string;
  readonly round: number;
  /** The entry index the coordinator's SubmitUpdate reply named. */
  readonly entryIndex: number;
  readonly updateDigest: string;
  /** The signed manifest exactly as sent. */
  readonly manifest: FlattenedJws;
}

/** A ledger receipt's fields, as received (the protobuf `LedgerReceipt`). */
export interface LedgerReceiptData {
  readonly entryIndex: number;
  readonly entry: Uint8Array;
  /** C2SP signed note of the checkpoint. */
  readonly checkpoint: string;
  readonly treeSize: number;
  readonly proof: readonly Uint8Array[];
}

/** Whom a receipt's checkpoint must be signed by. */
export interface ReceiptTrust {
  /** The coordinator's ledger verifier key; without it the signature is not checked. */
  readonly verifierKey?: VerifierKey | undefined;
  /** Checkpoint origin; default the verifier key's name (and unchecked without key or origin). */
  readonly origin?: string | undefined;
  /** Checkpoints verified before, to look a repeated one up in rather than check it again. */
  readonly checkpoints?: VerifiedCheckpoints | undefined;
}

/** Checkpoints kept by a {@link VerifiedCheckpoints} by default. */
const VERIFIED_CHECKPOINTS_KEPT = 16;

/**
 * Checkpoint notes that verified, by the exact note text, verifier key and origin they verified
 * with. Every update of a round is receipted with the same checkpoint, so workers sharing a
 * process (a simulation's virtual workers) check its signature once, not once each. A note that
 * fails is not kept: it is checked, and refused, every time. Holds the most recent few.
 */
export class VerifiedCheckpoints {
  readonly #kept = new Map<string, Checkpoint>();
  readonly #capacity: number;

  constructor(capacity = VERIFIED_CHECKPOINTS_KEPT) {
    this.#capacity = capacity;
  }

  /**
   * {@link verifyCheckpoint}, answered from memory for a note verified before with the same key
   * (name, key id and public key) and origin.
   *
   * @throws SiloError as `verifyCheckpoint`.
   */
  verify(note: string, verifierKey: VerifierKey, origin: string): Checkpoint {
    const { name, keyId, publicKeyRaw } = verifierKey;
    const id = JSON.stringify([origin, name, keyId, Buffer.from(publicKeyRaw).toString('base64'), note]);
    const kept = this.#kept.get(id);
    if (kept !== undefined) return kept;
    const checkpoint = verifyCheckpoint(note, verifierKey, origin);
    if (this.#kept.size >= this.#capacity) {
      const oldest = this.#kept.keys().next();
      if (oldest.done !== true) this.#kept.delete(oldest.value);
    }
    this.#kept.set(id, checkpoint);
    return checkpoint;
  }
}

/** Why a receipt was refused. */
export type ReceiptFailureReason =
  /** The receipt is for another entry index than the one asked for. */
  | 'index-mismatch'
  /** The entry is not a ledger entry at all. */
  | 'bad-entry'
  /** The entry is some other kind of entry. */
  | 'not-an-update'
  /** The entry's manifest is not exactly the one the worker sent. */
  | 'manifest-mismatch'
  /** The entry names another update digest. */
  | 'digest-mismatch'
  /** The entry names another run or round than the update was sent for. */
  | 'entry-mismatch'
  /** The checkpoint is not a well-formed checkpoint note, or is for another origin. */
  | 'bad-checkpoint'
  /** The checkpoint is not signed by the pinned coordinator key. */
  | 'bad-signature'
  /** The receipt's tree size is not the size its checkpoint covers. */
  | 'tree-size-mismatch'
  /** The inclusion proof does not lead from the entry to the checkpoint's root. */
  | 'bad-proof';

/** The outcome of {@link verifyLedgerReceipt}: a checkpoint only when the receipt holds up. */
export type ReceiptVerdict =
  | {
      readonly ok: true;
      /** `verified` when the checkpoint's signature was checked against a pinned key. */
      readonly signature: 'verified' | 'unverified';
      readonly checkpoint: Checkpoint;
    }
  | { readonly ok: false; readonly reason: ReceiptFailureReason; readonly error: SiloError };

type Failure = Extract<ReceiptVerdict, { ok: false }>;

function fail(
  reason: ReceiptFailureReason,
  code: SiloError['code'],
  message: string,
  cause?: unknown,
): Failure {
  return { ok: false, reason, error: new SiloError(code, message, { cause }) };
}

/**
 * Checks a ledger receipt against the update the worker sent: the entry is an `update` entry
 * carrying exactly the manifest sent, for its run, round and digest; the inclusion proof leads
 * from the entry's leaf hash at the expected index to the root of the checkpoint at the
 * receipt's tree size; and the checkpoint is signed by the pinned coordinator key. Pure: no I/O.
 *
 * Returns a verdict rather than throwing so a refused receipt can be recorded as evidence; a
 * caller cannot reach the checkpoint without first checking `ok`.
 */
export function verifyLedgerReceipt(
  receipt: LedgerReceiptData,
  sent: SentUpdate,
  trust: ReceiptTrust,
): ReceiptVerdict {
  const refused = checkEntry(receipt, sent);
  if (refused !== undefined) return refused;
  const opened = openCheckpoint(receipt.checkpoint, trust);
  if (!opened.ok) return opened;
  const { checkpoint } = opened;
  if (receipt.treeSize !== checkpoint.size) {
    return fail(
      'tree-size-mismatch',
      'ERR_CONFLICT',
      `receipt claims tree size ${receipt.treeSize}, its checkpoint covers ${checkpoint.size}`,
    );
  }
  try {
    verifyInclusion(
      leafHash(receipt.entry),
      sent.entryIndex,
      checkpoint.size,
      receipt.proof,
      checkpoint.root,
    );
  } catch (err) {
    const why = toSiloError(err).message;
    return fail(
      'bad-proof',
      'ERR_DIGEST_MISMATCH',
      `inclusion proof of entry ${sent.entryIndex}: ${why}`,
      err,
    );
  }
  return { ok: true, signature: trust.verifierKey === undefined ? 'unverified' : 'verified', checkpoint };
}

function checkEntry(receipt: LedgerReceiptData, sent: SentUpdate): Failure | undefined {
  const at = `ledger entry ${sent.entryIndex}`;
  if (receipt.entryIndex !== sent.entryIndex) {
    return fail(
      'index-mismatch',
      'ERR_CONFLICT',
      `asked for the receipt of entry ${sent.entryIndex}, got one for entry ${receipt.entryIndex}`,
    );
  }
  let entry: LedgerEntry;
  try {
    entry = decodeEntry(receipt.entry, sent.entryIndex);
  } catch (err) {
    return fail('bad-entry', 'ERR_LEDGER_CORRUPT', toSiloError(err).message, err);
  }
  if (entry.type !== 'update')
    return fail('not-an-update', 'ERR_CONFLICT', `${at} is a ${entry.type} entry, not an update`);
  const m = entry.manifest;
  const sentManifest = sent.manifest;
  if (
    m.protected !== sentManifest.protected ||
    m.payload !== sentManifest.payload ||
    m.signature !== sentManifest.signature
  ) {
    return fail('manifest-mismatch', 'ERR_BAD_MANIFEST', `${at} carries a manifest other than the one sent`);
  }
  if (entry.updateDigest !== sent.updateDigest) {
    return fail(
      'digest-mismatch',
      'ERR_DIGEST_MISMATCH',
      `${at} names update ${entry.updateDigest}, the worker sent ${sent.updateDigest}`,
    );
  }
  if (entry.runId !== sent.runId || entry.round !== sent.round) {
    return fail(
      'entry-mismatch',
      'ERR_CONFLICT',
      `${at} is for ${entry.runId} round ${entry.round}, the update was for ${sent.runId} round ${sent.round}`,
    );
  }
  return undefined;
}

function openCheckpoint(note: string, trust: ReceiptTrust): Failure | { ok: true; checkpoint: Checkpoint } {
  const key = trust.verifierKey;
  if (key !== undefined) {
    const origin = trust.origin ?? key.name;
    try {
      const checkpoint =
        trust.checkpoints === undefined
          ? verifyCheckpoint(note, key, origin)
          : trust.checkpoints.verify(note, key, origin);
      return { ok: true, checkpoint };
    } catch (err) {
      const error = toSiloError(err);
      return error.code === 'ERR_BAD_SIGNATURE'
        ? fail('bad-signature', 'ERR_BAD_SIGNATURE', `checkpoint: ${error.message}`, err)
        : fail('bad-checkpoint', 'ERR_BAD_INPUT', `checkpoint: ${error.message}`, err);
    }
  }
  // No pinned key: read the body without trusting it, so the proof can still be checked.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return fail('bad-checkpoint', 'ERR_BAD_INPUT', 'checkpoint is not a signed note');
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(note.slice(0, split + 1));
  } catch (err) {
    return fail('bad-checkpoint', 'ERR_BAD_INPUT', `checkpoint: ${toSiloError(err).message}`, err);
  }
  if (trust.origin !== undefined && checkpoint.origin !== trust.origin) {
    return fail(
      'bad-checkpoint',
      'ERR_BAD_INPUT',
      `checkpoint is for origin ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(trust.origin)}`,
    );
  }
  return { ok: true, checkpoint };
}
