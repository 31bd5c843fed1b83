import { createHash } from 'node:crypto';
import { toCanonicalBytes } from './canonical.js';

/**
 * SHA-256 of `data` (or of the concatenation of its parts) as 64 lowercase hex characters.
 * Taking parts avoids concatenating large buffers just to hash them.
 */
export function sha256Hex(data: Uint8Array | readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  if (data instanceof Uint8Array) {
    hash.update(data);
  } else {
    for (const part of data) hash.update(part);
  }
  return hash.digest('hex');
}

/**
 * The digest that names a weight vector everywhere in Silo (manifests, ledger, instructions):
 * SHA-256 of its canonical bytes, so it is the same on every host.
 */
export function digestWeights(values: Float32Array): string {
  return sha256Hex(toCanonicalBytes(values));
}
