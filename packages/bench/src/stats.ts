import { SiloError } from '@silo/common';

/** Median, minimum and maximum of a set of samples. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The median of `samples`: the middle value, or the mean of the two middle values when the
 * count is even.
 *
 * @throws SiloError ERR_BAD_INPUT for no samples or a sample that is not a finite number.
 */
export function median(samples: readonly number[]): number {
  const sorted = sortedFinite(samples);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

/** {@link median}, minimum and maximum of `samples` (same errors as {@link median}). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = sortedFinite(samples);
  return { median: median(sorted), min: sorted[0] as number, max: sorted.at(-1) as number };
}

function sortedFinite(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new SiloError('ERR_BAD_INPUT', 'no samples to summarize');
  const bad = samples.find((s) => !Number.isFinite(s));
  if (bad !== undefined) throw new SiloError('ERR_BAD_INPUT', `sample ${bad} is not a finite number`);
  return [...samples].sort((a, b) => a - b);
}
