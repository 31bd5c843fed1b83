import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateConfig } from './config.js';
import { federationSecurity, forcingInsecure, loadTlsFiles } from './federation-tls.js';

const files = { ca: 'pki/ca.crt', cert: 'pki/coordinator.crt', key: 'pki/coordinator.key' };

describe('federationSecurity', () => {
  it('takes tls, or an explicit insecure: true', () => {
    expect(federationSecurity({ tls: files })).toEqual({ kind: 'mtls', files });
    expect(federationSecurity({ tls: files, insecure: false })).toEqual({ kind: 'mtls', files });
    expect(federationSecurity({ insecure: true })).toEqual({ kind: 'insecure' });
  });

  it('refuses neither and both, naming tls', () => {
    for (const config of [{}, { insecure: false }, { tls: files, insecure: true }])
      expect(() => federationSecurity(config)).toThrow(
        expect.objectContaining({
          code: 'ERR_BAD_CONFIG',
          message: expect.stringMatching(/^tls: /) as unknown,
        }) as Error,
      );
  });
});

describe('forcingInsecure', () => {
  const schema = z.object({ name: z.string(), insecure: z.boolean().optional() }).strict();

  it('sets insecure: true before validation, as the --insecure flag does', () => {
    expect(validateConfig(forcingInsecure(schema), { name: 'w' }, 'w.yaml')).toEqual({
      name: 'w',
      insecure: true,
    });
    expect(validateConfig(schema, { name: 'w' }, 'w.yaml').insecure).toBeUndefined();
  });

  it('leaves a value that is not an object to the schema to refuse', () => {
    expect(() => validateConfig(forcingInsecure(schema), 'text', 'w.yaml')).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }) as Error,
    );
  });
});

describe('loadTlsFiles', () => {
  it('names the first file it cannot read', async () => {
    await expect(loadTlsFiles({ ca: '/nonexistent/ca.crt', cert: '/x', key: '/y' })).rejects.toMatchObject({
      code: 'ERR_BAD_CONFIG',
      message: expect.stringMatching(/^tls\.ca: cannot read \/nonexistent\/ca\.crt/) as unknown,
    });
  });
});
