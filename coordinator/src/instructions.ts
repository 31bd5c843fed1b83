import {
  INSTRUCTION_TYP,
  type IInstruction,
  type InstructionPrivacy,
  type InstructionSecureAggregation,
  type SignedTrainInstruction,
} from '@silo/protocol';
import type { SigningKey } from '@silo/signing';
import { layoutSize } from '@silo/tensors';
import type { RunConfig } from './config.js';
import type { StateStore } from './state.js';

/**
 * The train instruction of (run, round) for worker `keyId`, signed by the coordinator's key, or
 * `undefined` when none is open for it: the round is not collecting, the worker is not in its
 * sample, or its update is already in. Workers that pin the coordinator key act only on the
 * signed content; the plain fields repeat it for workers that pin none.
 */
export async function trainInstruction(
  state: StateStore,
  key: SigningKey,
  runId: string,
  round: number,
  keyId: string,
  secure: (runId: string, round: number, keyId: string) => Promise<InstructionSecureAggregation>,
): Promise<IInstruction | undefined> {
  const record = await state.roundBrief(runId, round);
  if (record?.status !== 'collecting') return undefined;
  // Sampled workers, and only they, hold a nonce for the round.
  const nonce = await state.nonceFor(runId, round, keyId);
  if (nonce === undefined) return undefined;
  if ((await state.updateOf(runId, round, keyId)) !== undefined) return undefined;
  const run = await state.getRun(runId);
  const signed: SignedTrainInstruction = {
    v: 1,
    kind: 'train',
    keyId,
    runId,
    round,
    baseDigest: record.base,
    nonce,
    deadlineUnixMs: record.deadline,
    modelSpecJson: JSON.stringify(run.config.model),
    specDigest: run.specDigest,
    numParams: layoutSize(run.layout),
    hyperparameters: {
      epochs: run.config.train.epochs,
      batchSize: run.config.train.batchSize,
      learningRate: run.config.train.learningRate,
      seed: run.config.seed * 100_003 + round,
      ...(run.config.strategy.name === 'fedprox' ? { proximalMu: run.config.strategy.mu } : {}),
      ...(run.config.freeze === undefined ? {} : { freeze: run.config.freeze }),
    },
    ...(run.config.updateEncoding === 'float32' ? {} : { updateEncoding: run.config.updateEncoding }),
    privacy: instructionPrivacy(run.config.privacy, record.privacy?.shares),
    ...(run.config.secureAggregation === undefined
      ? {}
      : { secureAggregation: await secure(runId, round, keyId) }),
    issuedAt: Date.now(),
  };
  const { baseDigest, deadlineUnixMs, modelSpecJson, specDigest, numParams, hyperparameters } = signed;
  const train = {
    keyId,
    runId,
    round,
    baseDigest,
    nonce,
    deadlineUnixMs,
    modelSpecJson,
    specDigest,
    numParams,
    hyperparameters,
  };
  return { train, signature: await key.sign(INSTRUCTION_TYP, signed) };
}

/** What a worker must apply of a run's differential privacy; null for a run without. */
function instructionPrivacy(dp: RunConfig['privacy'], shares: number | undefined): InstructionPrivacy | null {
  if (dp === undefined) return null;
  const { mode, clipNorm, noiseMultiplier, delta } = dp;
  return { mode, clipNorm, noiseMultiplier, delta, ...(mode === 'local' ? { shares: shares ?? 1 } : {}) };
}
