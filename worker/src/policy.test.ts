import { describe, expect, it } from 'vitest';
import type { SignedTrainInstruction } from '@silo/protocol';
import { evaluationRefusal, policyRefusal, policySchema, type Policy } from './policy.js';

const instruction: SignedTrainInstruction = {
  v: 1,
  kind: 'train',
  keyId: 'k',
  runId: 'run-a',
  round: 3,
  baseDigest: 'b'.repeat(64),
  nonce: 'n',
  deadlineUnixMs: 0,
  modelSpecJson: '"mlp"',
  specDigest: 'a'.repeat(64),
  numParams: 199_210,
  hyperparameters: { epochs: 5, batchSize: 10, learningRate: 0.05, seed: 1 },
  privacy: null,
  issuedAt: 0,
};
const now = 10 * 24 * 3_600_000;
const check = (
  policy: Policy,
  history: { runId: string; round: number; at: number }[] = [],
  numExamples = 500,
) => policyRefusal(policySchema.parse(policy), instruction, { numExamples, history, now });

describe('a data owner policy', () => {
  it('allows what it does not restrict', () => {
    expect(check({})).toBeUndefined();
    expect(
      check({
        runs: ['run-a'],
        specDigests: ['a'.repeat(64)],
        maxParams: 200_000,
        epochs: { min: 1, max: 5 },
      }),
    ).toBeUndefined();
  });

  it('refuses each bound it sets, saying which', () => {
    expect(check({ runs: ['run-b'] })).toMatch(/run run-a is not among/);
    expect(check({ specDigests: ['c'.repeat(64)] })).toMatch(/allow-list/);
    expect(check({ maxParams: 100_000 })).toMatch(/199210 parameters/);
    expect(check({ minExamples: 1000 })).toMatch(/holds 500 examples/);
    expect(check({ epochs: { max: 2 } })).toMatch(/exceeds this owner's maximum of 2/);
    expect(check({ epochs: { min: 10 } })).toMatch(/below this owner's minimum of 10/);
    expect(check({ privacy: { maxClipNorm: 1, minNoiseMultiplier: 1 } })).toMatch(/no differential privacy/);
  });

  it('counts rounds per run and per day from what was trained, not counting a repeat of this round', () => {
    const history = [
      { runId: 'run-a', round: 1, at: now - 1000 },
      { runId: 'run-a', round: 2, at: now - 1000 },
      { runId: 'run-b', round: 1, at: now - 2 * 24 * 3_600_000 },
    ];
    expect(check({ maxRoundsPerRun: 2 }, history)).toMatch(/already trained 2 rounds of run run-a/);
    expect(check({ maxRoundsPerRun: 3 }, history)).toBeUndefined();
    expect(check({ maxRoundsPerDay: 2 }, history)).toMatch(/in the last 24 hours/);
    expect(check({ maxRoundsPerDay: 3 }, history)).toBeUndefined();
    expect(
      check({ maxRoundsPerRun: 2 }, [...history.slice(0, 1), { runId: 'run-a', round: 3, at: now }]),
    ).toBeUndefined();
  });

  it('rejects a malformed policy naming the field', () => {
    expect(() => policySchema.parse({ maxParams: -1 })).toThrow(/maxParams/);
    expect(() => policySchema.parse({ surprise: true })).toThrow();
  });
});

describe('the policy on evaluate instructions', () => {
  const evaluate = { runId: 'run-a', specDigest: 'a'.repeat(64), numParams: 199_210 };

  it('applies the run and model allow-lists and the size limit, nothing about training', () => {
    expect(evaluationRefusal(policySchema.parse({ epochs: { max: 1 }, minExamples: 10_000 }), evaluate)).toBe(
      undefined,
    );
    expect(evaluationRefusal(policySchema.parse({ runs: ['run-b'] }), evaluate)).toMatch(
      /run run-a is not among/,
    );
    expect(evaluationRefusal(policySchema.parse({ specDigests: ['c'.repeat(64)] }), evaluate)).toMatch(
      /not on this owner's allow-list/,
    );
    expect(evaluationRefusal(policySchema.parse({ maxParams: 1000 }), evaluate)).toMatch(/at most 1000/);
  });
});
