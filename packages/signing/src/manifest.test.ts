import { createHmac } from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { digestWeights, sha256Hex, toCanonicalBytes } from '@silo/tensors';
import type { FlattenedJws } from './jws.js';
import { generateKeyPair, signingKeyFromJwk, type KeyPair, type SigningKey } from './keys.js';
import {
  signManifest,
  verifyManifest,
  parseUpdateManifest,
  UPDATE_MANIFEST_TYP,
  type UpdateManifest,
} from './manifest.js';
import { enrollmentFor, KeyRegistry } from './registry.js';

/** Every manifest field, in canonical order. */
const MANIFEST_FIELDS = [
  'v',
  'runId',
  'round',
  'keyId',
  'baseDigest',
  'updateDigest',
  'updateBytes',
  'numExamples',
  'metrics',
  'nonce',
  'issuedAt',
];

const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');

const update = Float32Array.from([0.5, -0.25, 1]);
const fields: Omit<UpdateManifest, 'v' | 'keyId'> = {
  runId: 'run-1',
  round: 3,
  baseDigest: digestWeights(Float32Array.from([1, 2, 3])),
  updateDigest: sha256Hex(toCanonicalBytes(update)),
  updateBytes: update.byteLength,
  numExamples: 600,
  metrics: { loss: 0.31, accuracy: 0.9 },
  nonce: 'b5f0c1d2e3',
  issuedAt: 1_700_000_000_000,
};

let pair: KeyPair;
let key: SigningKey;
let registry: KeyRegistry;

beforeAll(async () => {
  pair = await generateKeyPair();
  key = await signingKeyFromJwk(pair.privateJwk);
  registry = new KeyRegistry({ now: () => 1 });
  registry.enroll(await enrollmentFor(pair.publicJwk, 'worker-1', 'Org'));
});

/** `jws` with bit 0 of byte `index` of the decoded `part` flipped, re-encoded canonically. */
function flipped(jws: FlattenedJws, part: keyof FlattenedJws, index: number): FlattenedJws {
  const bytes = Buffer.from(jws[part], 'base64url');
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return { ...jws, [part]: b64(bytes) };
}

describe('signManifest and verifyManifest', () => {
  it('round-trips a manifest', async () => {
    const jws = await signManifest(key, fields);
    await expect(verifyManifest(jws, registry)).resolves.toEqual({ v: 1, keyId: pair.keyId, ...fields });
  });

  it.each([
    ['protected header (inside typ)', 'protected', 'silo-update'],
    ['payload (inside runId)', 'payload', 'run-1'],
  ] as const)('rejects one flipped byte in the %s with ERR_BAD_SIGNATURE', async (_label, part, needle) => {
    const jws = await signManifest(key, fields);
    const index = Buffer.from(jws[part], 'base64url').toString().indexOf(needle);
    expect(index).toBeGreaterThanOrEqual(0);
    await expect(verifyManifest(flipped(jws, part, index), registry)).rejects.toMatchObject({
      code: 'ERR_BAD_SIGNATURE',
    });
  });

  it('rejects one flipped byte in the signature with ERR_BAD_SIGNATURE', async () => {
    const jws = await signManifest(key, fields);
    await expect(verifyManifest(flipped(jws, 'signature', 10), registry)).rejects.toMatchObject({
      code: 'ERR_BAD_SIGNATURE',
    });
  });

  it('rejects a key that is not enrolled', async () => {
    const stranger = await signingKeyFromJwk((await generateKeyPair()).privateJwk);
    await expect(verifyManifest(await signManifest(stranger, fields), registry)).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_KEY',
      message: expect.stringContaining('not enrolled') as unknown,
    });
  });

  it('rejects a revoked key', async () => {
    const revokedPair = await generateKeyPair();
    const local = new KeyRegistry();
    local.enroll(await enrollmentFor(revokedPair.publicJwk, 'w'));
    const revokedKey = await signingKeyFromJwk(revokedPair.privateJwk);
    const jws = await signManifest(revokedKey, fields);
    await expect(verifyManifest(jws, local)).resolves.toMatchObject({ keyId: revokedPair.keyId });

    local.revoke(revokedPair.keyId, 1_700_000_000_000);
    await expect(verifyManifest(jws, local)).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_KEY',
      message: expect.stringContaining('revoked at 2023-11-14') as unknown,
    });
  });

  it('rejects a hand-built manifest with alg none', async () => {
    const payload = b64(JSON.stringify({ v: 1, keyId: pair.keyId, ...fields }));
    const header = b64(JSON.stringify({ alg: 'none', kid: pair.keyId, typ: UPDATE_MANIFEST_TYP }));
    await expect(
      verifyManifest({ protected: header, payload, signature: '' }, registry),
    ).rejects.toMatchObject({
      code: 'ERR_BAD_SIGNATURE',
    });
  });

  it('rejects a hand-built manifest with alg HS256 keyed with the public key', async () => {
    const payload = b64(JSON.stringify({ v: 1, keyId: pair.keyId, ...fields }));
    const header = b64(JSON.stringify({ alg: 'HS256', kid: pair.keyId, typ: UPDATE_MANIFEST_TYP }));
    const mac = createHmac('sha256', Buffer.from(pair.publicJwk.x, 'base64url'))
      .update(`${header}.${payload}`)
      .digest();
    await expect(
      verifyManifest({ protected: header, payload, signature: b64(mac) }, registry),
    ).rejects.toMatchObject({
      code: 'ERR_BAD_SIGNATURE',
    });
  });

  it('rejects another typ', async () => {
    const jws = await key.sign('silo-receipt+jws', { v: 1, keyId: pair.keyId, ...fields });
    await expect(verifyManifest(jws, registry)).rejects.toMatchObject({ code: 'ERR_BAD_MANIFEST' });
  });

  it('rejects a payload keyId that differs from the header kid', async () => {
    const other = await generateKeyPair();
    const jws = await key.sign(UPDATE_MANIFEST_TYP, { v: 1, ...fields, keyId: other.keyId });
    await expect(verifyManifest(jws, registry)).rejects.toMatchObject({
      code: 'ERR_BAD_MANIFEST',
      message: expect.stringContaining('differs from the signing key') as unknown,
    });
  });

  it.each(MANIFEST_FIELDS)('rejects a signed manifest without %s, naming it', async (field) => {
    const payload: Record<string, unknown> = { v: 1, keyId: pair.keyId, ...fields };
    delete payload[field];
    await expect(
      verifyManifest(await key.sign(UPDATE_MANIFEST_TYP, payload), registry),
    ).rejects.toMatchObject({
      code: 'ERR_BAD_MANIFEST',
      message: `manifest field '${field}' is missing`,
    });
  });

  it('refuses to sign a bad manifest', async () => {
    await expect(signManifest(key, { ...fields, round: -1 })).rejects.toMatchObject({
      code: 'ERR_BAD_MANIFEST',
    });
  });
});

describe('parseUpdateManifest', () => {
  const valid = { v: 1, keyId: 'kid', ...fields };

  it('accepts a valid manifest and returns a copy in canonical field order', () => {
    const parsed = parseUpdateManifest(JSON.parse(JSON.stringify(valid)));
    expect(parsed).toEqual(valid);
    expect(Object.keys(parsed)).toEqual(MANIFEST_FIELDS);
  });

  it.each([
    ['v', 2],
    ['runId', ''],
    ['round', 1.5],
    ['round', -1],
    ['round', '3'],
    ['keyId', 7],
    ['baseDigest', 'ab'],
    ['updateDigest', fields.updateDigest.toUpperCase()],
    ['updateBytes', 12.5],
    ['numExamples', 0],
    ['numExamples', 2 ** 53],
    ['metrics', [1]],
    ['metrics', { loss: 'low' }],
    ['metrics', null],
    ['nonce', null],
    ['issuedAt', -5],
  ])('rejects %s = %j, naming the field', (field, value) => {
    expect(() => parseUpdateManifest({ ...valid, [field]: value })).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_MANIFEST',
        message: expect.stringContaining(`'${field}'`) as unknown,
      }),
    );
  });

  it('rejects unknown fields', () => {
    expect(() => parseUpdateManifest({ ...valid, admin: true })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_MANIFEST', message: "manifest has unknown field 'admin'" }),
    );
  });

  it('rejects a non-object', () => {
    expect(() => parseUpdateManifest([valid])).toThrow(expect.objectContaining({ code: 'ERR_BAD_MANIFEST' }));
  });

  it('keeps a __proto__ metric as data', () => {
    const parsed = parseUpdateManifest(JSON.parse(JSON.stringify(valid).replace('"loss"', '"__proto__"')));
    expect(Object.getPrototypeOf(parsed.metrics)).toBe(Object.prototype);
    expect(Object.entries(parsed.metrics)).toEqual([
      ['__proto__', 0.31],
      ['accuracy', 0.9],
    ]);
  });
});
