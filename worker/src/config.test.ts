import { describe, expect, it } from 'vitest';
import { validateConfig } from '@silo/common';
import { workerConfigSchema } from './config.js';
import { noteKey } from './ledger.fixture.js';

const pinned = noteKey('silo.example/ledger').verifierKeyText;
const minimal = {
  coordinatorKey: pinned,
  name: 'hospital-a',
  coordinator: 'coordinator.example:7070',
  keyFile: 'worker.key.json',
  tls: { ca: 'pki/ca.crt', cert: 'pki/workers/hospital-a.crt', key: 'pki/workers/hospital-a.key' },
  data: { kind: 'mnist', parts: 2, index: 0 },
};

describe('workerConfigSchema', () => {
  it('defaults the state directory and the receipt policy', () => {
    const config = validateConfig(
      workerConfigSchema,
      { ...minimal, coordinatorKey: undefined, insecure: true, tls: undefined },
      'worker.yaml',
    );
    expect(config.stateDir).toBe('.silo/worker');
    expect(config.coordinatorKey).toBeUndefined();
    expect(config.policy).toEqual({});
    expect(config.receipts).toEqual({ giveUpMs: 30 * 60_000, initialDelayMs: 1_000, maxDelayMs: 60_000 });
  });

  it('accepts a pinned coordinator ledger key and origin', () => {
    const { verifierKeyText } = noteKey('silo.example/ledger');
    const config = validateConfig(
      workerConfigSchema,
      {
        ...minimal,
        stateDir: '/var/lib/silo',
        coordinatorKey: verifierKeyText,
        ledgerOrigin: 'silo.example/run',
      },
      'worker.yaml',
    );
    expect(config).toMatchObject({ stateDir: '/var/lib/silo', coordinatorKey: verifierKeyText });
  });

  it('requires the coordinator key to be pinned unless the worker runs insecure', () => {
    expect(() =>
      validateConfig(workerConfigSchema, { ...minimal, coordinatorKey: undefined }, 'worker.yaml'),
    ).toThrow(/coordinatorKey: pin/);
  });

  it('refuses a malformed ledger key, naming the field', () => {
    const { verifierKeyText } = noteKey('silo.example/ledger');
    const wrongId = verifierKeyText.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    for (const coordinatorKey of ['silo.example/ledger', wrongId]) {
      expect(() => validateConfig(workerConfigSchema, { ...minimal, coordinatorKey }, 'worker.yaml')).toThrow(
        expect.objectContaining({
          code: 'ERR_BAD_CONFIG',
          message: expect.stringContaining('coordinatorKey') as unknown,
        }) as Error,
      );
    }
  });

  it('requires mTLS files or an explicit insecure: true, not both', () => {
    const { tls, ...plain } = minimal;
    expect(validateConfig(workerConfigSchema, { ...plain, insecure: true }, 'w.yaml').insecure).toBe(true);
    expect(validateConfig(workerConfigSchema, minimal, 'w.yaml').tls).toEqual(tls);
    const refused = (raw: unknown) => () => validateConfig(workerConfigSchema, raw, 'w.yaml');
    for (const raw of [plain, { ...plain, insecure: false }, { ...minimal, insecure: true }])
      expect(refused(raw)).toThrow(
        expect.objectContaining({
          code: 'ERR_BAD_CONFIG',
          message: expect.stringMatching(/^w\.yaml: tls: /) as unknown,
        }) as Error,
      );
    expect(refused({ ...plain, tls: { ca: 'ca.crt', cert: 'w.crt' } })).toThrow(/tls\.key/);
  });
});

describe('workerConfigSchema attack (simulation only)', () => {
  it('parses the attack into its typed form', () => {
    const config = validateConfig(workerConfigSchema, { ...minimal, attack: 'scale:-10' }, 'worker.yaml');
    expect(config.attack).toEqual({ kind: 'scale', factor: -10 });
    expect(validateConfig(workerConfigSchema, minimal, 'worker.yaml').attack).toBeUndefined();
  });

  it('refuses an unknown attack with ERR_BAD_CONFIG naming the value', () => {
    expect(() =>
      validateConfig(workerConfigSchema, { ...minimal, attack: 'gaussian:-1' }, 'worker.yaml'),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    expect(() =>
      validateConfig(workerConfigSchema, { ...minimal, attack: 'gaussian:-1' }, 'worker.yaml'),
    ).toThrow('"gaussian:-1"');
  });
});
