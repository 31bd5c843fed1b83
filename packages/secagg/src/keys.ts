import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { SiloError } from '@silo/common';

/** Bytes of a raw X25519 key, public or private. */
export const KEY_BYTES = 32;

/** HKDF info of the key that encrypts one neighbour's shares. */
export const SHARE_INFO = 'silo/secagg/share/v1';

/** HKDF info of the pairwise mask seed s_uv. */
export const MASK_INFO = 'silo/secagg/mask/v1';

/** RFC 8410 PKCS#8 prefix of a raw X25519 private key; importing this way derives the public key. */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** An X25519 key pair: the private key object and the base64url raw public key. */
export interface X25519Pair {
  readonly privateKey: KeyObject;
  readonly publicKey: string;
}

/** A fresh X25519 pair from the OS's CSPRNG. */
export function generatePair(): X25519Pair {
  const { privateKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** The raw 32 bytes of an X25519 private key. */
export function rawPrivateKey(privateKey: KeyObject): Uint8Array {
  const { d } = privateKey.export({ format: 'jwk' });
  if (d === undefined) throw new SiloError('ERR_INTERNAL', 'an X25519 private key exported without d');
  return fromBase64Url(d, KEY_BYTES, 'X25519 private key');
}

/**
 * An X25519 private key from its raw 32 bytes.
 *
 * @throws SiloError `ERR_BAD_INPUT` for a key that is not 32 bytes.
 */
export function privateKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== KEY_BYTES)
    throw new SiloError('ERR_BAD_INPUT', `a raw X25519 private key is ${KEY_BYTES} bytes, got ${raw.length}`);
  const der = Buffer.concat([PKCS8_X25519_PREFIX, raw]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** The base64url raw public key belonging to an X25519 private key, computed from it. */
export function publicKeyOf(privateKey: KeyObject): string {
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (x === undefined) throw new SiloError('ERR_INTERNAL', 'an X25519 public key exported without x');
  return x;
}

/**
 * An X25519 public key from base64url of its raw 32 bytes.
 *
 * @throws SiloError `ERR_BAD_INPUT` naming `what` for anything else.
 */
export function parsePublicKey(encoded: string, what: string): KeyObject {
  fromBase64Url(encoded, KEY_BYTES, what);
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: encoded }, format: 'jwk' });
}

/**
 * HKDF-SHA256(X25519(privateKey, publicKey), salt = context, info) → 32 bytes. Both ends of a pair
 * derive the same key. The context salt keeps keys of different sessions apart even if a worker
 * reused its pairs.
 *
 * @throws SiloError `ERR_BAD_INPUT` when the agreement fails (a low-order public key).
 */
export function agree(
  privateKey: KeyObject,
  publicKey: KeyObject,
  context: string,
  info: string,
): Uint8Array {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch (err) {
    throw new SiloError('ERR_BAD_INPUT', 'X25519 agreement failed: the peer public key is not usable', {
      cause: err,
    });
  }
  return new Uint8Array(hkdfSync('sha256', shared, context, info, KEY_BYTES));
}

/** base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Strictly decodes base64url without padding into a plain Uint8Array (not a Buffer: the Shamir
 * library checks the constructor). With `length`, the byte count must match.
 *
 * @throws SiloError `ERR_BAD_INPUT` naming `what` for a non-canonical encoding or a wrong length.
 */
export function fromBase64Url(encoded: string, length: number | undefined, what: string): Uint8Array {
  if (typeof encoded !== 'string' || !BASE64URL.test(encoded))
    throw new SiloError('ERR_BAD_INPUT', `${what} must be base64url without padding`);
  const bytes = Buffer.from(encoded, 'base64url');
  if (bytes.toString('base64url') !== encoded)
    throw new SiloError('ERR_BAD_INPUT', `${what} is not canonical base64url`);
  if (length !== undefined && bytes.length !== length)
    throw new SiloError('ERR_BAD_INPUT', `${what} must be ${length} bytes, got ${bytes.length}`);
  return new Uint8Array(bytes);
}
