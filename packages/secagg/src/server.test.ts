import { generateKeyPairSync } from 'node:crypto';
import { split } from 'shamir-secret-sharing';
import { describe, expect, it } from 'vitest';
import type { Reveal } from './messages.js';
import { pairSeed, reconstructSecrets } from './server.js';

function pair(): { d: Uint8Array; x: string } {
  const jwk = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
  return { d: new Uint8Array(Buffer.from(jwk.d!, 'base64url')), x: jwk.x! };
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

async function revealsOf(of: string, kind: Reveal['kind'], secret: Uint8Array, count: number, t: number) {
  return (await split(secret, count, t)).map((share) => ({ of, kind, share: b64(share) }));
}

describe('reconstructSecrets', () => {
  it('combines t or more shares per secret, by peer and kind', async () => {
    const seed = new Uint8Array(32).fill(9);
    const key = pair().d;
    const reveals = [
      ...(await revealsOf('u', 'self', seed, 5, 3)),
      ...(await revealsOf('v', 'mask', key, 4, 3)),
    ];
    const secrets = await reconstructSecrets(reveals.slice(1), 3);
    expect(secrets.self.get('u')).toEqual(seed);
    expect(secrets.mask.get('v')).toEqual(key);
    expect(secrets.self.has('v')).toBe(false);
  });

  it('needs t distinct shares, naming the peer short of them', async () => {
    const shares = await revealsOf('u', 'self', new Uint8Array(32), 5, 3);
    const twoTwice = [shares[0]!, shares[1]!, shares[0]!];
    await expect(reconstructSecrets(twoTwice, 3)).rejects.toThrow(
      expect.objectContaining({
        code: 'ERR_POLICY',
        message: expect.stringContaining('self shares of u') as string,
      }),
    );
  });

  it('refuses both secrets of one peer, conflicting shares and malformed ones', async () => {
    const self = await revealsOf('u', 'self', new Uint8Array(32), 5, 3);
    const mask = await revealsOf('u', 'mask', pair().d, 5, 3);
    await expect(reconstructSecrets([...self, ...mask], 3)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_POLICY', message: expect.stringContaining('both') as string }),
    );
    const bytes = Buffer.from(self[0]!.share, 'base64url');
    bytes[0]! ^= 1;
    const conflicting = [...self, { ...self[0]!, share: bytes.toString('base64url') }];
    const badInput = expect.objectContaining({ code: 'ERR_BAD_INPUT' }) as Error;
    await expect(reconstructSecrets(conflicting, 3)).rejects.toThrow(badInput);
    await expect(reconstructSecrets([{ ...self[0]!, share: 'AAAA' }], 3)).rejects.toThrow(badInput);
    await expect(reconstructSecrets(self, 1)).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
  });
});

describe('pairSeed', () => {
  it('is the same from either end, and differs per session', () => {
    const u = pair();
    const v = pair();
    const seed = pairSeed(v.d, v.x, u.x, 'run/1');
    expect(seed).toHaveLength(32);
    expect(pairSeed(u.d, u.x, v.x, 'run/1')).toEqual(seed);
    expect(pairSeed(v.d, v.x, u.x, 'run/2')).not.toEqual(seed);
  });

  it('refuses a private key that does not match the advertised public key', () => {
    const u = pair();
    const v = pair();
    expect(() => pairSeed(v.d, u.x, u.x, 'run/1')).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }),
    );
    expect(() => pairSeed(v.d.subarray(1), v.x, u.x, 'run/1')).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });
});
