/**
 * Per-coordinate order statistics for the robust strategies, over small scratch arrays of one
 * value per update. Inputs are finite (strategies refuse NaN and Infinity first).
 *
 * Results are defined as values, not by what the selection algorithm happens to do: a
 * selection returns the k-th smallest value, and the sums below visit values in key-id order
 * with an explicit rule for ties. So an auditor's result does not depend on the algorithm.
 */

/**
 * Copies coordinate `i` of every delta into `out`, in the deltas' (key-id) order. Adding +0
 * turns −0 into +0: the two compare equal, so which one a selection returned would otherwise
 * depend on the algorithm and could flip the sign of a zero result.
 */
export function gather(deltas: readonly Float32Array[], i: number, out: Float64Array): void {
  for (let k = 0; k < deltas.length; k++) out[k] = ((deltas[k] as Float32Array)[i] as number) + 0;
}

/**
 * The k-th smallest (0-based) of `values[lo..hi]` (inclusive). Rearranges that range so
 * everything before position k is ≤ the result and everything after is ≥ it (Wirth's
 * selection: expected linear time, no allocation, deterministic).
 */
export function selectKth(values: Float64Array, lo: number, hi: number, k: number): number {
  while (lo < hi) {
    const pivot = values[k] as number;
    let i = lo;
    let j = hi;
    do {
      while ((values[i] as number) < pivot) i++;
      while (pivot < (values[j] as number)) j--;
      if (i <= j) {
        const t = values[i] as number;
        values[i] = values[j] as number;
        values[j] = t;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) lo = i;
    if (k < i) hi = j;
  }
  return values[k] as number;
}

/**
 * The median of `values[0..n)`: the middle value, or the mean of the two middle values when n is
 * even. Rearranges `values`.
 */
export function medianOf(values: Float64Array, n: number): number {
  const upperIndex = n >> 1;
  const upper = selectKth(values, 0, n - 1, upperIndex);
  if ((n & 1) === 1) return upper;
  // After the selection, the lower middle value is the largest of values[0..upperIndex).
  let lower = values[0] as number;
  for (let k = 1; k < upperIndex; k++) if ((values[k] as number) > lower) lower = values[k] as number;
  return (lower + upper) / 2;
}

/**
 * The mean of the values of `values[0..n)` that survive trimming `trim` from each end, summed in
 * float64: first the values strictly between the two cut values, in the order they appear
 * (key-id order), then the copies of the low cut value that are kept, then those of the high
 * one. `work` is scratch of at least `n`.
 */
export function trimmedMeanOf(values: Float64Array, n: number, trim: number, work: Float64Array): number {
  let sum = 0;
  if (trim === 0) {
    for (let k = 0; k < n; k++) sum += values[k] as number;
    return sum / n;
  }
  for (let k = 0; k < n; k++) work[k] = values[k] as number;
  const low = selectKth(work, 0, n - 1, trim);
  const high = selectKth(work, trim, n - 1, n - trim - 1);
  if (low === high) return low;
  // Sorted, the kept values occupy positions [trim, n − trim): every value strictly between the
  // cuts, plus as many copies of each cut value as fall inside that range.
  let atOrBelowLow = 0;
  let belowHigh = 0;
  for (let k = 0; k < n; k++) {
    const x = values[k] as number;
    if (x <= low) atOrBelowLow++;
    else if (x < high) sum += x;
    if (x < high) belowHigh++;
  }
  for (let copies = atOrBelowLow - trim; copies > 0; copies--) sum += low;
  for (let copies = n - trim - belowHigh; copies > 0; copies--) sum += high;
  return sum / (n - 2 * trim);
}

/**
 * The mean of the `keep` values of `values[0..n)` nearest their median (Bulyan's second step):
 * summed in float64 in key-id order; of several values tied at the cut distance, the earliest
 * are kept. `work` and `distances` are scratch of at least `n`.
 */
export function nearestMedianMeanOf(
  values: Float64Array,
  n: number,
  keep: number,
  work: Float64Array,
  distances: Float64Array,
): number {
  for (let k = 0; k < n; k++) work[k] = values[k] as number;
  const median = medianOf(work, n);
  for (let k = 0; k < n; k++) {
    const d = Math.abs((values[k] as number) - median);
    distances[k] = d;
    work[k] = d;
  }
  const cut = selectKth(work, 0, n - 1, keep - 1);
  let below = 0;
  for (let k = 0; k < n; k++) if ((distances[k] as number) < cut) below++;
  let quota = keep - below;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const d = distances[k] as number;
    if (d < cut) sum += values[k] as number;
    else if (d === cut && quota > 0) {
      sum += values[k] as number;
      quota--;
    }
  }
  return sum / keep;
}
