import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { SiloError } from '@silo/common';
import type { VirtualPoolStats } from '@silo/worker';

/** The `silo` entry point. */
export const SILO_BIN = fileURLToPath(new URL('../../bin/silo.js', import.meta.url));
/** The entry point of a process hosting virtual workers (`pool-main.ts`, compiled). */
export const POOL_MAIN = fileURLToPath(new URL('./pool-main.js', import.meta.url));
/**
 * Node flags of every child: a larger young generation, because a round allocates and drops a
 * model-sized buffer or more per worker (downloads, deltas, encoded updates), and with the default
 * 16 MiB semi-space the scavenger runs far more often than the work needs.
 */
const NODE_FLAGS = ['--max-semi-space-size=64'];
/** How long a child may take to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

/** Children of the simulation, stopped together. */
export class ProcessGroup {
  readonly #children: ChildProcess[] = [];
  #stopping = false;

  /**
   * Starts `node script ...args` with its stderr (its JSON log) written to `logFile`; stdout is
   * left to the caller. `onUnexpectedExit` is called when it exits before {@link stop}.
   */
  spawn(
    script: string,
    args: string[],
    logFile: string,
    onUnexpectedExit: (code: number | null) => void,
    env?: NodeJS.ProcessEnv,
  ): ChildProcess {
    const child = spawn(process.execPath, [...NODE_FLAGS, script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
    });
    const log = createWriteStream(logFile);
    child.stderr?.pipe(log);
    child.on('exit', (code) => {
      if (!this.#stopping) onUnexpectedExit(code);
    });
    this.#children.push(child);
    return child;
  }

  /** SIGTERM to every child, SIGKILL to any still running after 10 s; resolves when all exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** What `silo coordinator start --ready-json` prints once it listens. */
export interface CoordinatorReady {
  grpc: string;
  http: string;
  ledgerDir: string;
  verifierKey: string;
}

/** Waits for the coordinator's ready line. */
export async function readReadyLine(child: ChildProcess): Promise<CoordinatorReady> {
  const stdout = child.stdout;
  if (stdout === null) throw new SiloError('ERR_INTERNAL', 'coordinator has no stdout');
  const lines = createInterface({ input: stdout });
  return new Promise((resolveReady, reject) => {
    child.once('exit', (code) =>
      reject(new SiloError('ERR_UNAVAILABLE', `coordinator exited with code ${code} before it was ready`)),
    );
    lines.once('line', (line) => {
      try {
        resolveReady(JSON.parse(line) as CoordinatorReady);
      } catch (err) {
        reject(new SiloError('ERR_INTERNAL', `unexpected coordinator output: ${line}`, { cause: err }));
      }
    });
  });
}

/** A line a pool process prints on stdout: once when its workers are loaded, then its counters. */
export type PoolLine = { ready: { workers: number } } | { stats: VirtualPoolStats };

/**
 * The parent's view of one pool process: the counters it last reported, and when it has loaded
 * its workers.
 */
export class PoolHandle {
  readonly child: ChildProcess;
  /** Resolves once every worker of the pool is loaded and started. */
  readonly ready: Promise<void>;
  #stats: VirtualPoolStats | undefined;

  constructor(child: ChildProcess) {
    this.child = child;
    const stdout = child.stdout;
    if (stdout === null) throw new SiloError('ERR_INTERNAL', 'pool process has no stdout');
    const lines = createInterface({ input: stdout });
    this.ready = new Promise((resolveReady, reject) => {
      child.once('exit', (code) =>
        reject(new SiloError('ERR_UNAVAILABLE', `a worker pool exited with code ${code} while starting`)),
      );
      lines.on('line', (line) => {
        let parsed: PoolLine;
        try {
          parsed = JSON.parse(line) as PoolLine;
        } catch {
          return; // not ours: the log goes to stderr, so this is a stray print
        }
        if ('ready' in parsed) resolveReady();
        else if ('stats' in parsed) this.#stats = parsed.stats;
      });
    });
    // A failure after start shows through the process group's exit handler.
    this.ready.catch(() => undefined);
  }

  get stats(): VirtualPoolStats | undefined {
    return this.#stats;
  }
}

/** The counters of several pools added up. */
export function sumStats(all: readonly (VirtualPoolStats | undefined)[]): VirtualPoolStats {
  const total: VirtualPoolStats = {
    workers: 0,
    online: 0,
    started: 0,
    dropped: 0,
    trained: 0,
    accepted: 0,
    failed: {},
    declined: 0,
    receipts: 0,
    receiptFailures: 0,
    trainingMs: 0,
    queued: 0,
  };
  for (const stats of all) {
    if (stats === undefined) continue;
    for (const key of Object.keys(total) as (keyof VirtualPoolStats)[]) {
      if (key === 'failed') {
        for (const [code, count] of Object.entries(stats.failed))
          total.failed[code] = (total.failed[code] ?? 0) + count;
      } else total[key] += stats[key];
    }
  }
  return total;
}

/**
 * Peak resident set size of a live process (`VmHWM` of `/proc/<pid>/status`), in bytes; undefined
 * where there is no `/proc` or the process is gone (the kernel drops the figure when it is reaped).
 */
export async function peakRssBytes(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** The process id of the Redis server at `url`, from its `INFO server`. */
export async function redisServerPid(url: string): Promise<number | undefined> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = await client.info('server');
    const match = /^process_id:(\d+)/m.exec(info);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time a live process has used so far (user + system, `/proc/<pid>/stat`), in seconds;
 * undefined where there is no `/proc` or the process is gone.
 */
export async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields are counted after its closing bracket.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime + stime) ? (utime + stime) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}
