import { SiloError } from '@silo/common';
import {
  EVALUATION_TYP,
  fromServiceError,
  pb,
  type EvaluationClaims,
  type FederationClient,
  type IFetchModelRequest,
  type SignedEvaluateInstruction,
} from '@silo/protocol';
import { fromCanonicalBytes } from '@silo/tensors';
import { evaluationRefusal } from './policy.js';
import { fetchModel } from './transfer.js';
import type { WorkerOptions } from './worker-options.js';

/** How an evaluate instruction ended: nothing held out, refused by the policy, or reported. */
export type EvaluationOutcome =
  | { readonly kind: 'nothing-held-out' }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'reported'; readonly claims: EvaluationClaims };

/**
 * Evaluates the checkpoint an evaluate instruction names on the owner's held-out examples and
 * reports the metrics, signed and logged before they are sent. A worker that holds nothing out
 * says so in its log and sends nothing; one whose policy refuses fetches nothing.
 *
 * @throws SiloError `ERR_STALE_ROUND` past the instruction's deadline; `ERR_BASE_MISMATCH` for
 *   another model than the instruction names; the transfer's and the coordinator's errors.
 */
export async function evaluateAndReport(
  o: WorkerOptions,
  client: FederationClient,
  instruction: SignedEvaluateInstruction,
): Promise<EvaluationOutcome> {
  const { runId, round } = instruction;
  if (o.trainer.numHeldOut === 0) {
    o.logger.warn({ runId, round }, 'evaluation asked for, but this worker holds no examples out');
    return { kind: 'nothing-held-out' };
  }
  const refusal = o.policy === undefined ? undefined : evaluationRefusal(o.policy, instruction);
  if (refusal !== undefined) {
    o.logger.warn({ runId, round, reason: refusal }, 'evaluation refused by policy');
    return { kind: 'refused', reason: refusal };
  }
  const deadline = Number(instruction.deadlineUnixMs);
  if (Date.now() > deadline)
    throw new SiloError('ERR_STALE_ROUND', `the evaluation of round ${round} has closed`);
  const request: IFetchModelRequest = { runId, round, keyId: o.key.keyId, evaluation: true };
  await o.records?.log.append({
    kind: 'fetch-model',
    bytes: pb.FetchModelRequest.encode(request).finish().length,
    runId,
    round,
    keyId: o.key.keyId,
  });
  const model = await fetchModel(client, request, {
    deadline,
    maxBytes: o.maxModelBytes ?? 1024 * 1024 * 1024,
  });
  if (model.digest !== instruction.baseDigest) {
    throw new SiloError(
      'ERR_BASE_MISMATCH',
      `coordinator sent model ${model.digest}, instruction names ${instruction.baseDigest}`,
    );
  }
  const metrics = o.trainer.evaluate(
    fromCanonicalBytes(model.bytes),
    model.layout,
    instruction.modelSpecJson,
  );
  const claims: EvaluationClaims = {
    runId,
    round,
    checkpoint: model.digest,
    nonce: instruction.nonce,
    keyId: o.key.keyId,
    numExamples: metrics.numExamples,
    loss: metrics.loss,
    accuracy: metrics.accuracy,
    issuedAt: Date.now(),
  };
  const report = await o.key.sign(EVALUATION_TYP, claims);
  await o.records?.log.append({
    kind: 'evaluation',
    bytes: pb.EvaluationReport.encode({ report }).finish().length,
    runId,
    round,
    report,
    checkpoint: claims.checkpoint,
    numExamples: claims.numExamples,
    loss: claims.loss,
    accuracy: claims.accuracy,
  });
  await new Promise<void>((resolve, reject) => {
    client.reportEvaluation({ report }, { deadline: Date.now() + 15_000 }, (err) =>
      err === null ? resolve() : reject(fromServiceError(err)),
    );
  });
  o.logger.info({ runId, round, accuracy: claims.accuracy }, 'evaluation reported');
  return { kind: 'reported', claims };
}
