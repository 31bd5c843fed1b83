import { SiloError, type SiloErrorCode } from '@silo/common';

const BASE64URL_ALPHABET = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes unpadded base64url, accepting only the canonical encoding.
 *
 * Lenient decoders (Node's, and the one jose uses) ignore the unused low bits of the last
 * character, so several strings decode to the same bytes; for signatures that makes a JWS
 * malleable (a changed string that still verifies). Re-encoding and comparing rules it out.
 *
 * @param what - the member being decoded, for the message.
 * @param code - the error code to raise, so callers keep their own failure classification.
 */
export function decodeBase64url(text: string, what: string, code: SiloErrorCode): Uint8Array {
  if (!BASE64URL_ALPHABET.test(text) || text.length % 4 === 1) {
    throw new SiloError(code, `${what} is not base64url`);
  }
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) {
    throw new SiloError(code, `${what} is not canonical base64url`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Unpadded base64url of `bytes`. */
export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
