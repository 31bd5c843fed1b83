import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** Default interval between RSS samples. */
export const DEFAULT_RSS_SAMPLE_INTERVAL_MS = 5;

/** A running peak-RSS measurement of the current process; see {@link startPeakRssProbe}. */
export interface PeakRssProbe {
  /** Stops sampling and resolves with the peak resident set size seen, in bytes. */
  stop(): Promise<number>;
}

// The sampler runs on its own thread: most of the work worth measuring (tree building,
// hashing, JSON) is synchronous, and a timer on the main thread would not fire until it ended.
// `process.memoryUsage.rss()` reports the whole process from any thread.
const SAMPLER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const peak = new BigInt64Array(workerData.shared);
const sample = () => {
  const rss = BigInt(process.memoryUsage.rss());
  if (rss > Atomics.load(peak, 0)) Atomics.store(peak, 0, rss);
};
sample();
const timer = setInterval(sample, workerData.intervalMs);
parentPort.once('message', () => {
  sample();
  clearInterval(timer);
  parentPort.close();
});
`;

/**
 * Starts measuring the peak RSS of this process: a worker thread samples
 * `process.memoryUsage.rss()` every `intervalMs`, and `process.resourceUsage().maxRSS` covers
 * spikes between samples (it is the lifetime peak, so it counts only when it rose during the
 * measurement).
 */
export async function startPeakRssProbe(
  intervalMs: number = DEFAULT_RSS_SAMPLE_INTERVAL_MS,
): Promise<PeakRssProbe> {
  const shared = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  const peak = new BigInt64Array(shared);
  const worker = new Worker(SAMPLER_SOURCE, { eval: true, workerData: { shared, intervalMs } });
  await once(worker, 'online');
  const maxRssBefore = lifetimeMaxRssBytes();
  return {
    async stop(): Promise<number> {
      const exited = once(worker, 'exit');
      worker.postMessage('stop');
      await exited;
      const sampled = Math.max(Number(Atomics.load(peak, 0)), process.memoryUsage.rss());
      const maxRssAfter = lifetimeMaxRssBytes();
      return maxRssAfter > maxRssBefore ? Math.max(sampled, maxRssAfter) : sampled;
    },
  };
}

/** Runs `fn` under a {@link startPeakRssProbe} and returns its result with the peak RSS in bytes. */
export async function measurePeakRss<T>(
  fn: () => Promise<T>,
  intervalMs: number = DEFAULT_RSS_SAMPLE_INTERVAL_MS,
): Promise<{ result: T; peakRssBytes: number }> {
  const probe = await startPeakRssProbe(intervalMs);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await probe.stop(); // so a failing case leaves no thread behind
    throw err;
  }
  return { result, peakRssBytes: await probe.stop() };
}

/**
 * Peak RSS of another process (`VmHWM` in `/proc/<pid>/status`), in bytes; for sections that
 * run coordinators or workers as child processes. Linux only: resolves `undefined` where
 * `/proc` does not exist or the process is gone.
 *
 * The kernel drops the figure when the process is reaped, so read it while the child is still
 * alive: after it reports its work done and before it is told to exit, or by polling.
 */
export async function childPeakRssBytes(pid: number): Promise<number | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // no /proc, or no such process: there is nothing to read
  }
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
}

/** `process.resourceUsage().maxRSS` is in kibibytes. */
function lifetimeMaxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
