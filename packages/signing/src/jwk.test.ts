import { calculateJwkThumbprint } from 'jose';
import { describe, it, expect } from 'vitest';
import { keyIdOf, parsePrivateJwk, parsePublicJwk } from './jwk.js';

// RFC 8037 appendix A.1–A.3: an Ed25519 key and its RFC 7638 thumbprint.
const RFC8037_X = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
const RFC8037_D = 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A';
const RFC8037_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';

describe('keyIdOf', () => {
  it('is the RFC 7638 thumbprint (RFC 8037 A.3 known answer)', async () => {
    await expect(keyIdOf({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X })).resolves.toBe(RFC8037_THUMBPRINT);
  });

  it('agrees with jose', async () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: 'v4pjrUz-BrMI702GXx3X8MLNBWM2Dyj3MDDLF2X1EEo' };
    await expect(keyIdOf(jwk)).resolves.toBe(await calculateJwkThumbprint(jwk, 'sha256'));
  });

  it('ignores decorative members', async () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: RFC8037_X, kid: 'whatever', alg: 'EdDSA', use: 'sig' };
    await expect(keyIdOf(jwk)).resolves.toBe(RFC8037_THUMBPRINT);
  });
});

describe('parsePublicJwk', () => {
  it('keeps only kty, crv and x', () => {
    expect(parsePublicJwk({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X, kid: 'k' })).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: RFC8037_X,
    });
  });

  it.each([
    ['a private key', { kty: 'OKP', crv: 'Ed25519', x: RFC8037_X, d: RFC8037_D }, 'private key'],
    ['another curve', { kty: 'OKP', crv: 'X25519', x: RFC8037_X }, 'Ed25519'],
    ['an EC key', { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }, 'Ed25519'],
    ['a short x', { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }, '3 bytes'],
    ['x with padding', { kty: 'OKP', crv: 'Ed25519', x: `${RFC8037_X}=` }, 'base64url'],
    [
      'x with a non-canonical last character',
      { kty: 'OKP', crv: 'Ed25519', x: `${RFC8037_X.slice(0, -1)}p` },
      'canonical',
    ],
    ['an unknown member', { kty: 'OKP', crv: 'Ed25519', x: RFC8037_X, x5c: [] }, 'x5c'],
    ['no x', { kty: 'OKP', crv: 'Ed25519' }, 'member x'],
    ['an array', [], 'JSON object'],
    ['null', null, 'JSON object'],
  ])('rejects %s', (_label, jwk, message) => {
    expect(() => parsePublicJwk(jwk)).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining(message) as unknown,
      }),
    );
  });
});

describe('parsePrivateJwk', () => {
  it('accepts the RFC 8037 private key', () => {
    expect(parsePrivateJwk({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X, d: RFC8037_D }).d).toBe(RFC8037_D);
  });

  it('rejects a public key', () => {
    expect(() => parsePrivateJwk({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });
});
