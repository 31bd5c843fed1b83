import { describe, expect, it } from 'vitest';
import { parseConfig } from '@silo/common';
import { coordinatorConfigSchema, resolveCount, runConfigSchema } from './config.js';
import { sampleWorkers } from './scheduler.js';

describe('run config', () => {
  it('fills defaults', () => {
    const run = parseConfig(runConfigSchema, 'model: mlp\nrounds: 3\n', 'run.yaml');
    expect(run.train).toEqual({ epochs: 5, batchSize: 10, learningRate: 0.05 });
    expect(run.strategy).toEqual({ name: 'fedavg' });
  });

  it('names the bad field', () => {
    expect(() => parseConfig(runConfigSchema, 'model: mlp\nrounds: 0\n', 'run.yaml')).toThrow(
      /run.yaml: rounds/,
    );
    expect(() => parseConfig(runConfigSchema, 'model: resnet\nrounds: 2\n', 'run.yaml')).toThrow(/model/);
    expect(() =>
      parseConfig(runConfigSchema, 'model: mlp\nrounds: 2\nminUpdates: 5\nworkersPerRound: 3\n', 'r'),
    ).toThrow(/minUpdates: cannot exceed workersPerRound/);
    expect(() => parseConfig(runConfigSchema, 'model: mlp\nrounds: 2\nsurprise: 1\n', 'r')).toThrow(
      /surprise/,
    );
  });

  it('takes differential privacy only where its guarantee holds', () => {
    const dp = 'privacy: { clipNorm: 1, noiseMultiplier: 1.1, delta: 1.0e-5, maxEpsilon: 8 }\n';
    const run = parseConfig(runConfigSchema, `model: mlp\nrounds: 2\n${dp}`, 'r');
    expect(run.privacy).toEqual({
      clipNorm: 1,
      noiseMultiplier: 1.1,
      delta: 1e-5,
      maxEpsilon: 8,
      mode: 'central',
    });
    const refused =
      (extra: string): (() => unknown) =>
      () =>
        parseConfig(runConfigSchema, `model: mlp\nrounds: 2\n${extra}`, 'r');
    expect(refused(`${dp}strategy: { name: median }\n`)).toThrow(
      /strategy over the mean delta .* not median/,
    );
    expect(refused(`${dp}strategy: { name: fedavg, clipNorm: 3 }\n`)).toThrow(
      /privacy.clipNorm, not the strategy/,
    );
    expect(refused(`${dp}onQuorumFailure: { action: retry }\n`)).toThrow(/use 'fail' with privacy/);
    expect(refused('privacy: { clipNorm: 1, noiseMultiplier: 0, delta: 1.0e-5 }\n')).toThrow(
      /noiseMultiplier: must be positive/,
    );
    expect(refused('privacy: { clipNorm: 1, noiseMultiplier: 1, delta: 0.5 }\n')).toThrow(/delta/);
    expect(refused('privacy: { clipNorm: 1, noiseMultiplier: 1, delta: 1.0e-5, sigma: 2 }\n')).toThrow(
      /sigma/,
    );
    expect(
      parseConfig(runConfigSchema, `model: mlp\nrounds: 2\n${dp}strategy: { name: fedadam }\n`, 'r').strategy
        .name,
    ).toBe('fedadam');
  });

  it('takes the sample and the quorum as counts or shares, and a quorum-failure policy', () => {
    const run = parseConfig(
      runConfigSchema,
      "model: mlp\nrounds: 2\nworkersPerRound: '10%'\nminUpdates: '80%'\nonQuorumFailure: { action: retry, retries: 2 }\n",
      'r',
    );
    expect(run).toMatchObject({
      workersPerRound: '10%',
      minUpdates: '80%',
      onQuorumFailure: { action: 'retry', retries: 2 },
    });
    expect(parseConfig(runConfigSchema, 'model: mlp\nrounds: 2\n', 'r').onQuorumFailure).toEqual({
      action: 'fail',
      retries: 3,
    });
    for (const bad of ["'0%'", "'150%'", "'ten%'", '0', '2.5']) {
      expect(() =>
        parseConfig(runConfigSchema, `model: mlp\nrounds: 2\nworkersPerRound: ${bad}\n`, 'r'),
      ).toThrow(/workersPerRound/);
    }
  });

  it('takes the robust strategies, checked against the smallest round the quorum allows', () => {
    const run = parseConfig(
      runConfigSchema,
      'model: mlp\nrounds: 2\nminUpdates: 7\nstrategy: { name: krum, f: 2 }\n',
      'r',
    );
    expect(run.strategy).toMatchObject({ name: 'krum', f: 2 });
    expect(
      parseConfig(runConfigSchema, 'model: mlp\nrounds: 2\nstrategy: { name: median, clipNorm: 5 }\n', 'r')
        .strategy,
    ).toMatchObject({ name: 'median', clipNorm: 5 });
    expect(() =>
      parseConfig(
        runConfigSchema,
        'model: mlp\nrounds: 2\nminUpdates: 3\nstrategy: { name: krum, f: 2 }\n',
        'r',
      ),
    ).toThrow(/strategy: krum cannot aggregate 3 updates/);
    expect(
      parseConfig(runConfigSchema, 'model: mlp\nrounds: 2\nstrategy: { name: fedadam }\n', 'r').strategy,
    ).toMatchObject({ name: 'fedadam', serverLearningRate: 0.01 });
    expect(
      parseConfig(runConfigSchema, 'model: mlp\nrounds: 2\nstrategy: { name: fedprox, mu: 0.1 }\n', 'r')
        .strategy,
    ).toEqual({ name: 'fedprox', mu: 0.1 });
  });

  it('rejects a short API token in the coordinator config', () => {
    expect(() => parseConfig(coordinatorConfigSchema, 'apiToken: short\n', 'c.yaml')).toThrow(/apiToken/);
  });

  it('requires mTLS files for the federation plane, or an explicit insecure: true', () => {
    const token = 'apiToken: 0123456789abcdef\n';
    const tls = 'tls: { ca: ca.crt, cert: coordinator.crt, key: coordinator.key }\n';
    expect(parseConfig(coordinatorConfigSchema, token + tls, 'c.yaml').tls).toEqual({
      ca: 'ca.crt',
      cert: 'coordinator.crt',
      key: 'coordinator.key',
    });
    expect(parseConfig(coordinatorConfigSchema, `${token}insecure: true\n`, 'c.yaml').insecure).toBe(true);
    for (const text of [token, `${token}insecure: false\n`, `${token}${tls}insecure: true\n`])
      expect(() => parseConfig(coordinatorConfigSchema, text, 'c.yaml')).toThrow(
        expect.objectContaining({
          code: 'ERR_BAD_CONFIG',
          message: expect.stringMatching(/^c\.yaml: tls: /) as unknown,
        }) as Error,
      );
  });
});

describe('resolveCount', () => {
  it('turns counts and shares into a number of workers between 1 and the group', () => {
    expect(resolveCount(undefined, 7)).toBe(7);
    expect(resolveCount(3, 7)).toBe(3);
    expect(resolveCount(30, 7)).toBe(7);
    expect(resolveCount('10%', 1000)).toBe(100);
    expect(resolveCount('10%', 15)).toBe(2); // rounded up: a share never rounds to nobody
    expect(resolveCount('1%', 5)).toBe(1);
    expect(resolveCount('100%', 9)).toBe(9);
    expect(resolveCount('50%', 0)).toBe(0);
  });
});

describe('sampleWorkers', () => {
  const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
  const config = parseConfig(runConfigSchema, 'model: mlp\nrounds: 3\nworkersPerRound: 5\nseed: 7\n', 'r');

  it('picks the same workers for the same round whatever the input order', () => {
    const a = sampleWorkers(keys, config, 2);
    const b = sampleWorkers([...keys].reverse(), config, 2);
    expect(a).toEqual(b);
    expect(a).toHaveLength(5);
    expect(new Set(a).size).toBe(5);
  });

  it('samples a share of the online workers', () => {
    const tenth = parseConfig(runConfigSchema, "model: mlp\nrounds: 3\nworkersPerRound: '10%'\n", 'r');
    expect(sampleWorkers(keys, tenth, 1)).toHaveLength(2);
  });

  it('varies the sample across rounds', () => {
    const samples = new Set([1, 2, 3, 4, 5].map((round) => sampleWorkers(keys, config, round).join(',')));
    expect(samples.size).toBeGreaterThan(1);
  });
});
