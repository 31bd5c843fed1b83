import { createHash } from 'node:crypto';
import { SiloError } from '@silo/common';
import { decodeBase64url } from './base64url.js';

/** An Ed25519 public key as a JWK (RFC 8037): only the members that define the key. */
export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  /** The 32-byte public key, base64url. */
  readonly x: string;
}

/** An Ed25519 private key as a JWK. Keep it in a file only its owner can read. */
export interface PrivateJwk extends PublicJwk {
  /** The 32-byte private key, base64url. */
  readonly d: string;
}

const ED25519_KEY_BYTES = 32;

/** Members other tools commonly add; they carry nothing Silo relies on, so they are dropped. */
const IGNORED_MEMBERS = new Set(['kid', 'alg', 'use', 'key_ops']);

/**
 * Checks that `value` is an Ed25519 public JWK and returns just `kty`, `crv` and `x`.
 *
 * @throws SiloError `ERR_BAD_INPUT` for anything else, and in particular for a JWK that holds
 *   a private key (`d`), so a private key is never enrolled or published by mistake.
 */
export function parsePublicJwk(value: unknown): PublicJwk {
  const members = jwkMembers(value);
  if ('d' in members) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      'JWK holds a private key (member d); use the public key, which has only x',
    );
  }
  return { kty: 'OKP', crv: 'Ed25519', x: keyBytesMember(members, 'x') };
}

/**
 * Checks that `value` is an Ed25519 private JWK and returns `kty`, `crv`, `x` and `d`.
 * Whether `x` belongs to `d` is checked where the key is loaded for signing.
 *
 * @throws SiloError `ERR_BAD_INPUT` when it is not one.
 */
export function parsePrivateJwk(value: unknown): PrivateJwk {
  const members = jwkMembers(value);
  if (!('d' in members)) throw new SiloError('ERR_BAD_INPUT', 'JWK has no private key (member d)');
  return { kty: 'OKP', crv: 'Ed25519', x: keyBytesMember(members, 'x'), d: keyBytesMember(members, 'd') };
}

/**
 * The key id of an Ed25519 public key: its RFC 7638 JWK thumbprint (SHA-256, base64url).
 * A key id derived from the key itself cannot be claimed for another key.
 *
 * @throws SiloError `ERR_BAD_INPUT` when `publicJwk` is not an Ed25519 public JWK.
 */
export function keyIdOf(publicJwk: unknown): Promise<string> {
  // Async to match the public API (and jose's calculateJwkThumbprint); the work is synchronous.
  return Promise.resolve(thumbprintOf(parsePublicJwk(publicJwk)));
}

/**
 * RFC 7638 thumbprint of a validated key: SHA-256 over the required members in
 * lexicographic order with no whitespace. `x` is base64url, so it needs no JSON escaping.
 */
export function thumbprintOf(jwk: PublicJwk): string {
  const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`;
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

function jwkMembers(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SiloError('ERR_BAD_INPUT', 'JWK must be a JSON object');
  }
  const members = value as Record<string, unknown>;
  if (members.kty !== 'OKP' || members.crv !== 'Ed25519') {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `expected an Ed25519 JWK (kty OKP, crv Ed25519), got kty ${String(members.kty)}, crv ${String(members.crv)}`,
    );
  }
  for (const name of Object.keys(members)) {
    if (!['kty', 'crv', 'x', 'd'].includes(name) && !IGNORED_MEMBERS.has(name)) {
      throw new SiloError('ERR_BAD_INPUT', `JWK has unexpected member '${name}'`);
    }
  }
  return members;
}

function keyBytesMember(members: Record<string, unknown>, name: 'x' | 'd'): string {
  const text = members[name];
  if (typeof text !== 'string')
    throw new SiloError('ERR_BAD_INPUT', `JWK member ${name} is missing or not a string`);
  const bytes = decodeBase64url(text, `JWK member ${name}`, 'ERR_BAD_INPUT');
  if (bytes.byteLength !== ED25519_KEY_BYTES) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `JWK member ${name} is ${bytes.byteLength} bytes; Ed25519 keys are 32`,
    );
  }
  return text;
}
