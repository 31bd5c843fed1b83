import { calculateJwkThumbprint } from 'jose';
import { describe, it, expect } from 'vitest';
import { verifySigned } from './jws.js';
import { generateKeyPair, signingKeyFromJwk } from './keys.js';

describe('generateKeyPair', () => {
  it('makes an Ed25519 pair whose key id is the jose thumbprint', async () => {
    const pair = await generateKeyPair();
    expect(pair.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: pair.privateJwk.x });
    expect(Buffer.from(pair.privateJwk.d, 'base64url')).toHaveLength(32);
    expect(pair.keyId).toBe(await calculateJwkThumbprint({ ...pair.publicJwk }, 'sha256'));
  });

  it('makes a different key each time', async () => {
    const [a, b] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    expect(a.keyId).not.toBe(b.keyId);
  });
});

describe('signingKeyFromJwk', () => {
  it('signs what its public key verifies', async () => {
    const pair = await generateKeyPair();
    const key = await signingKeyFromJwk(pair.privateJwk);
    expect(key.keyId).toBe(pair.keyId);
    const jws = await key.sign('t', { n: 1 });
    const resolve = (kid: string) => (kid === pair.keyId ? pair.publicJwk : undefined);
    await expect(verifySigned(jws, 't', resolve)).resolves.toEqual({ keyId: pair.keyId, payload: { n: 1 } });
  });

  it('does not expose the private key', async () => {
    const pair = await generateKeyPair();
    const key = await signingKeyFromJwk(pair.privateJwk);
    expect(JSON.stringify(key)).not.toContain(pair.privateJwk.d);
    expect(Object.isFrozen(key)).toBe(true);
  });

  it('rejects a private JWK whose x belongs to another key', async () => {
    const [a, b] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    await expect(signingKeyFromJwk({ ...a.privateJwk, x: b.publicJwk.x })).rejects.toMatchObject({
      code: 'ERR_BAD_INPUT',
      message: expect.stringContaining('x is not the public key of d') as unknown,
    });
  });

  it('rejects a public JWK', async () => {
    const pair = await generateKeyPair();
    await expect(signingKeyFromJwk(pair.publicJwk)).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
  });

  it('rejects an empty typ', async () => {
    const key = await signingKeyFromJwk((await generateKeyPair()).privateJwk);
    await expect(key.sign('', {})).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
  });
});
