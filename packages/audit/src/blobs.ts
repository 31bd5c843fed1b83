import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SiloError } from '@silo/common';
import { fromCanonicalBytes, sha256Hex } from '@silo/tensors';

const DIGEST = /^[0-9a-f]{64}$/;

/**
 * Reads the weights stored as blob `digest` in `dir`, checking on the way that the file hashes
 * to its name and holds `length` float32 values.
 *
 * @throws SiloError ERR_NOT_FOUND when the blob is missing or unreadable, ERR_DIGEST_MISMATCH
 *   when its bytes changed, ERR_SHAPE_MISMATCH when it has another number of values.
 */
export async function readWeightsBlob(dir: string, digest: string, length: number): Promise<Float32Array> {
  return fromCanonicalBytes(await readBlobBytes(dir, digest), length);
}

/**
 * Reads blob `digest` in `dir` as bytes, checking that the file hashes to its name.
 *
 * @throws SiloError ERR_NOT_FOUND when the blob is missing or unreadable, ERR_DIGEST_MISMATCH
 *   when its bytes changed.
 */
export async function readBlobBytes(dir: string, digest: string): Promise<Uint8Array> {
  // Digests come from the ledger; the schema already insists on hex, and a path must never
  // be built from anything else.
  if (!DIGEST.test(digest)) throw new SiloError('ERR_BAD_INPUT', `not a SHA-256 hex digest: ${digest}`);
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, digest));
  } catch (err) {
    const missing = (err as { code?: unknown }).code === 'ENOENT';
    throw new SiloError('ERR_NOT_FOUND', `blob ${digest} is ${missing ? 'missing' : 'unreadable'}`, {
      cause: err,
    });
  }
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const actual = sha256Hex(view);
  if (actual !== digest) {
    throw new SiloError('ERR_DIGEST_MISMATCH', `blob ${digest} changed: its bytes hash to ${actual}`);
  }
  return view;
}
