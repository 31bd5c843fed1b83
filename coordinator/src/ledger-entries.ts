import { AGGREGATE_RECORD_TYP, encodeEntry, type AggregateRecord } from '@silo/ledger';
import type { EnrolledWorker, FlattenedJws, SigningKey } from '@silo/signing';
import { sha256Hex } from '@silo/tensors';
import type { AcceptedUpdate, RejectedUpdate, RunRecord, RunStatus } from './state.js';

// Builders of the entries the coordinator queues in the ledger outbox. They run before the Redis
// script that makes the state change, so an entry never depends on what the script decides.

export function runEntry(run: RunRecord, coordinatorKeyId: string): Uint8Array {
  return encodeEntry({
    type: 'run',
    runId: run.id,
    name: run.config.name,
    createdAt: run.createdAt,
    config: run.config as unknown as Record<string, unknown>,
    specDigest: run.specDigest,
    layout: run.layout.map((t) => ({ name: t.name, shape: [...t.shape] })),
    initialCheckpoint: run.checkpoint,
    strategy: run.config.strategy,
    privacy: run.config.privacy ?? null,
    coordinatorKeyId,
  });
}

export function updateEntry(runId: string, round: number, update: AcceptedUpdate): Uint8Array {
  return encodeEntry({
    type: 'update',
    runId,
    round,
    keyId: update.keyId,
    manifest: update.manifest,
    updateDigest: update.updateDigest,
    numExamples: update.numExamples,
    nonce: update.nonce,
    acceptedAt: update.acceptedAt,
  });
}

export function rejectionEntry(
  runId: string,
  round: number,
  rejection: RejectedUpdate,
  manifest: FlattenedJws | undefined,
): Uint8Array {
  const digest = manifest === undefined ? null : sha256Hex(Buffer.from(JSON.stringify(manifest), 'utf8'));
  return encodeEntry({
    type: 'rejection',
    runId,
    round,
    claimedRound: rejection.claimedRound >= 0 ? rejection.claimedRound : null,
    keyId: rejection.keyId === '' ? null : rejection.keyId.slice(0, 128),
    code: rejection.code,
    reason: rejection.reason.slice(0, 1024),
    manifestDigest: digest,
    at: rejection.at,
  });
}

/** Signs a round's aggregate record with the coordinator key and wraps it as an entry. */
export async function aggregateEntry(
  key: SigningKey,
  record: Omit<AggregateRecord, 'v'>,
): Promise<Uint8Array> {
  const jws = await key.sign(AGGREGATE_RECORD_TYP, { v: 1, ...record });
  return encodeEntry({ type: 'aggregate', record: jws });
}

export function runEndedEntry(
  run: RunRecord,
  status: Exclude<RunStatus, 'running'>,
  at: number,
  error?: string,
  final?: { round: number; checkpoint: string; reason?: string },
): Uint8Array {
  return encodeEntry({
    type: 'run-ended',
    runId: run.id,
    status,
    round: final?.round ?? run.round,
    checkpoint: final?.checkpoint ?? run.checkpoint,
    ...(error === undefined ? {} : { error }),
    ...(final?.reason === undefined ? {} : { reason: final.reason }),
    at,
  });
}

export function keyEnrolledEntry(worker: EnrolledWorker): Uint8Array {
  return encodeEntry({
    type: 'key-enrolled',
    keyId: worker.keyId,
    name: worker.name,
    org: worker.org,
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: worker.publicJwk.x },
    at: worker.enrolledAt,
  });
}

export function keyRevokedEntry(keyId: string, at: number): Uint8Array {
  return encodeEntry({ type: 'key-revoked', keyId, at });
}

export function declinedEntry(
  claims: { runId: string; round: number; keyId: string; code: string; reason: string },
  decline: FlattenedJws,
  at: number,
): Uint8Array {
  return encodeEntry({
    type: 'declined',
    runId: claims.runId,
    round: claims.round,
    keyId: claims.keyId,
    code: claims.code,
    reason: claims.reason,
    decline,
    at,
  });
}
