import { createPublicKey } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, signingKeyFromJwk, type SigningKey } from '@silo/signing';
import {
  CONTROL_PLANE_AUDIENCE,
  MAX_TOKEN_TTL_MS,
  controlPlaneAuthenticator,
  mintControlToken,
  parseControlClaims,
  parseTokenRequest,
  parseTtl,
  verifyControlToken,
} from './control-tokens.js';

const ISSUER = 'silo-unit';
const HOUR_MS = 3_600_000;

describe('parseTtl', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 30 * 60_000],
    ['24h', 24 * HOUR_MS],
    ['7d', 7 * 24 * HOUR_MS],
    ['366d', MAX_TOKEN_TTL_MS],
  ])('reads %s', (text, ms) => {
    expect(parseTtl(text)).toBe(ms);
  });

  it.each(['', '24', 'h', '0h', '1.5h', '-1d', '24H', '1w', ' 1h', '1h ', '01h'])('refuses %j', (text) => {
    expect(() => parseTtl(text)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });

  it('refuses a number, and a lifetime past the cap with a message that names it', () => {
    expect(() => parseTtl(3600)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => parseTtl('367d')).toThrow(/longer than the maximum of 366d/);
    expect(() => parseTtl('8785h')).toThrow(/maximum of 366d/);
    expect(() => parseTtl('999999999999999d')).toThrow(/maximum of 366d/);
  });
});

describe('parseTokenRequest', () => {
  it('reads role, subject and ttl, defaulting the ttl to 24h', () => {
    expect(parseTokenRequest({ role: 'auditor', subject: 'kim', ttl: '30m' })).toEqual({
      role: 'auditor',
      subject: 'kim',
      ttlMs: 30 * 60_000,
    });
    expect(parseTokenRequest({ role: 'admin', subject: 'ops' }).ttlMs).toBe(24 * HOUR_MS);
  });

  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    [{ role: 'root', subject: 'x' }, /role must be one of admin, model-team, auditor/],
    [{ subject: 'x' }, /role must be one of/],
    [{ role: 'auditor' }, /subject/],
    [{ role: 'auditor', subject: '' }, /subject/],
    [{ role: 'auditor', subject: 'a\nb' }, /subject/],
    [{ role: 'auditor', subject: 'x'.repeat(201) }, /longer than 200/],
    [{ role: 'auditor', subject: 'x', ttl: '400d' }, /366d/],
    [{ role: 'auditor', subject: 'x', scope: 'all' }, /unknown field 'scope'/],
  ])('refuses %j', (body, message) => {
    expect(() => parseTokenRequest(body)).toThrow(message);
    expect(() => parseTokenRequest(body)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });
});

describe('parseControlClaims', () => {
  const valid = {
    sub: 'kim',
    role: 'model-team',
    iat: 1_700_000_000,
    exp: 1_700_003_600,
    jti: 'abc',
    iss: ISSUER,
    aud: CONTROL_PLANE_AUDIENCE,
  };

  it('accepts well-formed claims', () => {
    expect(parseControlClaims(valid, ISSUER)).toEqual(valid);
  });

  it.each([
    [{ iss: 'another-ledger' }, /issuer/],
    [{ aud: [CONTROL_PLANE_AUDIENCE] }, /audience/],
    [{ aud: 'something-else' }, /audience/],
    [{ role: 'root' }, /unknown role/],
    [{ role: undefined }, /unknown role/],
    [{ sub: '' }, /sub/],
    [{ sub: 42 }, /sub/],
    [{ jti: undefined }, /jti/],
    [{ iat: 1_700_000_000.5 }, /whole seconds/],
    [{ exp: '1700003600' }, /whole seconds/],
    [{ exp: 1_700_000_000 }, /exp is not after iat/],
    [{ exp: 1_700_000_000 + 367 * 86_400 }, /366 days/],
  ])('refuses %j', (change, message) => {
    const claims = { ...valid, ...change };
    expect(() => parseControlClaims(claims, ISSUER)).toThrow(message);
    expect(() => parseControlClaims(claims, ISSUER)).toThrow(
      expect.objectContaining({ code: 'ERR_UNAUTHENTICATED' }),
    );
  });

  it('refuses a payload that is not an object', () => {
    expect(() => parseControlClaims('claims', ISSUER)).toThrow(/no claims/);
  });
});

describe('minting and verifying tokens', () => {
  let key: SigningKey;
  let other: SigningKey;
  const publicKey = () => createPublicKey({ key: { ...key.publicJwk }, format: 'jwk' });
  const verify = (token: string, now?: Date) =>
    verifyControlToken(token, { publicKey: publicKey(), issuer: ISSUER, ...(now ? { now } : {}) });
  const refusal = (token: string) =>
    verify(token).then(
      () => 'accepted',
      (err: { code: string; message: string }) => `${err.code}: ${err.message}`,
    );

  beforeAll(async () => {
    key = await signingKeyFromJwk((await generateKeyPair()).privateJwk);
    other = await signingKeyFromJwk((await generateKeyPair()).privateJwk);
  });

  it('round-trips the claims of a token it minted', async () => {
    const { token, claims } = await mintControlToken(key, {
      issuer: ISSUER,
      role: 'auditor',
      subject: 'kim',
      ttlMs: HOUR_MS,
    });
    expect(claims.exp - claims.iat).toBe(3600);
    expect(token.split('.')).toHaveLength(3);
    expect(await verify(token)).toEqual(claims);
  });

  it('refuses an expired token, and one issued in the future, beyond the clock tolerance', async () => {
    const minted = await mintControlToken(key, {
      issuer: ISSUER,
      role: 'auditor',
      subject: 'kim',
      ttlMs: HOUR_MS,
    });
    const expiresAt = new Date(minted.claims.exp * 1000);
    // Within the tolerance it still passes; past it, it is expired.
    expect(await verify(minted.token, new Date(expiresAt.getTime() + 10_000))).toEqual(minted.claims);
    await expect(verify(minted.token, new Date(expiresAt.getTime() + 60_000))).rejects.toMatchObject({
      code: 'ERR_UNAUTHENTICATED',
      message: 'token expired',
    });
    const future = await mintControlToken(key, {
      issuer: ISSUER,
      role: 'admin',
      subject: 'kim',
      ttlMs: HOUR_MS,
      nowMs: Date.now() + 10 * 60_000,
    });
    expect(await refusal(future.token)).toMatch(/^ERR_UNAUTHENTICATED: token refused: claim 'iat'/);
  });

  it('refuses tokens of another key, another issuer, another typ, alg none and HS256', async () => {
    const request = { issuer: ISSUER, role: 'admin' as const, subject: 'mallory', ttlMs: HOUR_MS };
    const foreign = await mintControlToken(other, request);
    expect(await refusal(foreign.token)).toBe(
      "ERR_UNAUTHENTICATED: token signature does not verify against this coordinator's key",
    );
    const otherIssuer = await mintControlToken(key, { ...request, issuer: 'another-ledger' });
    expect(await refusal(otherIssuer.token)).toMatch(/^ERR_UNAUTHENTICATED: token refused: claim 'iss'/);

    // A genuine signature over a JWS of another kind is not a token.
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'mallory', role: 'admin', iat: now, exp: now + 3600, jti: 'j', iss: ISSUER };
    const record = await key.sign('silo-aggregate+jws', { ...claims, aud: CONTROL_PLANE_AUDIENCE });
    expect(await refusal(`${record.protected}.${record.payload}.${record.signature}`)).toMatch(/claim 'typ'/);

    const unsecured = new UnsecuredJWT({ ...claims, aud: CONTROL_PLANE_AUDIENCE }).encode();
    expect(await refusal(unsecured)).toMatch(/^ERR_UNAUTHENTICATED: token algorithm is not allowed/);

    const hs256 = await new SignJWT({ ...claims, aud: CONTROL_PLANE_AUDIENCE })
      .setProtectedHeader({ alg: 'HS256', typ: 'silo-control+jwt' })
      .sign(Buffer.from(key.publicJwk.x, 'base64url'));
    expect(await refusal(hs256)).toMatch(/^ERR_UNAUTHENTICATED: token algorithm is not allowed/);

    expect(await refusal('a.b.c')).toMatch(/^ERR_UNAUTHENTICATED: malformed token/);
  });

  it('authenticates the bootstrap secret as admin and a token as its subject and role', async () => {
    const authenticate = controlPlaneAuthenticator({
      bootstrapSecret: 'bootstrap-secret-0123456789',
      publicJwk: key.publicJwk,
      issuer: ISSUER,
    });
    expect(await authenticate('bootstrap-secret-0123456789')).toEqual({
      subject: 'bootstrap',
      role: 'admin',
    });
    const { token, claims } = await mintControlToken(key, {
      issuer: ISSUER,
      role: 'model-team',
      subject: 'team-a',
      ttlMs: HOUR_MS,
    });
    expect(await authenticate(token)).toEqual({ subject: 'team-a', role: 'model-team', tokenId: claims.jti });
    await expect(authenticate('bootstrap-secret-012345678')).rejects.toMatchObject({
      code: 'ERR_UNAUTHENTICATED',
      message: 'invalid bearer token: neither the bootstrap secret nor a signed token',
    });
  });
});
