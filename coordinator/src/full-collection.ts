import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let cached: (() => void) | null | undefined;

/**
 * V8's full garbage collection, or `null` where this runtime does not offer it.
 *
 * The coordinator runs one after it has built and stored a run's initial model
 * (`collectAfterModelBuild`): building leaves several model sizes of arrays in the old
 * generation, and V8 may keep them through the whole first round while every worker's download
 * and upload adds its own garbage on top. At N = 100 workers and a 40 MB model, the bench measured
 * the coordinator's peak at 3.1–3.5 model sizes above idle with it and 3.7–5.0 without, and that
 * round about 15% slower with it: V8 then collects the smaller heap fully more often.
 *
 * `--expose-gc` is set at run time rather than on the command line, so the coordinator's memory
 * does not depend on how it was started; the flag adds `gc` to contexts created after it, so a
 * fresh context provides it. Called without options, `gc` collects the whole heap.
 */
export function fullCollection(): (() => void) | null {
  if (cached === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      cached = typeof gc === 'function' ? () => (gc as () => void)() : null;
    } catch {
      cached = null;
    }
  }
  return cached;
}
