import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SiloError, createLogger } from '@silo/common';
import type { CoordinatorEvents } from './coordinator.js';
import type { Principal } from './control-tokens.js';
import { HttpApi } from './http-api.js';
import { RunEventHub, addRunEventRoutes } from './run-events.js';
import type { EvaluationReportRecord, RoundSummary, RunRecord } from './state.js';

const TOKENS: Record<string, Principal> = {
  team: { subject: 'team', role: 'model-team' },
  scraper: { subject: 'scraper', role: 'monitor' },
};

function summary(round: number): RoundSummary {
  return {
    round,
    base: 'b'.repeat(64),
    checkpoint: String(round).padStart(64, '0'),
    numUpdates: 3,
    totalExamples: 300,
    contributors: ['ka', 'kb', 'kc'],
    rejected: 1,
    trainLoss: 1 / round,
    trainAccuracy: 0.5 + round / 100,
    evalAccuracy: 0.4 + round / 100,
    durationMs: 1200,
    closedAt: 1_700_000_000_000 + round,
  };
}

/** The run and history a stream reads, changed by the test as rounds close. */
class FakeState {
  run = {
    id: 'r1',
    status: 'running',
    round: 1,
    config: { name: 'demo', rounds: 3 },
  } as unknown as RunRecord;
  rounds: RoundSummary[] = [];
  reports: EvaluationReportRecord[] = [];
  getRun(id: string): Promise<RunRecord> {
    if (id !== this.run.id) return Promise.reject(new SiloError('ERR_NOT_FOUND', `run ${id} not found`));
    return Promise.resolve({ ...this.run });
  }
  history(): Promise<RoundSummary[]> {
    return Promise.resolve([...this.rounds]);
  }
  evaluationReports(): Promise<EvaluationReportRecord[]> {
    return Promise.resolve([...this.reports]);
  }
  close(round: number, last = false): void {
    this.rounds.push(summary(round));
    this.run = { ...this.run, round: last ? round : round + 1, status: last ? 'completed' : 'running' };
  }
}

interface SseMessage {
  event: string;
  id?: string;
  data: unknown;
}

/** Reads server-sent events from a response, one message (or heartbeat comment) at a time. */
function sseReader(response: Response): {
  next(): Promise<SseMessage | { comment: string } | undefined>;
  cancel(): Promise<void>;
} {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    async next() {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) return { comment: block.slice(1).trim() };
          const fields = Object.fromEntries(
            block
              .split('\n')
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
          );
          if (fields['data'] === undefined) continue; // the retry field
          const message: SseMessage = {
            event: fields['event'] ?? 'message',
            data: JSON.parse(fields['data']),
          };
          if (fields['id'] !== undefined) message.id = fields['id'];
          return message;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += value;
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe('GET /v1/runs/:id/events', () => {
  let server: Server;
  let url: string;
  let state: FakeState;
  let events: EventEmitter<CoordinatorEvents>;
  let hub: RunEventHub;

  beforeEach(async () => {
    state = new FakeState();
    events = new EventEmitter<CoordinatorEvents>();
    hub = new RunEventHub(events);
    const api = new HttpApi(
      (bearer) => {
        const principal = TOKENS[bearer];
        return principal === undefined
          ? Promise.reject(new SiloError('ERR_UNAUTHENTICATED', 'unknown token'))
          : Promise.resolve(principal);
      },
      createLogger({ name: 'test', level: 'silent' }),
    );
    // A long poll interval: these tests see changes through events, and heartbeats quickly.
    addRunEventRoutes(api, {
      state,
      hub,
      roles: ['admin', 'model-team'],
      heartbeatMs: 100,
      pollMs: 60_000,
    });
    server = createServer(api.listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const open = (path: string, token?: string): Promise<Response> =>
    fetch(`${url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  /** The next message that is not a heartbeat. */
  async function nextEvent(reader: ReturnType<typeof sseReader>): Promise<SseMessage | undefined> {
    for (;;) {
      const message = await reader.next();
      if (message === undefined || 'event' in message) return message;
    }
  }

  it('needs a token of a role that may read runs', async () => {
    expect((await open('/v1/runs/r1/events')).status).toBe(401);
    expect((await open('/v1/runs/r1/events', 'wrong')).status).toBe(401);
    const monitor = await open('/v1/runs/r1/events', 'scraper');
    expect(monitor.status).toBe(403);
    expect(await monitor.json()).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } });
    expect((await open('/v1/runs/nope/events', 'team')).status).toBe(404);
    expect((await open('/v1/runs/r1/events?after=x', 'team')).status).toBe(400);
    expect(hub.followers).toBe(0);
  });

  it('sends the run, then each closed round with its summary, then the end', async () => {
    const response = await open('/v1/runs/r1/events', 'team');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = sseReader(response);
    expect(await nextEvent(reader)).toEqual({
      event: 'run',
      data: { id: 'r1', name: 'demo', status: 'running', round: 1, rounds: 3 },
    });

    events.emit('round-opened', { runId: 'r1', round: 1, sampled: ['ka', 'kb', 'kc'] });
    events.emit('round-opened', { runId: 'other', round: 7, sampled: [] });
    expect(await nextEvent(reader)).toEqual({ event: 'round-opened', data: { round: 1, sampled: 3 } });

    state.close(1);
    events.emit('round-closed', { runId: 'r1', summary: summary(1), aggregateMs: 5 });
    expect(await nextEvent(reader)).toEqual({ event: 'round-closed', id: '1', data: summary(1) });
    expect(await nextEvent(reader)).toMatchObject({ event: 'run', data: { round: 2, status: 'running' } });

    // Two rounds close before this process hears of them: both are sent, in order.
    state.close(2);
    state.close(3, true);
    events.emit('run-ended', { runId: 'r1', status: 'completed' });
    expect(await nextEvent(reader)).toMatchObject({ event: 'round-closed', id: '2' });
    expect(await nextEvent(reader)).toMatchObject({ event: 'round-closed', id: '3' });
    expect(await nextEvent(reader)).toMatchObject({ event: 'run', data: { status: 'completed', round: 3 } });
    expect(await nextEvent(reader)).toEqual({ event: 'run-ended', data: { status: 'completed' } });
    expect(await reader.next()).toBeUndefined();
    expect(hub.followers).toBe(0);
  });

  it('resumes after the round a client already has, and sends a federated evaluation as it arrives', async () => {
    state.close(1);
    state.close(2);
    const reader = sseReader(await open('/v1/runs/r1/events?after=1', 'team'));
    expect(await nextEvent(reader)).toMatchObject({ event: 'round-closed', id: '2' });
    expect(await nextEvent(reader)).toMatchObject({ event: 'run', data: { round: 3 } });

    state.reports = [{ keyId: 'ka', numExamples: 10, loss: 0.5, accuracy: 0.8, at: 1 }];
    events.emit('evaluation-reported', {
      runId: 'r1',
      round: 2,
      checkpoint: summary(2).checkpoint,
      nonce: 'n',
      keyId: 'ka',
      numExamples: 10,
      loss: 0.5,
      accuracy: 0.8,
      issuedAt: 1,
    });
    expect(await nextEvent(reader)).toMatchObject({
      event: 'evaluation',
      data: { round: 2, federatedEvaluation: { workers: 1, accuracy: 0.8 } },
    });
    await reader.cancel();
  });

  it('sends heartbeats, and stops following the run when the client goes away', async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/v1/runs/r1/events`, {
      headers: { authorization: 'Bearer team' },
      signal: controller.signal,
    });
    const reader = sseReader(response);
    expect(await nextEvent(reader)).toMatchObject({ event: 'run' });
    expect(await reader.next()).toEqual({ comment: 'heartbeat' });
    expect(hub.followers).toBe(1);
    controller.abort();
    await expect.poll(() => hub.followers).toBe(0);
  });
});
