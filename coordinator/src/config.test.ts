import { describe, expect, it } from 'vitest';
import { parseConfig } from '@silo/common';
import { coordinatorConfigSchema, runConfigSchema } from './config.js';
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

  it('rejects a short API token in the coordinator config', () => {
    expect(() => parseConfig(coordinatorConfigSchema, 'apiToken: short\n', 'c.yaml')).toThrow(/apiToken/);
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

  it('varies the sample across rounds', () => {
    const samples = new Set([1, 2, 3, 4, 5].map((round) => sampleWorkers(keys, config, round).join(',')));
    expect(samples.size).toBeGreaterThan(1);
  });
});
