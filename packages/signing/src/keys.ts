import { createPrivateKey, createPublicKey } from 'node:crypto';
import { exportJWK, generateKeyPair as joseGenerateKeyPair, importJWK, type CryptoKey } from 'jose';
import { SiloError } from '@silo/common';
import { parsePrivateJwk, parsePublicJwk, thumbprintOf, type PrivateJwk, type PublicJwk } from './jwk.js';
import { SIGNING_ALGORITHM, signJws, type FlattenedJws } from './jws.js';

/** A freshly generated Ed25519 key pair, as JWKs, with its key id. */
export interface KeyPair {
  /** RFC 7638 thumbprint of the public key. */
  keyId: string;
  publicJwk: PublicJwk;
  privateJwk: PrivateJwk;
}

/**
 * A key that signs. It holds a non-extractable `CryptoKey`, so the private key bytes are not
 * reachable through it once loaded.
 */
export interface SigningKey {
  /** RFC 7638 thumbprint of the public key; written as `kid` in every JWS. */
  readonly keyId: string;
  readonly publicJwk: PublicJwk;
  /** Signs `payload` as JSON with protected header `{ alg: 'EdDSA', kid: keyId, typ }`. */
  sign(typ: string, payload: object): Promise<FlattenedJws>;
}

/** Generates a new Ed25519 key pair. */
export async function generateKeyPair(): Promise<KeyPair> {
  const { publicKey, privateKey } = await joseGenerateKeyPair('Ed25519', { extractable: true });
  const publicJwk = parsePublicJwk(await exportJWK(publicKey));
  const privateJwk = parsePrivateJwk(await exportJWK(privateKey));
  return { keyId: thumbprintOf(publicJwk), publicJwk, privateJwk };
}

/**
 * A signing key from a private JWK (for example from {@link KeyPair.privateJwk}).
 *
 * @throws SiloError `ERR_BAD_INPUT` when the JWK is not an Ed25519 private key or its public
 *   part `x` does not belong to its private part `d` (such a key would sign under a key id
 *   whose key cannot verify the signatures).
 */
export async function signingKeyFromJwk(privateJwk: unknown): Promise<SigningKey> {
  const jwk = parsePrivateJwk(privateJwk);
  assertKeyPairMatches(jwk);
  const key = await importJWK({ ...jwk }, SIGNING_ALGORITHM);
  if (key instanceof Uint8Array)
    throw new SiloError('ERR_INTERNAL', 'jose imported an Ed25519 JWK as a secret');
  const publicJwk: PublicJwk = Object.freeze({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });
  return new Ed25519SigningKey(thumbprintOf(publicJwk), publicJwk, key);
}

class Ed25519SigningKey implements SigningKey {
  readonly #privateKey: CryptoKey;

  constructor(
    readonly keyId: string,
    readonly publicJwk: PublicJwk,
    privateKey: CryptoKey,
  ) {
    this.#privateKey = privateKey;
    Object.freeze(this);
  }

  sign(typ: string, payload: object): Promise<FlattenedJws> {
    return signJws(this.#privateKey, this.keyId, typ, payload);
  }
}

function assertKeyPairMatches(jwk: PrivateJwk): void {
  // Node derives the public key from d alone when importing, so deriving and comparing
  // catches a file whose x was edited or pasted from another key.
  let derivedX: unknown;
  try {
    derivedX = createPublicKey(createPrivateKey({ key: { ...jwk }, format: 'jwk' })).export({
      format: 'jwk',
    }).x;
  } catch (cause) {
    throw new SiloError('ERR_BAD_INPUT', 'private JWK is not a usable Ed25519 key', { cause });
  }
  if (derivedX !== jwk.x) {
    throw new SiloError('ERR_BAD_INPUT', 'private JWK is inconsistent: x is not the public key of d');
  }
}
