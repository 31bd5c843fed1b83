import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '@silo/common';
import { coordinatorConfigSchema, runConfigSchema } from '@silo/coordinator';
import { workerConfigSchema } from '@silo/worker';

const examples = join(import.meta.dirname, '../examples');

describe('the example configurations', () => {
  it('are valid as shipped', async () => {
    const coordinator = await loadConfigFile(coordinatorConfigSchema, join(examples, 'coordinator.yaml'));
    expect(coordinator.ledgerName).toMatch(/^[^\s+]+$/);
    const worker = await loadConfigFile(workerConfigSchema, join(examples, 'worker.yaml'));
    expect(worker.stateDir).toBe('.silo/worker');
    // Both sides ship with mTLS on the federation plane, from one CA.
    expect(coordinator.insecure).toBeUndefined();
    expect(worker.insecure).toBeUndefined();
    expect(worker.tls?.ca).toBe(coordinator.tls?.ca);
    expect(worker.tls?.cert).toMatch(new RegExp(`/${worker.name}\\.crt$`));
    const run = await loadConfigFile(runConfigSchema, join(examples, 'run.yaml'));
    expect(run.rounds).toBeGreaterThan(0);
  });
});
