import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { SiloError } from '@silo/common';
import { fromBase64Url, KEY_BYTES, toBase64Url } from './keys.js';

/** Bytes of one Shamir share of a 32-byte secret: the y-values, then the x-coordinate. */
export const SHARE_BYTES = KEY_BYTES + 1;

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** iv ‖ AES-GCM(self share ‖ mask share) ‖ tag. */
const SEALED_BYTES = IV_BYTES + 2 * SHARE_BYTES + TAG_BYTES;

/** One neighbour's pair of shares of a worker's two secrets. */
export interface SharePair {
  /** Share of the self-mask seed b. */
  readonly self: Uint8Array;
  /** Share of the raw mask private key s_sk. */
  readonly mask: Uint8Array;
}

/** Associated data of the share sent from `from` to `to`: binds the session and the direction. */
export function shareAad(context: string, from: string, to: string): Buffer {
  return Buffer.from(`${context}|${from}|${to}`, 'utf8');
}

/** AES-256-GCM of `pair` under `key` with a fresh random IV; base64url of iv ‖ ciphertext ‖ tag. */
export function sealShares(key: Uint8Array, aad: Buffer, pair: SharePair): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(pair.self), cipher.update(pair.mask), cipher.final()]);
  return toBase64Url(Buffer.concat([iv, body, cipher.getAuthTag()]));
}

/**
 * Decrypts what {@link sealShares} produced.
 *
 * @throws SiloError `ERR_BAD_INPUT` for a malformed ciphertext; `ERR_BAD_SIGNATURE` when it does
 *   not authenticate (tampered, another session, another pair or direction).
 */
export function openShares(key: Uint8Array, aad: Buffer, sealed: string, from: string): SharePair {
  const bytes = fromBase64Url(sealed, SEALED_BYTES, `encrypted shares from ${from}`);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(aad);
  decipher.setAuthTag(bytes.subarray(SEALED_BYTES - TAG_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, SEALED_BYTES - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch (err) {
    throw new SiloError(
      'ERR_BAD_SIGNATURE',
      `shares from ${from} do not authenticate: altered in transit or meant for another session; abort the round`,
      { cause: err },
    );
  }
  return {
    self: new Uint8Array(plain.subarray(0, SHARE_BYTES)),
    mask: new Uint8Array(plain.subarray(SHARE_BYTES)),
  };
}

/** `count` Shamir shares of a 32-byte secret, any `threshold` of which reconstruct it. */
export async function splitSecret(
  secret: Uint8Array,
  count: number,
  threshold: number,
): Promise<Uint8Array[]> {
  // The library checks the constructor, so a Buffer must be copied into a plain Uint8Array.
  return split(new Uint8Array(secret), count, threshold);
}

/**
 * The secret behind `shares`, which must have distinct x-coordinates. Fewer than the threshold
 * give a wrong secret silently, so callers count first.
 */
export async function combineShares(shares: readonly Uint8Array[]): Promise<Uint8Array> {
  return combine(shares.map((share) => new Uint8Array(share)));
}
