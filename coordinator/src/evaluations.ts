import { randomBytes } from 'node:crypto';
import { SiloError } from '@silo/common';
import { encodeEntry } from '@silo/ledger';
import {
  EVALUATION_TYP,
  INSTRUCTION_TYP,
  type EvaluationClaims,
  type IInstruction,
  type SignedEvaluateInstruction,
} from '@silo/protocol';
import { verifySigned, type FlattenedJws, type PublicJwk, type SigningKey } from '@silo/signing';
import { layoutSize } from '@silo/tensors';
import type { RunConfig } from './config.js';
import { sampleWorkers } from './scheduler.js';
import type { EvaluationReportRecord, RunRecord, StateStore } from './state.js';

/** Whether the checkpoint round `round` produced is evaluated by the workers. */
export function evaluationDue(config: RunConfig, round: number, last: boolean): boolean {
  const every = config.federatedEvaluation?.every;
  return every !== undefined && (last || round % every === 0);
}

/**
 * Opens the federated evaluation of the checkpoint round `round` produced: samples online
 * workers and gives each a nonce. Returns the sampled key ids, or none when it was open already
 * or nobody is online.
 */
export async function openEvaluation(
  state: StateStore,
  run: RunRecord,
  round: number,
  checkpoint: string,
  online: readonly string[],
): Promise<string[]> {
  const settings = run.config.federatedEvaluation;
  if (settings === undefined || online.length === 0) return [];
  const chosen = sampleWorkers(online, { ...run.config, workersPerRound: settings.workers }, round);
  const nonces = new Map(chosen.map((keyId) => [keyId, randomBytes(24).toString('base64url')]));
  const openedAt = Date.now();
  const opened = await state.openEvaluation(
    run.id,
    round,
    { checkpoint, openedAt, deadline: openedAt + settings.timeoutMs, sampled: chosen },
    nonces,
  );
  return opened ? chosen : [];
}

/**
 * The evaluate instruction of (run, round) for worker `keyId`, signed by the coordinator's key,
 * or `undefined` when none is open for it (not sampled, already reported, past its deadline).
 */
export async function evaluateInstruction(
  state: StateStore,
  key: SigningKey,
  runId: string,
  round: number,
  keyId: string,
): Promise<IInstruction | undefined> {
  const record = await state.getEvaluation(runId, round);
  if (record === undefined || !record.sampled.includes(keyId) || Date.now() > record.deadline)
    return undefined;
  if ((await state.evaluationReports(runId, round)).some((r) => r.keyId === keyId)) return undefined;
  const nonce = await state.evaluationNonce(runId, round, keyId);
  if (nonce === undefined) return undefined;
  const run = await state.getRun(runId);
  const signed: SignedEvaluateInstruction = {
    v: 1,
    kind: 'evaluate',
    keyId,
    runId,
    round,
    baseDigest: record.checkpoint,
    nonce,
    deadlineUnixMs: record.deadline,
    modelSpecJson: JSON.stringify(run.config.model),
    specDigest: run.specDigest,
    numParams: layoutSize(run.layout),
    issuedAt: Date.now(),
  };
  const { baseDigest, deadlineUnixMs, modelSpecJson, specDigest, numParams } = signed;
  return {
    evaluate: {
      keyId,
      runId,
      round,
      baseDigest,
      nonce,
      deadlineUnixMs,
      modelSpecJson,
      specDigest,
      numParams,
    },
    signature: await key.sign(INSTRUCTION_TYP, signed),
  };
}

/**
 * Checks a worker's signed evaluation report against the evaluation it answers, records it and
 * queues its ledger entry. Returns the report, or `undefined` for a repeat of one recorded.
 *
 * `checkPeer` is called with the signer's key id before anything is recorded (over mTLS, the
 * certificate must be the enrolled worker's).
 *
 * @throws SiloError `ERR_BAD_INPUT` for malformed claims; the signature's code for a bad
 *   signature or unknown key; `checkPeer`'s error; `ERR_BAD_NONCE` unless the worker was sampled with this nonce;
 *   `ERR_BASE_MISMATCH` for another checkpoint; `ERR_STALE_ROUND` after the deadline.
 */
export async function acceptEvaluation(
  state: StateStore,
  jws: FlattenedJws | null | undefined,
  activeKey: (kid: string) => PublicJwk | undefined,
  checkPeer: (keyId: string) => void,
): Promise<EvaluationClaims | undefined> {
  if (jws === null || jws === undefined)
    throw new SiloError('ERR_BAD_INPUT', 'evaluation report carries no signed claims');
  const { keyId, payload } = await verifySigned(jws, EVALUATION_TYP, activeKey);
  checkPeer(keyId);
  const claims = parseClaims(payload, keyId);
  const record = await state.getEvaluation(claims.runId, claims.round);
  const nonce = await state.evaluationNonce(claims.runId, claims.round, keyId);
  if (record === undefined || nonce === undefined || nonce !== claims.nonce)
    throw new SiloError('ERR_BAD_NONCE', `no evaluate instruction with this nonce was issued to ${keyId}`);
  if (claims.checkpoint !== record.checkpoint)
    throw new SiloError(
      'ERR_BASE_MISMATCH',
      `evaluated ${claims.checkpoint}, but round ${claims.round} produced ${record.checkpoint}`,
    );
  const at = Date.now();
  if (at > record.deadline)
    throw new SiloError('ERR_STALE_ROUND', `the evaluation of round ${claims.round} closed at its deadline`);
  const report: EvaluationReportRecord = {
    keyId,
    numExamples: claims.numExamples,
    loss: claims.loss,
    accuracy: claims.accuracy,
    at,
  };
  const entry = encodeEntry({
    type: 'evaluation',
    runId: claims.runId,
    round: claims.round,
    keyId,
    checkpoint: claims.checkpoint,
    numExamples: claims.numExamples,
    loss: claims.loss,
    accuracy: claims.accuracy,
    report: jws,
    at,
  });
  return (await state.recordEvaluation(claims.runId, claims.round, report, entry)) ? claims : undefined;
}

function parseClaims(payload: unknown, keyId: string): EvaluationClaims {
  const c = payload as Partial<EvaluationClaims> | null;
  const ok =
    c !== null &&
    typeof c === 'object' &&
    c.keyId === keyId &&
    typeof c.runId === 'string' &&
    Number.isSafeInteger(c.round) &&
    (c.round as number) >= 1 &&
    typeof c.checkpoint === 'string' &&
    /^[0-9a-f]{64}$/.test(c.checkpoint) &&
    typeof c.nonce === 'string' &&
    Number.isSafeInteger(c.numExamples) &&
    (c.numExamples as number) >= 1 &&
    typeof c.loss === 'number' &&
    Number.isFinite(c.loss) &&
    c.loss >= 0 &&
    typeof c.accuracy === 'number' &&
    c.accuracy >= 0 &&
    c.accuracy <= 1;
  if (!ok)
    throw new SiloError(
      'ERR_BAD_INPUT',
      'evaluation claims are malformed: need runId, round, checkpoint, nonce, keyId, numExamples ≥ 1, loss ≥ 0, accuracy in [0, 1]',
    );
  return c as EvaluationClaims;
}

/** How a checkpoint does across the workers that evaluated it. */
export interface FederatedEvaluation {
  /** Workers that reported, and the examples they evaluated on. */
  workers: number;
  numExamples: number;
  /** Means weighted by each worker's example count. */
  loss: number;
  accuracy: number;
  /** The spread of accuracy over workers, so a team sees whom the model fails. */
  minAccuracy: number;
  maxAccuracy: number;
  /** Standard deviation of the workers' accuracies (unweighted). */
  accuracyStd: number;
  perWorker: { keyId: string; numExamples: number; loss: number; accuracy: number }[];
}

/** Combines the reports on one checkpoint; `undefined` when there are none. */
export function summarizeEvaluation(
  reports: readonly EvaluationReportRecord[],
): FederatedEvaluation | undefined {
  if (reports.length === 0) return undefined;
  const numExamples = reports.reduce((sum, r) => sum + r.numExamples, 0);
  const weighted = (pick: (r: EvaluationReportRecord) => number): number =>
    reports.reduce((sum, r) => sum + pick(r) * r.numExamples, 0) / numExamples;
  const accuracies = reports.map((r) => r.accuracy);
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  const variance = accuracies.reduce((sum, a) => sum + (a - mean) ** 2, 0) / accuracies.length;
  return {
    workers: reports.length,
    numExamples,
    loss: weighted((r) => r.loss),
    accuracy: weighted((r) => r.accuracy),
    minAccuracy: Math.min(...accuracies),
    maxAccuracy: Math.max(...accuracies),
    accuracyStd: Math.sqrt(variance),
    perWorker: reports.map(({ keyId, numExamples: n, loss, accuracy }) => ({
      keyId,
      numExamples: n,
      loss,
      accuracy,
    })),
  };
}
