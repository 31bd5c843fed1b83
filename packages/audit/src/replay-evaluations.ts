import type { EvaluationEntry } from '@silo/ledger';
import { EVALUATION_TYP, type EvaluationClaims } from '@silo/protocol';
import { verifySigned } from '@silo/signing';
import { problem, problemFrom, type Problem, type ReplayContext } from './replay-context.js';

const BOUND_FIELDS = ['runId', 'round', 'keyId', 'checkpoint', 'numExamples', 'loss', 'accuracy'] as const;

/**
 * Replays an `evaluation` entry: the worker's signed report must verify against its key as the
 * key history stands at this entry, the entry must say what the worker signed, and the
 * checkpoint evaluated must be the one the run's round produced.
 */
export async function replayEvaluation(
  ctx: ReplayContext,
  index: number,
  entry: EvaluationEntry,
): Promise<void> {
  let claims: Partial<EvaluationClaims>;
  try {
    const verified = await verifySigned(entry.report, EVALUATION_TYP, (kid) => ctx.registry.activeKey(kid));
    if (verified.keyId !== entry.keyId) {
      ctx.report.tally('evaluations', [
        problem(
          index,
          'ERR_BAD_SIGNATURE',
          `evaluation signed by ${verified.keyId}, entry names ${entry.keyId}`,
        ),
      ]);
      return;
    }
    claims = verified.payload as Partial<EvaluationClaims>;
  } catch (err) {
    ctx.report.tally('evaluations', [
      problemFrom(
        index,
        err,
        `evaluation by ${entry.keyId} does not verify against the keys enrolled at the time`,
      ),
    ]);
    return;
  }
  const found: Problem[] = BOUND_FIELDS.filter((field) => claims[field] !== entry[field]).map((field) =>
    problem(index, 'ERR_BAD_MANIFEST', `evaluation entry's ${field} differs from what the worker signed`),
  );
  const run = ctx.runs.get(entry.runId);
  const produced = run?.checkpoints.get(entry.round);
  if (run === undefined) {
    found.push(
      problem(index, 'ERR_WRONG_RUN', `evaluation for run ${entry.runId}, which no earlier entry created`),
    );
  } else if (produced !== entry.checkpoint) {
    found.push(
      problem(
        index,
        'ERR_BASE_MISMATCH',
        produced === undefined
          ? `evaluates round ${entry.round} of run ${entry.runId}, which no earlier aggregate closed`
          : `evaluates ${entry.checkpoint}, but round ${entry.round} produced ${produced}`,
      ),
    );
  }
  ctx.report.tally('evaluations', found);
}
