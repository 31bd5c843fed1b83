import type { AggregateRecord } from '@silo/ledger';
import { dpConfigSchema, epsilonOfRounds, type DpConfig } from '@silo/privacy';
import { problem, problemFrom, type Problem, type RunState } from './replay-context.js';

/** ε recomputed from the records must match the logged one to this relative precision. */
const EPSILON_TOLERANCE = 1e-9;

/** How many standard errors a noise statistic may stray before the noise is called off-scale. */
const STANDARD_ERRORS = 6;

/** The run's privacy config from its `run` entry; `undefined` for a run without, or a problem. */
export function runPrivacy(run: RunState, index: number): { config?: DpConfig; problem?: Problem } {
  if (run.run.privacy === null) return {};
  const parsed = dpConfigSchema.safeParse(run.run.privacy);
  if (!parsed.success) {
    return {
      problem: problemFrom(index, parsed.error, `run ${run.run.runId} has an invalid privacy config`),
    };
  }
  return { config: parsed.data };
}

/**
 * Checks an aggregate record's privacy against its run's config: the same mechanism and
 * parameters, a sampling rate that follows from the counts it names, ε recomputed from every
 * private round of the run so far, a budget never exceeded, and (central mode) noise of the
 * declared scale, so an auditor can confirm the guarantee the run claims was actually applied.
 * Appends this round to `run.privateRounds`.
 */
export function privacyProblems(
  index: number,
  record: AggregateRecord,
  run: RunState,
  noise: Float32Array | undefined,
): Problem[] {
  const { config, problem: invalid } = runPrivacy(run, index);
  if (invalid !== undefined) return [invalid];
  const found: Problem[] = [];
  const dp = record.privacy;
  if (config === undefined) {
    if (dp !== undefined)
      found.push(
        problem(index, 'ERR_BAD_CONFIG', `round ${record.round} claims privacy its run never configured`),
      );
    return found;
  }
  if (dp === undefined) {
    return [problem(index, 'ERR_BAD_CONFIG', `round ${record.round} of a private run has no privacy record`)];
  }
  for (const field of ['mode', 'clipNorm', 'noiseMultiplier', 'delta'] as const) {
    if (dp[field] !== config[field])
      found.push(
        problem(
          index,
          'ERR_BAD_CONFIG',
          `round ${record.round} applies ${field} ${dp[field]}, but the run configured ${config[field]}`,
        ),
      );
  }
  const rate = Math.min(1, dp.denominator / dp.population);
  if (dp.samplingRate !== rate)
    found.push(
      problem(
        index,
        'ERR_LEDGER_CORRUPT',
        `sampling rate ${dp.samplingRate} does not follow from ${dp.denominator} sampled of ${dp.population}`,
      ),
    );
  if (record.updates.length > dp.denominator)
    found.push(
      problem(
        index,
        'ERR_LEDGER_CORRUPT',
        `${record.updates.length} updates in a round that sampled ${dp.denominator} workers`,
      ),
    );
  if (dp.mode === 'local' && dp.shares !== undefined && record.updates.length < dp.shares)
    found.push(
      problem(
        index,
        'ERR_BAD_CONFIG',
        `only ${record.updates.length} updates carry noise shares meant for ${dp.shares}: the sum has less noise than accounted`,
      ),
    );
  if ((dp.mode === 'central') !== (dp.noise !== null))
    found.push(
      problem(
        index,
        'ERR_LEDGER_CORRUPT',
        `${dp.mode} mode ${dp.noise === null ? 'without' : 'with'} a noise blob`,
      ),
    );
  run.privateRounds.push({ samplingRate: dp.samplingRate, noiseMultiplier: dp.noiseMultiplier });
  const epsilon = epsilonOfRounds(run.privateRounds, dp.delta);
  if (!(Math.abs(epsilon - dp.epsilon) <= EPSILON_TOLERANCE * Math.max(1, epsilon)))
    found.push(
      problem(
        index,
        'ERR_LEDGER_CORRUPT',
        `records ε = ${dp.epsilon}, but its rounds so far give ε = ${epsilon}`,
      ),
    );
  if (config.maxEpsilon !== undefined && epsilon > config.maxEpsilon)
    found.push(
      problem(
        index,
        'ERR_POLICY',
        `ε = ${epsilon} exceeds the run's budget maxEpsilon = ${config.maxEpsilon}`,
      ),
    );
  if (noise !== undefined) found.push(...noiseProblems(index, noise, dp.noiseMultiplier * dp.clipNorm));
  return found;
}

/**
 * Whether `noise` looks like N(0, σ²) samples: its mean within 6 standard errors of 0 (σ/√n) and
 * its standard deviation within 6 standard errors of σ (about σ/√(2n)). Not a proof that the
 * noise was random, but a coordinator that added too little, or none, is caught.
 */
function noiseProblems(index: number, noise: Float32Array, sigma: number): Problem[] {
  const n = noise.length;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const x = noise[i]!;
    sum += x;
    squares += x * x;
  }
  const mean = sum / n;
  const std = Math.sqrt(squares / n);
  const found: Problem[] = [];
  if (!(Math.abs(mean) <= (STANDARD_ERRORS * sigma) / Math.sqrt(n)))
    found.push(
      problem(index, 'ERR_BAD_INPUT', `noise mean ${mean} is off 0 for σ = ${sigma} over ${n} values`),
    );
  if (!(Math.abs(std / sigma - 1) <= STANDARD_ERRORS / Math.sqrt(2 * n)))
    found.push(
      problem(
        index,
        'ERR_BAD_INPUT',
        `noise has standard deviation ${std}, but the round declares σ = ${sigma}`,
      ),
    );
  return found;
}
