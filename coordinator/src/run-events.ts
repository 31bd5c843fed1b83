import { SiloError } from '@silo/common';
import type { CoordinatorEvents } from './coordinator.js';
import type { Role } from './control-tokens.js';
import { summarizeEvaluation } from './evaluations.js';
import type { HttpApi, StreamResponse } from './http-api.js';
import type { StateStore } from './state.js';

/** Interval of the comment line that keeps idle proxies and clients from closing the stream. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/**
 * Interval at which a stream re-reads its run from Redis. Rounds closed by another coordinator
 * process sharing the prefix raise no event here; this is how their streams learn of them.
 */
export const DEFAULT_POLL_MS = 5_000;

/** How long a client that disconnects should wait before it reconnects (the SSE `retry` field). */
const RETRY_MS = 3_000;

/** The events a stream needs from the coordinator. */
export interface RunEventSource {
  on<E extends keyof CoordinatorEvents>(event: E, listener: (...args: CoordinatorEvents[E]) => void): unknown;
}

/** What this process noticed about a run; the stream turns it into SSE events. */
type RunSignal =
  | { kind: 'changed' }
  | { kind: 'round-opened'; round: number; sampled: number }
  | { kind: 'round-retried'; round: number; attempt: number; added: number }
  | { kind: 'evaluation'; round: number };

/**
 * Fans the coordinator's events out to the streams following each run. It listens to the
 * coordinator once, however many clients are connected.
 */
export class RunEventHub {
  readonly #followers = new Map<string, Set<(signal: RunSignal) => void>>();

  constructor(events: RunEventSource) {
    events.on('round-opened', ({ runId, round, sampled }) =>
      this.#signal(runId, { kind: 'round-opened', round, sampled: sampled.length }),
    );
    events.on('round-retried', ({ runId, round, attempt, added }) =>
      this.#signal(runId, { kind: 'round-retried', round, attempt, added: added.length }),
    );
    events.on('round-closed', ({ runId }) => this.#signal(runId, { kind: 'changed' }));
    events.on('run-ended', ({ runId }) => this.#signal(runId, { kind: 'changed' }));
    events.on('evaluation-reported', ({ runId, round }) =>
      this.#signal(runId, { kind: 'evaluation', round }),
    );
  }

  /** Calls `listener` with each signal about `runId` until the returned function is called. */
  follow(runId: string, listener: (signal: RunSignal) => void): () => void {
    const set = this.#followers.get(runId) ?? new Set();
    set.add(listener);
    this.#followers.set(runId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#followers.get(runId) === set) this.#followers.delete(runId);
    };
  }

  /** Streams currently following any run. */
  get followers(): number {
    let count = 0;
    for (const set of this.#followers.values()) count += set.size;
    return count;
  }

  #signal(runId: string, signal: RunSignal): void {
    for (const listener of this.#followers.get(runId) ?? []) listener(signal);
  }
}

/** Options for {@link addRunEventRoutes}. */
export interface RunEventRouteOptions {
  state: Pick<StateStore, 'getRun' | 'history' | 'evaluationReports'>;
  hub: RunEventHub;
  /** Who may follow a run: the roles that may read it. */
  roles: readonly Role[];
  /** Default {@link DEFAULT_HEARTBEAT_MS}. */
  heartbeatMs?: number;
  /** Default {@link DEFAULT_POLL_MS}. */
  pollMs?: number;
}

/**
 * `GET /v1/runs/:id/events?after=N`: the run as server-sent events, for the dashboard and for
 * `curl -N`. Events: `run` (status, round, rounds; on connect and on every change),
 * `round-opened`, `round-retried`, `round-closed` (the round's summary, `id` = the round;
 * every round after `after` is sent first, so a client that reconnects with the last round it
 * has misses nothing), `evaluation` (a round's federated evaluation so far) and `run-ended`,
 * after which the stream ends. A comment line is sent every {@link DEFAULT_HEARTBEAT_MS}.
 *
 * The route takes the bearer token in the `Authorization` header like every other one: the
 * dashboard reads the stream with `fetch` rather than `EventSource` (which cannot send headers),
 * so a token never appears in a URL, where logs and browser history would keep it.
 */
export function addRunEventRoutes(api: HttpApi, options: RunEventRouteOptions): HttpApi {
  return api.route('GET', '/v1/runs/:id/events', options.roles, async ({ params, query }) => {
    const runId = params['id'] ?? '';
    const after = roundParameter(query.get('after'));
    await options.state.getRun(runId); // a 404 now, before the stream's headers are sent
    const response: StreamResponse = {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // Tells nginx-style proxies not to buffer the stream.
        'x-accel-buffering': 'no',
      },
      stream: (write, closed) => followRun(options, runId, after, write, closed),
    };
    return response;
  });
}

function roundParameter(text: string | null): number {
  if (text === null) return 0;
  if (!/^\d{1,9}$/.test(text)) {
    throw new SiloError('ERR_BAD_INPUT', "query parameter 'after' must be a round number");
  }
  return Number(text);
}

/** Writes one run's events until it ends, the client leaves, or the client stops reading. */
async function followRun(
  options: RunEventRouteOptions,
  runId: string,
  after: number,
  write: (text: string) => boolean,
  closed: AbortSignal,
): Promise<void> {
  const stream = new RunStream(options.state, runId, after, write);
  const unfollow = options.hub.follow(runId, (signal) => stream.push(signal));
  const heartbeat = setInterval(
    () => stream.comment('heartbeat'),
    options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
  );
  const poll = setInterval(() => stream.push({ kind: 'changed' }), options.pollMs ?? DEFAULT_POLL_MS);
  const leave = (): void => stream.stop();
  closed.addEventListener('abort', leave, { once: true });
  try {
    if (closed.aborted) return;
    stream.start();
    await stream.finished;
  } finally {
    closed.removeEventListener('abort', leave);
    clearInterval(heartbeat);
    clearInterval(poll);
    unfollow();
  }
}

/**
 * One client's stream. Signals are handled one at a time, in order, each reading what it
 * reports from Redis, so an event never says more than the state does.
 */
class RunStream {
  readonly #state: RunEventRouteOptions['state'];
  readonly #runId: string;
  readonly #write: (text: string) => boolean;
  /** The last round whose summary was sent. */
  #sentRound: number;
  #seen = { round: -1, status: '' };
  #queue: Promise<void> = Promise.resolve();
  #done = false;
  #settle!: (err?: Error) => void;
  /** Settles when the stream is over: resolves when it ended normally, rejects on a failure. */
  readonly finished: Promise<void>;

  constructor(
    state: RunEventRouteOptions['state'],
    runId: string,
    after: number,
    write: (text: string) => boolean,
  ) {
    this.#state = state;
    this.#runId = runId;
    this.#sentRound = after;
    this.#write = write;
    this.finished = new Promise((resolve, reject) => {
      this.#settle = (err) => (err === undefined ? resolve() : reject(err));
    });
  }

  /** Tells the client how soon to reconnect, then sends the run as it stands. */
  start(): void {
    this.#send(`retry: ${RETRY_MS}\n\n`);
    this.push({ kind: 'changed' });
  }

  push(signal: RunSignal): void {
    this.#queue = this.#queue
      .then(() => (this.#done ? undefined : this.#handle(signal)))
      .catch((err: unknown) => this.#end(err instanceof Error ? err : new Error(String(err))));
  }

  comment(text: string): void {
    this.#send(`: ${text}\n\n`);
  }

  stop(): void {
    this.#end();
  }

  /**
   * Writes a frame. A client that leaves frames unread until the socket's buffer is full is
   * dropped rather than buffered for without limit; it reconnects with `after` and catches up.
   */
  #send(frame: string): void {
    if (this.#done) return;
    if (!this.#write(frame)) this.#end();
  }

  #event(name: string, data: unknown, id?: number): void {
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    this.#send(`event: ${name}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
  }

  #end(err?: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#settle(err);
  }

  async #handle(signal: RunSignal): Promise<void> {
    switch (signal.kind) {
      case 'round-opened':
        this.#event('round-opened', { round: signal.round, sampled: signal.sampled });
        return this.#sync();
      case 'round-retried':
        this.#event('round-retried', { round: signal.round, attempt: signal.attempt, added: signal.added });
        return;
      case 'evaluation': {
        const reports = await this.#state.evaluationReports(this.#runId, signal.round);
        const federatedEvaluation = summarizeEvaluation(reports);
        if (federatedEvaluation !== undefined)
          this.#event('evaluation', { round: signal.round, federatedEvaluation });
        return;
      }
      case 'changed':
        return this.#sync();
    }
  }

  /** Sends what changed since the last look: closed rounds, then the run, then its end. */
  async #sync(): Promise<void> {
    const run = await this.#state.getRun(this.#runId);
    if (run.round === this.#seen.round && run.status === this.#seen.status) return;
    for (const summary of await this.#state.history(this.#runId)) {
      if (summary.round <= this.#sentRound) continue;
      this.#event('round-closed', summary, summary.round);
      this.#sentRound = summary.round;
    }
    this.#seen = { round: run.round, status: run.status };
    const ending = {
      ...(run.error === undefined ? {} : { error: run.error }),
      ...(run.reason === undefined ? {} : { reason: run.reason }),
    };
    this.#event('run', {
      id: run.id,
      name: run.config.name,
      status: run.status,
      round: run.round,
      rounds: run.config.rounds,
      ...ending,
    });
    if (run.status !== 'running') {
      this.#event('run-ended', { status: run.status, ...ending });
      this.#end();
    }
  }
}
