import type { KeyEnrolledEntry, KeyRevokedEntry } from '@silo/ledger';
import { problem, problemFrom, type Problem, type ReplayContext } from './replay-context.js';

/**
 * Replays a key enrolment. A key the auditor does not trust is a problem and stays out of the
 * registry, so every update signed by it fails too: the ledger cannot vouch for its own keys.
 */
export function replayEnrolment(ctx: ReplayContext, index: number, entry: KeyEnrolledEntry): void {
  const found: Problem[] = [];
  ctx.enrolled.add(entry.keyId);
  if (ctx.trustedKeyIds !== undefined && !ctx.trustedKeyIds.has(entry.keyId)) {
    found.push(
      problem(
        index,
        'ERR_UNKNOWN_KEY',
        `enrolls key ${entry.keyId} ('${entry.name}'), which is not among the auditor's trusted worker keys`,
      ),
    );
  } else {
    try {
      ctx.registry.enroll({
        publicJwk: entry.publicJwk,
        name: entry.name,
        org: entry.org,
        keyId: entry.keyId,
        enrolledAt: entry.at,
      });
    } catch (err) {
      found.push(problemFrom(index, err, `enrolment of key ${entry.keyId}`));
    }
  }
  ctx.report.tally('keys', found);
}

/** Replays a revocation: updates signed by the key after this entry no longer verify. */
export function replayRevocation(ctx: ReplayContext, index: number, entry: KeyRevokedEntry): void {
  const found: Problem[] = [];
  if (!ctx.enrolled.has(entry.keyId)) {
    found.push(
      problem(index, 'ERR_NOT_FOUND', `revokes key ${entry.keyId}, which no earlier entry enrolled`),
    );
  } else if (ctx.registry.get(entry.keyId) !== undefined) {
    ctx.registry.revoke(entry.keyId, entry.at);
  }
  ctx.report.tally('keys', found);
}
