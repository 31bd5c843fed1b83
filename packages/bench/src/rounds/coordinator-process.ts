import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SiloError } from '@silo/common';

/** The CLI entry point: this file is `packages/bench/{src,dist}/rounds/*`. */
const SILO_BIN = fileURLToPath(new URL('../../../cli/bin/silo.js', import.meta.url));
/** How long a coordinator may take to print its ready line. */
const START_TIMEOUT_MS = 60_000;
/** How long a coordinator may take to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** Characters of the coordinator's stderr (its JSON log) kept for error messages. */
const LOG_TAIL_CHARS = 16_000;
/** Deadline of one HTTP API request. */
const API_TIMEOUT_MS = 30_000;

/** What `silo coordinator start --ready-json` prints once it listens. */
interface ReadyLine {
  readonly grpc: string;
  readonly http: string;
}

/** Resident set sizes of a process, in bytes, from `/proc/<pid>/status`. */
export interface ProcessRss {
  /** `VmRSS`: resident now. */
  readonly currentBytes: number;
  /** `VmHWM`: the peak since the process started. */
  readonly peakBytes: number;
}

/**
 * A coordinator in a child process (`silo coordinator start --config FILE --ready-json`), as an
 * operator runs it: its memory is its own, and its event loop does not share a thread with the
 * workers.
 */
export class CoordinatorProcess {
  readonly #child: ChildProcess;
  readonly #ended: Promise<unknown>;
  readonly #apiToken: string;
  #logTail = '';
  /** `host:port` of the gRPC federation plane. */
  grpcAddress = '';
  /** Base URL of the HTTP API. */
  httpUrl = '';

  private constructor(child: ChildProcess, apiToken: string) {
    this.#child = child;
    this.#apiToken = apiToken;
    this.#ended = once(child, 'exit');
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#logTail = (this.#logTail + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
    });
  }

  /** Starts a coordinator from the config file at `configPath` and waits until it listens. */
  static async start(configPath: string, apiToken: string): Promise<CoordinatorProcess> {
    const child = spawn(
      process.execPath,
      [SILO_BIN, 'coordinator', 'start', '--config', configPath, '--ready-json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const coordinator = new CoordinatorProcess(child, apiToken);
    const lines = createInterface({ input: child.stdout });
    try {
      const line = await Promise.race([
        once(lines, 'line').then(([text]) => text as string),
        coordinator.#ended.then(() => {
          throw new SiloError(
            'ERR_INTERNAL',
            `coordinator exited before it was ready:\n${coordinator.#logTail}`,
          );
        }),
        timeout(START_TIMEOUT_MS, 'coordinator did not print its ready line'),
      ]);
      const ready = JSON.parse(line) as ReadyLine;
      coordinator.grpcAddress = ready.grpc;
      coordinator.httpUrl = ready.http;
    } catch (err) {
      await coordinator.stop();
      throw err;
    }
    lines.on('line', () => undefined); // keep stdout drained
    return coordinator;
  }

  get pid(): number {
    const pid = this.#child.pid;
    if (pid === undefined) throw new SiloError('ERR_INTERNAL', 'coordinator process has no pid');
    return pid;
  }

  /** The last lines of the coordinator's log, for error messages. */
  logTail(): string {
    return this.#logTail;
  }

  /** Current and peak RSS; read while the process is alive (the kernel drops them when it is reaped). */
  async rss(): Promise<ProcessRss> {
    const [currentBytes, peakBytes] = await Promise.all([
      procStatusBytes(this.pid, 'VmRSS'),
      procStatusBytes(this.pid, 'VmHWM'),
    ]);
    if (currentBytes === undefined || peakBytes === undefined) {
      throw new SiloError('ERR_UNAVAILABLE', `cannot read /proc/${this.pid}/status (Linux only)`);
    }
    return { currentBytes, peakBytes };
  }

  /** Calls the HTTP API as admin and resolves with the JSON answer. */
  async api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.#apiToken}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json: unknown = await res.json();
    if (!res.ok) {
      throw new SiloError('ERR_INTERNAL', `${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
    }
    return json as T;
  }

  /** Asks the coordinator to shut down (SIGTERM), and kills it if it has not exited in time. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const stopped = await Promise.race([
      this.#ended.then(() => true),
      delay(STOP_TIMEOUT_MS).then(() => false),
    ]);
    if (!stopped) {
      this.#child.kill('SIGKILL');
      await this.#ended;
    }
  }
}

/** A field of `/proc/<pid>/status` given in kB, in bytes; `undefined` when it cannot be read. */
export async function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // no /proc, or the process is gone
  }
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function timeout(ms: number, message: string): Promise<never> {
  return delay(ms).then(() => {
    throw new SiloError('ERR_TIMEOUT', message);
  });
}
