import { createCipheriv } from 'node:crypto';
import { SiloError } from '@silo/common';

/** Bytes of a PRG seed: one AES-256 key. */
export const SEED_BYTES = 32;

/** Words of keystream generated per step, so masking a long vector needs O(block) memory. */
const BLOCK_WORDS = 65_536;
const ZERO_BLOCK = new Uint8Array(4 * BLOCK_WORDS);
const ZERO_IV = new Uint8Array(16);

/** Words are read in the host's byte order; every supported Node platform is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * The PRG: `length` uint32 words (little-endian) of AES-256-CTR keystream under the 32-byte
 * `seed`, counter starting at zero. A seed is used for one session only (it comes from a fresh
 * random seed or a context-salted key agreement), so the fixed IV never repeats a keystream.
 *
 * @throws SiloError `ERR_BAD_INPUT` for a seed that is not 32 bytes or a bad length.
 */
export function expandMask(seed: Uint8Array, length: number): Uint32Array {
  if (!Number.isSafeInteger(length) || length < 0)
    throw new SiloError('ERR_BAD_INPUT', `mask length must be a non-negative integer, got ${length}`);
  const words = new Uint32Array(length);
  applyMask(words, seed, 1);
  return words;
}

/**
 * target[i] = target[i] ± PRG(seed)[i] (mod 2³²), in place. The keystream is generated in blocks
 * of 64 Ki words, so a 10M-word vector is masked without a second 40 MB buffer.
 *
 * @throws SiloError `ERR_BAD_INPUT` for a seed that is not 32 bytes or a sign other than ±1.
 */
export function applyMask(target: Uint32Array, seed: Uint8Array, sign: 1 | -1): void {
  if (seed.length !== SEED_BYTES)
    throw new SiloError('ERR_BAD_INPUT', `a mask seed is ${SEED_BYTES} bytes, got ${seed.length}`);
  if (sign !== 1 && sign !== -1)
    throw new SiloError('ERR_BAD_INPUT', `mask sign must be 1 or -1, got ${String(sign)}`);
  if (!LITTLE_ENDIAN)
    throw new SiloError('ERR_INTERNAL', 'secure aggregation needs a little-endian host: masks are uint32 LE');
  const cipher = createCipheriv('aes-256-ctr', seed, ZERO_IV);
  for (let start = 0; start < target.length; start += BLOCK_WORDS) {
    const count = Math.min(BLOCK_WORDS, target.length - start);
    const words = wordsOf(cipher.update(ZERO_BLOCK.subarray(0, 4 * count)));
    // Assigning to a Uint32Array reduces mod 2³², negative differences included.
    if (sign === 1) for (let i = 0; i < count; i++) target[start + i]! += words[i]!;
    else for (let i = 0; i < count; i++) target[start + i]! -= words[i]!;
  }
}

/**
 * sum[i] = sum[i] + part[i] (mod 2³²), in place. `part` may be a Uint32Array view over the bytes
 * of a received blob (little-endian).
 *
 * @throws SiloError `ERR_SHAPE_MISMATCH` when the lengths differ.
 */
export function addInto(sum: Uint32Array, part: Uint32Array): void {
  if (part.length !== sum.length)
    throw new SiloError(
      'ERR_SHAPE_MISMATCH',
      `a masked input has ${part.length} words, the sum ${sum.length}: every worker must encode the same model`,
    );
  for (let i = 0; i < sum.length; i++) sum[i]! += part[i]!;
}

/** The bytes as uint32 words, copied only when the buffer is not 4-byte aligned. */
function wordsOf(bytes: Uint8Array): Uint32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}
