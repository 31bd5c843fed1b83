import { describe, expect, it } from 'vitest';
import { validateConfig } from '@silo/common';
import { workerConfigSchema } from './config.js';
import { noteKey } from './ledger.fixture.js';

const minimal = {
  name: 'hospital-a',
  coordinator: 'coordinator.example:7070',
  keyFile: 'worker.key.json',
  data: { kind: 'mnist', parts: 2, index: 0 },
};

describe('workerConfigSchema', () => {
  it('defaults the state directory and the receipt policy', () => {
    const config = validateConfig(workerConfigSchema, minimal, 'worker.yaml');
    expect(config.stateDir).toBe('.silo/worker');
    expect(config.coordinatorLedgerKey).toBeUndefined();
    expect(config.receipts).toEqual({ giveUpMs: 30 * 60_000, initialDelayMs: 1_000, maxDelayMs: 60_000 });
  });

  it('accepts a pinned coordinator ledger key and origin', () => {
    const { verifierKeyText } = noteKey('silo.example/ledger');
    const config = validateConfig(
      workerConfigSchema,
      {
        ...minimal,
        stateDir: '/var/lib/silo',
        coordinatorLedgerKey: verifierKeyText,
        ledgerOrigin: 'silo.example/run',
      },
      'worker.yaml',
    );
    expect(config).toMatchObject({ stateDir: '/var/lib/silo', coordinatorLedgerKey: verifierKeyText });
  });

  it('refuses a malformed ledger key, naming the field', () => {
    const { verifierKeyText } = noteKey('silo.example/ledger');
    const wrongId = verifierKeyText.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    for (const coordinatorLedgerKey of ['silo.example/ledger', wrongId]) {
      expect(() =>
        validateConfig(workerConfigSchema, { ...minimal, coordinatorLedgerKey }, 'worker.yaml'),
      ).toThrow(
        expect.objectContaining({
          code: 'ERR_BAD_CONFIG',
          message: expect.stringContaining('coordinatorLedgerKey') as unknown,
        }) as Error,
      );
    }
  });
});
