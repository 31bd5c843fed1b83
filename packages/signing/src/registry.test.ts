import { describe, it, expect } from 'vitest';
import { generateKeyPair, type KeyPair } from './keys.js';
import { enrollmentFor, KeyRegistry } from './registry.js';

const clock = (start: number) => {
  let t = start;
  return () => t++;
};

describe('KeyRegistry', () => {
  it('enrolls and looks up a key', async () => {
    const pair = await generateKeyPair();
    const registry = new KeyRegistry({ now: clock(1000) });
    const entry = registry.enroll(await enrollmentFor(pair.publicJwk, 'hospital-a', 'Org A'));
    expect(entry).toEqual({
      keyId: pair.keyId,
      name: 'hospital-a',
      org: 'Org A',
      publicJwk: pair.publicJwk,
      enrolledAt: 1000,
    });
    expect(registry.get(pair.keyId)).toEqual(entry);
    expect(registry.activeKey(pair.keyId)).toEqual(pair.publicJwk);
    expect(registry.list()).toEqual([entry]);
  });

  it('is idempotent for the same key, name and org', async () => {
    const pair = await generateKeyPair();
    const registry = new KeyRegistry({ now: clock(1) });
    const first = registry.enroll({ ...(await enrollmentFor(pair.publicJwk, 'w')) });
    const again = registry.enroll({ ...(await enrollmentFor(pair.publicJwk, 'w')) });
    expect(again).toEqual(first);
    expect(registry.list()).toHaveLength(1);
  });

  it('refuses the same key under another name', async () => {
    const pair = await generateKeyPair();
    const registry = new KeyRegistry();
    registry.enroll(await enrollmentFor(pair.publicJwk, 'w1'));
    expect(() => registry.enroll({ publicJwk: pair.publicJwk, keyId: pair.keyId, name: 'w2' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFLICT' }),
    );
  });

  it('refuses a private JWK', async () => {
    const pair = await generateKeyPair();
    expect(() =>
      new KeyRegistry().enroll({ publicJwk: pair.privateJwk, keyId: pair.keyId, name: 'w' }),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('private key') as unknown,
      }),
    );
  });

  it('refuses a key id that is not the thumbprint', async () => {
    const [a, b] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    expect(() => new KeyRegistry().enroll({ publicJwk: a.publicJwk, keyId: b.keyId, name: 'w' })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });

  it('refuses an empty name', async () => {
    const pair = await generateKeyPair();
    expect(() =>
      new KeyRegistry().enroll({ publicJwk: pair.publicJwk, keyId: pair.keyId, name: ' ' }),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });

  describe('revocation', () => {
    async function enrolled(): Promise<{ registry: KeyRegistry; pair: KeyPair }> {
      const pair = await generateKeyPair();
      const registry = new KeyRegistry({ now: clock(100) });
      registry.enroll(await enrollmentFor(pair.publicJwk, 'w'));
      return { registry, pair };
    }

    it('hides the key from activeKey but keeps the entry', async () => {
      const { registry, pair } = await enrolled();
      registry.revoke(pair.keyId, 500);
      expect(registry.activeKey(pair.keyId)).toBeUndefined();
      expect(registry.get(pair.keyId)?.revokedAt).toBe(500);
    });

    it('keeps the first revocation time', async () => {
      const { registry, pair } = await enrolled();
      registry.revoke(pair.keyId, 500);
      registry.revoke(pair.keyId, 900);
      expect(registry.get(pair.keyId)?.revokedAt).toBe(500);
    });

    it('cannot be undone by enrolling again', async () => {
      const { registry, pair } = await enrolled();
      registry.revoke(pair.keyId);
      expect(() => registry.enroll({ publicJwk: pair.publicJwk, keyId: pair.keyId, name: 'w' })).toThrow(
        expect.objectContaining({ code: 'ERR_FORBIDDEN' }),
      );
      expect(registry.activeKey(pair.keyId)).toBeUndefined();
    });

    it('cannot be undone by editing a returned entry', async () => {
      const { registry, pair } = await enrolled();
      registry.revoke(pair.keyId);
      const entry = registry.get(pair.keyId);
      expect(() => {
        if (entry) delete entry.revokedAt;
      }).toThrow(TypeError);
      expect(registry.activeKey(pair.keyId)).toBeUndefined();
    });

    it('of an unknown key is ERR_NOT_FOUND', () => {
      expect(() => new KeyRegistry().revoke('nope')).toThrow(
        expect.objectContaining({ code: 'ERR_NOT_FOUND' }),
      );
    });
  });

  describe('persistence', () => {
    it('round-trips through JSON text', async () => {
      const [a, b] = await Promise.all([generateKeyPair(), generateKeyPair()]);
      const registry = new KeyRegistry({ now: clock(10) });
      registry.enroll(await enrollmentFor(a.publicJwk, 'a', 'A'));
      registry.enroll(await enrollmentFor(b.publicJwk, 'b'));
      registry.revoke(b.keyId, 99);

      const restored = KeyRegistry.fromJSON(JSON.parse(JSON.stringify(registry)));
      expect(restored.list()).toEqual(registry.list());
      expect(restored.activeKey(a.keyId)).toEqual(a.publicJwk);
      expect(restored.activeKey(b.keyId)).toBeUndefined();
    });

    it.each([
      ['not an array', () => ({})],
      ['a non-object entry', () => [1]],
      ['an unknown field', (e: object) => [{ ...e, admin: true }]],
      ['a wrong key id', (e: object) => [{ ...e, keyId: 'x' }]],
      ['a fractional enrolledAt', (e: object) => [{ ...e, enrolledAt: 1.5 }]],
      ['a string revokedAt', (e: object) => [{ ...e, revokedAt: 'yesterday' }]],
      ['a repeated key', (e: object) => [e, e]],
    ])('rejects %s', async (_label, mutate) => {
      const pair = await generateKeyPair();
      const registry = new KeyRegistry();
      registry.enroll(await enrollmentFor(pair.publicJwk, 'w'));
      const [entry] = registry.toJSON();
      expect(() => KeyRegistry.fromJSON(mutate(entry as object))).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
      );
    });
  });
});
