import { SiloError } from '@silo/common';
import { checkEncoding, type SecAggParams } from './params.js';

const MAX_WORD = 2 ** 32 - 1;

/**
 * One worker's input as words to mask: each coordinate of `values` clipped to [-c, c] and mapped
 * to round((x + c) / (2c) · (2ᵇ − 1)), then one more word, round(weight · (2ᵇ − 1)), so the
 * coordinator also learns the sum of the weights (what it divides the sum by) and nothing finer.
 * Length `values.length + 1`. ±∞ clip to ±c like any other large value.
 *
 * @throws SiloError `ERR_BAD_INPUT` for a NaN coordinate or a weight outside [0, 1];
 *   `ERR_BAD_CONFIG` for a bad c or b.
 */
export function encodeInput(values: Float32Array, weight: number, params: SecAggParams): Uint32Array {
  checkEncoding(params);
  if (!(weight >= 0 && weight <= 1))
    throw new SiloError('ERR_BAD_INPUT', `secure-aggregation weight must be in [0, 1], got ${weight}`);
  const c = params.clipRange;
  const scale = 2 ** params.quantizationBits - 1;
  const step = scale / (2 * c);
  const words = new Uint32Array(values.length + 1);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isNaN(x)) throw new SiloError('ERR_BAD_INPUT', `input coordinate ${i} is NaN`);
    words[i] = Math.round((Math.min(c, Math.max(-c, x)) + c) * step);
  }
  words[values.length] = Math.round(weight * scale);
  return words;
}

/**
 * The inverse of {@link encodeInput} for the unmasked sum of `count` encoded inputs:
 * total[i] = sum[i] · 2c/(2ᵇ − 1) − count·c for every coordinate, and
 * weight = sum[last] / (2ᵇ − 1). Each total is within {@link quantizationError} of the sum of the
 * clipped inputs (plus float32 rounding).
 *
 * A word above count·(2ᵇ − 1) cannot come from `count` encoded inputs, so it is refused: it means
 * a mask was left in (a wrong survivor or dropout list) or `count` is wrong.
 *
 * @throws SiloError `ERR_BAD_INPUT` for an empty sum, a bad count, or a word out of range;
 *   `ERR_BAD_CONFIG` for a bad c or b.
 */
export function decodeSum(
  sum: Uint32Array,
  count: number,
  params: SecAggParams,
): { total: Float32Array; weight: number } {
  checkEncoding(params);
  const scale = 2 ** params.quantizationBits - 1;
  if (sum.length < 1) throw new SiloError('ERR_BAD_INPUT', 'an encoded sum has at least its weight word');
  if (!Number.isSafeInteger(count) || count < 1 || count * scale > MAX_WORD)
    throw new SiloError(
      'ERR_BAD_INPUT',
      `cannot decode a sum of ${count} inputs at ${params.quantizationBits} bits: ` +
        `count must be an integer in 1..${Math.floor(MAX_WORD / scale)}`,
    );
  const most = count * scale;
  const c = params.clipRange;
  const step = (2 * c) / scale;
  const total = new Float32Array(sum.length - 1);
  for (let i = 0; i < sum.length; i++) {
    const word = sum[i]!;
    if (word > most)
      throw new SiloError(
        'ERR_BAD_INPUT',
        `sum word ${i} is ${word}, above ${count} × (2^${params.quantizationBits} − 1) = ${most}: ` +
          'a mask was not removed (check the survivor and dropout lists) or the count is wrong',
      );
    if (i < total.length) total[i] = word * step - count * c;
  }
  return { total, weight: sum[sum.length - 1]! / scale };
}

/**
 * The largest quantization error per coordinate of a decoded sum of `count` inputs:
 * count · c/(2ᵇ − 1), half a step of 2c/(2ᵇ − 1) per input. The decoded weight is off by at most
 * count / (2(2ᵇ − 1)).
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a bad c or b.
 */
export function quantizationError(count: number, params: SecAggParams): number {
  checkEncoding(params);
  return (count * params.clipRange) / (2 ** params.quantizationBits - 1);
}
