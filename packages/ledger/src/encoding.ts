import { SiloError, type SiloErrorCode } from '@silo/common';

const BASE64_ALPHABET = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard padded base64 (RFC 4648 §4), accepting only the canonical encoding.
 *
 * Node's decoder (like Go's non-strict one) skips stray characters and ignores the unused low
 * bits of the last character, so several strings decode to the same bytes. In a signed note
 * that would let a changed byte still verify; re-encoding and comparing rules it out.
 */
export function decodeBase64(text: string, what: string, code: SiloErrorCode): Uint8Array {
  if (!BASE64_ALPHABET.test(text)) throw new SiloError(code, `${what} is not base64`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw new SiloError(code, `${what} is not canonical base64`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Standard padded base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 that contains no ASCII control character other than newline, as the signed-note
 * format requires of a whole note (c2sp.org/signed-note, "Format").
 */
export function decodeNoteText(bytes: Uint8Array, what: string, code: SiloErrorCode): string {
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch (err) {
    throw new SiloError(code, `${what} is not valid UTF-8`, { cause: err });
  }
  checkNoteChars(text, what, code);
  return text;
}

/** Throws unless `text` is free of ASCII control characters other than newline. */
export function checkNoteChars(text: string, what: string, code: SiloErrorCode): void {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const bad = /[\u0000-\u0009\u000b-\u001f]/.exec(text);
  if (bad !== null) {
    const at = bad.index;
    throw new SiloError(code, `${what} has control character U+${text.charCodeAt(at).toString(16)} at ${at}`);
  }
}
