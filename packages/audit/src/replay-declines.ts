import type { DeclinedEntry } from '@silo/ledger';
import { DECLINE_TYP, type DeclineClaims } from '@silo/protocol';
import { verifySigned } from '@silo/signing';
import { problem, problemFrom, type Problem, type ReplayContext } from './replay-context.js';

const BOUND_FIELDS = ['runId', 'round', 'keyId', 'code', 'reason'] as const;

/**
 * Replays a `declined` entry: the worker's signed decline must verify against its key as the
 * key history stands at this entry, and the entry must say what the worker signed.
 */
export async function replayDecline(ctx: ReplayContext, index: number, entry: DeclinedEntry): Promise<void> {
  let claims: Partial<DeclineClaims>;
  try {
    const verified = await verifySigned(entry.decline, DECLINE_TYP, (kid) => ctx.registry.activeKey(kid));
    if (verified.keyId !== entry.keyId) {
      ctx.report.tally('declines', [
        problem(
          index,
          'ERR_BAD_SIGNATURE',
          `decline signed by ${verified.keyId}, entry names ${entry.keyId}`,
        ),
      ]);
      return;
    }
    claims = verified.payload as Partial<DeclineClaims>;
  } catch (err) {
    ctx.report.tally('declines', [
      problemFrom(
        index,
        err,
        `decline by ${entry.keyId} does not verify against the keys enrolled at the time`,
      ),
    ]);
    return;
  }
  const found: Problem[] = BOUND_FIELDS.filter((field) => claims[field] !== entry[field]).map((field) =>
    problem(index, 'ERR_BAD_MANIFEST', `decline entry's ${field} differs from what the worker signed`),
  );
  if (!ctx.runs.has(entry.runId)) {
    found.push(
      problem(index, 'ERR_WRONG_RUN', `decline for run ${entry.runId}, which no earlier entry created`),
    );
  }
  ctx.report.tally('declines', found);
}
