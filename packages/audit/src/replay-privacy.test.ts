import { describe, expect, it } from 'vitest';
import type { AggregateRecord, RunEntry } from '@silo/ledger';
import { epsilonOfRounds, gaussianNoise } from '@silo/privacy';
import type { RunState } from './replay-context.js';
import { privacyProblems } from './replay-privacy.js';

const HEX = 'a'.repeat(64);
const CONFIG = { clipNorm: 2, noiseMultiplier: 1, delta: 1e-5, mode: 'central', maxEpsilon: 50 };

function runState(privacy: Record<string, unknown> | null = CONFIG): RunState {
  return {
    entry: 0,
    run: { runId: 'r1', privacy } as unknown as RunEntry,
    length: 4096,
    round: 0,
    base: HEX,
    lastAggregate: undefined,
    strategyState: null,
    status: 'open',
    endedAt: undefined,
    checkpoints: new Map(),
    privateRounds: [],
  };
}

function record(round: number, privacy?: Partial<NonNullable<AggregateRecord['privacy']>>): AggregateRecord {
  const rounds = Array.from({ length: round }, () => ({ samplingRate: 0.5, noiseMultiplier: 1 }));
  return {
    v: 1,
    runId: 'r1',
    round,
    base: HEX,
    strategy: { name: 'fedavg' },
    updates: [{ index: 1, keyId: 'k', updateDigest: HEX, numExamples: 10 }],
    totalExamples: 10,
    checkpoint: HEX,
    privacy: {
      mode: 'central',
      clipNorm: 2,
      noiseMultiplier: 1,
      delta: 1e-5,
      population: 4,
      samplingRate: 0.5,
      denominator: 2,
      noise: HEX,
      epsilon: epsilonOfRounds(rounds, 1e-5),
      ...privacy,
    },
    closedAt: 1,
  };
}

const reasons = (problems: { reason: string }[]): string[] => problems.map((p) => p.reason);

describe('privacyProblems', () => {
  it('accepts rounds that apply the configured mechanism, with ε recomputed and noise of scale zC', () => {
    const run = runState();
    expect(privacyProblems(5, record(1), run, gaussianNoise(4096, 2))).toEqual([]);
    expect(privacyProblems(9, record(2), run, gaussianNoise(4096, 2))).toEqual([]);
    expect(run.privateRounds).toHaveLength(2);
  });

  it('catches too little noise, a wrong ε, changed parameters and an inconsistent sampling rate', () => {
    expect(reasons(privacyProblems(5, record(1), runState(), gaussianNoise(4096, 1)))).toEqual([
      expect.stringMatching(/standard deviation .* declares σ = 2/),
    ]);
    expect(reasons(privacyProblems(5, record(1), runState(), new Float32Array(4096)))).toEqual([
      expect.stringMatching(/standard deviation 0/),
    ]);
    expect(
      reasons(privacyProblems(5, record(1, { epsilon: 0.1 }), runState(), gaussianNoise(4096, 2))),
    ).toEqual([expect.stringMatching(/records ε = 0.1, but its rounds so far give/)]);
    expect(
      reasons(privacyProblems(5, record(1, { noiseMultiplier: 2 }), runState(), gaussianNoise(4096, 4))),
    ).toContainEqual(expect.stringMatching(/applies noiseMultiplier 2, but the run configured 1/));
    expect(
      reasons(privacyProblems(5, record(1, { samplingRate: 0.25 }), runState(), gaussianNoise(4096, 2))),
    ).toContainEqual(expect.stringMatching(/sampling rate 0.25 does not follow from 2 sampled of 4/));
  });

  it('catches a budget overrun, a private round in a plain run and a plain round in a private run', () => {
    const tight = runState({ ...CONFIG, maxEpsilon: 1 });
    expect(reasons(privacyProblems(5, record(1), tight, gaussianNoise(4096, 2)))).toEqual([
      expect.stringMatching(/exceeds the run's budget maxEpsilon = 1/),
    ]);
    expect(reasons(privacyProblems(5, record(1), runState(null), undefined))).toEqual([
      expect.stringMatching(/claims privacy its run never configured/),
    ]);
    const plain = { ...record(1), privacy: undefined };
    expect(reasons(privacyProblems(5, plain, runState(), undefined))).toEqual([
      expect.stringMatching(/private run has no privacy record/),
    ]);
  });

  it('in local mode, wants noise shares from enough workers and no coordinator noise', () => {
    const local = runState({ ...CONFIG, mode: 'local' });
    expect(
      reasons(privacyProblems(5, record(1, { mode: 'local', noise: null, shares: 3 }), local, undefined)),
    ).toEqual([expect.stringMatching(/only 1 updates carry noise shares meant for 3/)]);
    expect(
      reasons(
        privacyProblems(
          5,
          record(1, { mode: 'local', shares: 1 }),
          runState({ ...CONFIG, mode: 'local' }),
          undefined,
        ),
      ),
    ).toEqual([expect.stringMatching(/local mode with a noise blob/)]);
  });
});
