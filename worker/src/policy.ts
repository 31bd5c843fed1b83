import { z } from 'zod';
import type { SignedTrainInstruction } from '@silo/protocol';

/**
 * What a data owner allows its worker to do, from the worker's own configuration. Every field is
 * optional; an instruction outside any given bound is refused with `ERR_POLICY` and the reason.
 */
export const policySchema = z
  .object({
    /** Run ids the worker takes part in; default: any run of the pinned coordinator. */
    runs: z.array(z.string().min(1)).min(1).optional(),
    /** Model architectures allowed, by `modelSpecDigest`. */
    specDigests: z
      .array(z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256 digest'))
      .min(1)
      .optional(),
    /** Largest model allowed, in parameters. */
    maxParams: z.number().int().positive().optional(),
    /** Most rounds trained for any one run. */
    maxRoundsPerRun: z.number().int().positive().optional(),
    /** Most rounds trained in any 24 hours, all runs together. */
    maxRoundsPerDay: z.number().int().positive().optional(),
    /** Fewest local examples an update may come from, so no single record is ever an update on its own. */
    minExamples: z.number().int().min(1).optional(),
    /** Local epochs allowed per round. */
    epochs: z
      .object({ min: z.number().int().min(1).optional(), max: z.number().int().min(1).optional() })
      .strict()
      .optional(),
    /**
     * The privacy floor the owner requires: updates clipped to at most `maxClipNorm` and noised
     * with a multiplier of at least `minNoiseMultiplier`. A run without such settings is refused.
     */
    privacy: z
      .object({ maxClipNorm: z.number().positive(), minNoiseMultiplier: z.number().nonnegative() })
      .strict()
      .optional(),
    /**
     * Secure aggregation the owner requires: the coordinator must see only the sum of at least
     * `minThreshold` masked updates (default: any secure aggregation), never this worker's alone.
     * A run without it is refused.
     */
    secureAggregation: z
      .object({ minThreshold: z.number().int().min(2).optional() })
      .strict()
      .optional(),
  })
  .strict();

/** A data owner's policy. */
export type Policy = z.output<typeof policySchema>;

/** A round the worker trained, for the per-run and per-day limits. */
export interface TrainedRound {
  runId: string;
  round: number;
  /** Unix ms. */
  at: number;
}

const DAY_MS = 24 * 60 * 60_000;

/**
 * Checks an evaluate instruction against the parts of the owner's policy that concern what the
 * worker runs at all: the run allow-list, the model allow-list and the largest model. Returns the
 * reason it is refused, or `undefined`.
 */
export function evaluationRefusal(
  policy: Policy,
  instruction: { runId: string; specDigest: string; numParams: number },
): string | undefined {
  if (policy.runs !== undefined && !policy.runs.includes(instruction.runId))
    return `run ${instruction.runId} is not among the runs this owner allows`;
  if (policy.specDigests !== undefined && !policy.specDigests.includes(instruction.specDigest))
    return `model architecture ${instruction.specDigest} is not on this owner's allow-list`;
  if (policy.maxParams !== undefined && instruction.numParams > policy.maxParams)
    return `model has ${instruction.numParams} parameters, this owner allows at most ${policy.maxParams}`;
  return undefined;
}

/**
 * Checks an instruction against the owner's policy; returns the reason it is refused, or
 * `undefined` when it is allowed. `history` is what the worker trained before (from its egress
 * log); `numExamples` is how many local examples it would train on.
 */
export function policyRefusal(
  policy: Policy,
  instruction: SignedTrainInstruction,
  context: { numExamples: number; history: readonly TrainedRound[]; now?: number },
): string | undefined {
  const now = context.now ?? Date.now();
  const { hyperparameters: hyper } = instruction;
  if (policy.runs !== undefined && !policy.runs.includes(instruction.runId)) {
    return `run ${instruction.runId} is not among the runs this owner allows`;
  }
  if (policy.specDigests !== undefined && !policy.specDigests.includes(instruction.specDigest)) {
    return `model architecture ${instruction.specDigest} is not on this owner's allow-list`;
  }
  if (policy.maxParams !== undefined && instruction.numParams > policy.maxParams) {
    return `model has ${instruction.numParams} parameters, this owner allows at most ${policy.maxParams}`;
  }
  if (policy.minExamples !== undefined && context.numExamples < policy.minExamples) {
    return `this worker holds ${context.numExamples} examples; the owner requires at least ${policy.minExamples} per update`;
  }
  if (policy.epochs?.min !== undefined && hyper.epochs < policy.epochs.min) {
    return `${hyper.epochs} local epochs is below this owner's minimum of ${policy.epochs.min}`;
  }
  if (policy.epochs?.max !== undefined && hyper.epochs > policy.epochs.max) {
    return `${hyper.epochs} local epochs exceeds this owner's maximum of ${policy.epochs.max}`;
  }
  const previous = context.history.filter(
    (h) => !(h.runId === instruction.runId && h.round === instruction.round),
  );
  if (policy.maxRoundsPerRun !== undefined) {
    const rounds = new Set(previous.filter((h) => h.runId === instruction.runId).map((h) => h.round)).size;
    if (rounds >= policy.maxRoundsPerRun) {
      return `already trained ${rounds} rounds of run ${instruction.runId}; the owner allows ${policy.maxRoundsPerRun}`;
    }
  }
  if (policy.maxRoundsPerDay !== undefined) {
    const today = new Set(previous.filter((h) => now - h.at < DAY_MS).map((h) => `${h.runId}/${h.round}`))
      .size;
    if (today >= policy.maxRoundsPerDay) {
      return `already trained ${today} rounds in the last 24 hours; the owner allows ${policy.maxRoundsPerDay}`;
    }
  }
  if (policy.privacy !== undefined) {
    const privacy = instruction.privacy as { clipNorm?: unknown; noiseMultiplier?: unknown } | null;
    const clip = privacy?.clipNorm;
    const noise = privacy?.noiseMultiplier;
    if (typeof clip !== 'number' || typeof noise !== 'number') {
      return 'the run applies no differential privacy; the owner requires clipping and noise';
    }
    if (clip > policy.privacy.maxClipNorm) {
      return `clip norm ${clip} exceeds the owner's maximum of ${policy.privacy.maxClipNorm}`;
    }
    if (noise < policy.privacy.minNoiseMultiplier) {
      return `noise multiplier ${noise} is below the owner's minimum of ${policy.privacy.minNoiseMultiplier}`;
    }
  }
  if (policy.secureAggregation !== undefined) {
    const secure = instruction.secureAggregation;
    if (secure === undefined)
      return 'the run does not aggregate securely; the owner requires secure aggregation';
    const floor = policy.secureAggregation.minThreshold;
    if (floor !== undefined && secure.threshold < floor)
      return `secure aggregation threshold ${secure.threshold} is below the owner's minimum of ${floor}`;
  }
  return undefined;
}
