import { describe, it, expect } from 'vitest';
import { decodeBase64url, encodeBase64url } from './base64url.js';

describe('decodeBase64url', () => {
  it('decodes RFC 4648 test vectors (base64url, unpadded)', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(Buffer.from(decodeBase64url(encoded, 'x', 'ERR_BAD_INPUT')).toString()).toBe(plain);
      expect(encodeBase64url(Buffer.from(plain))).toBe(encoded);
    }
    expect(encodeBase64url(Uint8Array.from([0xfb, 0xff]))).toBe('-_8');
  });

  it.each(['Zg==', 'Zm+v', 'Zm/v', 'Z', 'Zm9v Yg', 'Zh'])('rejects %j', (text) => {
    expect(() => decodeBase64url(text, 'member', 'ERR_BAD_SIGNATURE')).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }),
    );
  });

  it('rejects a non-canonical last character that lenient decoders accept', () => {
    // 'Zh' and 'Zg' both decode to 'f' in Node: the low 4 bits of 'h' are ignored.
    expect(Buffer.from('Zh', 'base64url').toString()).toBe('f');
    expect(() => decodeBase64url('Zh', 'member', 'ERR_BAD_INPUT')).toThrow(/not canonical/);
  });
});
