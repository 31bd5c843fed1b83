import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import type { PublicJwk } from './jwk.js';
import { verifySigned, type FlattenedJws } from './jws.js';
import { generateKeyPair, signingKeyFromJwk, type SigningKey } from './keys.js';

// RFC 8037 appendix A: an Ed25519 key, its thumbprint and a signed example (A.4).
const RFC_PUBLIC: PublicJwk = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
};
const RFC_PRIVATE = { ...RFC_PUBLIC, d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' };
const RFC_KID = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
const RFC_A4: FlattenedJws = {
  protected: 'eyJhbGciOiJFZERTQSJ9',
  payload: 'RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc',
  signature: 'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
};
const TYP = 'silo-test+jws';

const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');
const rfcPrivateKey: KeyObject = createPrivateKey({ key: RFC_PRIVATE, format: 'jwk' });
const resolveRfc = (kid: string): PublicJwk | undefined => (kid === RFC_KID ? RFC_PUBLIC : undefined);

/** A JWS built and signed with node:crypto only, so tests can craft any header or payload. */
function handSigned(
  header: object,
  payload: string | Uint8Array,
  key: KeyObject = rfcPrivateKey,
): FlattenedJws {
  const protectedHeader = b64(JSON.stringify(header));
  const encodedPayload = b64(payload);
  const signature = nodeSign(null, Buffer.from(`${protectedHeader}.${encodedPayload}`), key);
  return { protected: protectedHeader, payload: encodedPayload, signature: b64(signature) };
}

/** `jws` with bit 0 of byte `index` of the decoded `part` flipped, re-encoded canonically. */
function flipped(jws: FlattenedJws, part: keyof FlattenedJws, index: number): FlattenedJws {
  const bytes = Buffer.from(jws[part], 'base64url');
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return { ...jws, [part]: b64(bytes) };
}

const rejectsWith = (jws: unknown, code: string, resolve = resolveRfc): Promise<void> =>
  expect(verifySigned(jws as FlattenedJws, TYP, resolve)).rejects.toMatchObject({ code });

describe('sign and verifySigned', () => {
  let rfcKey: SigningKey;
  beforeAll(async () => {
    rfcKey = await signingKeyFromJwk(RFC_PRIVATE);
  });

  it('round-trips a payload', async () => {
    const jws = await rfcKey.sign(TYP, { round: 3, note: 'héllo' });
    await expect(verifySigned(jws, TYP, resolveRfc)).resolves.toEqual({
      keyId: RFC_KID,
      payload: { round: 3, note: 'héllo' },
    });
    expect(Object.keys(jws).sort()).toEqual(['payload', 'protected', 'signature']);
    expect(JSON.parse(Buffer.from(jws.protected, 'base64url').toString())).toEqual({
      alg: 'EdDSA',
      kid: RFC_KID,
      typ: TYP,
    });
  });

  it('produces the same Ed25519 signature as node:crypto (deterministic signing)', async () => {
    const jws = await rfcKey.sign(TYP, { a: 1 });
    const independent = nodeSign(null, Buffer.from(`${jws.protected}.${jws.payload}`), rfcPrivateKey);
    expect(jws.signature).toBe(b64(independent));
    expect(
      nodeVerify(
        null,
        Buffer.from(`${jws.protected}.${jws.payload}`),
        createPublicKey(rfcPrivateKey),
        independent,
      ),
    ).toBe(true);
  });

  it('accepts the RFC 9864 alg name Ed25519', async () => {
    const jws = handSigned({ alg: 'Ed25519', kid: RFC_KID, typ: TYP }, '{"x":1}');
    await expect(verifySigned(jws, TYP, resolveRfc)).resolves.toEqual({ keyId: RFC_KID, payload: { x: 1 } });
  });

  it('refuses the RFC 8037 A.4 example, valid but without kid and typ', async () => {
    const input = Buffer.from(`${RFC_A4.protected}.${RFC_A4.payload}`);
    expect(
      nodeVerify(null, input, createPublicKey(rfcPrivateKey), Buffer.from(RFC_A4.signature, 'base64url')),
    ).toBe(true);
    await rejectsWith(RFC_A4, 'ERR_BAD_SIGNATURE');
  });
});

describe('verifySigned refuses', () => {
  const header = { alg: 'EdDSA', kid: RFC_KID, typ: TYP };
  const good = handSigned(header, '{"round":1,"keyId":"someone"}');

  it('the control case is accepted', async () => {
    await expect(verifySigned(good, TYP, resolveRfc)).resolves.toMatchObject({ keyId: RFC_KID });
  });

  it('alg none', async () => {
    const protectedHeader = b64(JSON.stringify({ alg: 'none', kid: RFC_KID, typ: TYP }));
    await rejectsWith(
      { protected: protectedHeader, payload: good.payload, signature: '' },
      'ERR_BAD_SIGNATURE',
    );
  });

  it('HS256 keyed with the public key bytes (algorithm confusion)', async () => {
    const protectedHeader = b64(JSON.stringify({ alg: 'HS256', kid: RFC_KID, typ: TYP }));
    const mac = createHmac('sha256', Buffer.from(RFC_PUBLIC.x, 'base64url'))
      .update(`${protectedHeader}.${good.payload}`)
      .digest();
    await rejectsWith(
      { protected: protectedHeader, payload: good.payload, signature: b64(mac) },
      'ERR_BAD_SIGNATURE',
    );
  });

  it.each([
    ['another alg', { ...header, alg: 'ES256' }],
    ['crit with b64:false', { ...header, b64: false, crit: ['b64'] }],
    ['an embedded jwk', { ...header, jwk: RFC_PUBLIC }],
    ['an unknown member', { ...header, extra: 1 }],
    ['no kid', { alg: 'EdDSA', typ: TYP }],
    ['no typ', { alg: 'EdDSA', kid: RFC_KID }],
    ['a non-string kid', { ...header, kid: 7 }],
  ])('a correctly signed header with %s', async (_label, badHeader) => {
    await rejectsWith(handSigned(badHeader, '{}'), 'ERR_BAD_SIGNATURE');
  });

  it.each([
    ['null', null],
    ['a string', 'a.b.c'],
    ['a missing signature', { protected: good.protected, payload: good.payload }],
    ['an unprotected header', { ...good, header: { kid: RFC_KID } }],
    ['a protected header that is not base64url', { ...good, protected: '!!!' }],
    ['a protected header that is not JSON', { ...good, protected: b64('not json') }],
    ['a protected header that is a JSON array', { ...good, protected: b64('[]') }],
  ])('a malformed JWS: %s', async (_label, jws) => {
    await rejectsWith(jws, 'ERR_BAD_SIGNATURE');
  });

  it('a signature in non-canonical base64url that lenient decoders accept', async () => {
    // 64 bytes encode to 86 characters; the last one carries 2 bits and 4 ignored ones.
    const last = good.signature.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const variant = `${good.signature.slice(0, -1)}${alphabet[alphabet.indexOf(last) + 1]}`;
    expect(Buffer.from(variant, 'base64url').equals(Buffer.from(good.signature, 'base64url'))).toBe(true);
    await rejectsWith({ ...good, signature: variant }, 'ERR_BAD_SIGNATURE');
  });

  it('any single flipped bit in payload or signature', async () => {
    for (const part of ['payload', 'signature'] as const) {
      const length = Buffer.from(good[part], 'base64url').length;
      for (let i = 0; i < length; i++) await rejectsWith(flipped(good, part, i), 'ERR_BAD_SIGNATURE');
    }
  });

  it('any single flipped bit in the protected header (ERR_UNKNOWN_KEY when it lands in the kid)', async () => {
    const json = Buffer.from(good.protected, 'base64url').toString();
    const kidStart = json.indexOf(RFC_KID);
    for (let i = 0; i < json.length; i++) {
      const inKid = i >= kidStart && i < kidStart + RFC_KID.length;
      await rejectsWith(flipped(good, 'protected', i), inKid ? 'ERR_UNKNOWN_KEY' : 'ERR_BAD_SIGNATURE');
    }
  });

  it('an unknown kid', async () => {
    await rejectsWith(good, 'ERR_UNKNOWN_KEY', () => undefined);
  });

  it('a resolver that returns a key other than the one the kid names', async () => {
    const other = await generateKeyPair();
    await rejectsWith(good, 'ERR_UNKNOWN_KEY', () => other.publicJwk);
  });

  it('a key verified before and then revoked, or swapped for another under its kid', async () => {
    // The first verification imports the key; later ones must still ask the resolver.
    await expect(verifySigned(good, TYP, resolveRfc)).resolves.toMatchObject({ keyId: RFC_KID });
    await rejectsWith(good, 'ERR_UNKNOWN_KEY', () => undefined);
    const other = await generateKeyPair();
    await rejectsWith(good, 'ERR_UNKNOWN_KEY', () => other.publicJwk);
    await expect(verifySigned(good, TYP, resolveRfc)).resolves.toMatchObject({ keyId: RFC_KID });
  });

  it('a valid signature by another key under this kid', async () => {
    const other = await generateKeyPair();
    await rejectsWith(
      handSigned(header, '{}', createPrivateKey({ key: { ...other.privateJwk }, format: 'jwk' })),
      'ERR_BAD_SIGNATURE',
    );
  });

  it('another typ, with ERR_BAD_MANIFEST once the signature is valid', async () => {
    await expect(verifySigned(good, 'silo-receipt+jws', resolveRfc)).rejects.toMatchObject({
      code: 'ERR_BAD_MANIFEST',
    });
  });

  it.each([
    ['not JSON', 'round=1'],
    ['not UTF-8', Uint8Array.from([0x22, 0xff, 0x22])],
  ])('a validly signed payload that is %s, with ERR_BAD_MANIFEST', async (_label, payload) => {
    await rejectsWith(handSigned(header, payload), 'ERR_BAD_MANIFEST');
  });
});
