import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CoordinatorEvents } from './coordinator.js';

/** The coordinator's Prometheus metrics, fed from its events; one registry per coordinator. */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly #rounds: Counter<'status'>;
  readonly #updates: Counter<'outcome' | 'code'>;
  readonly #bytes: Counter<'direction'>;
  readonly #roundSeconds: Histogram;
  readonly #aggregateSeconds: Histogram;
  readonly #evaluations: Counter;

  /** @param onlineWorkers - counts the workers holding a Join stream, read at each scrape. */
  constructor(onlineWorkers: () => Promise<number>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'silo_coordinator_' });
    const registers = [this.registry];
    this.#rounds = new Counter({
      name: 'silo_rounds_total',
      help: 'Rounds closed (completed) and runs ended early, by status',
      labelNames: ['status'],
      registers,
    });
    this.#updates = new Counter({
      name: 'silo_updates_total',
      help: 'Updates accepted, and refused by error code',
      labelNames: ['outcome', 'code'],
      registers,
    });
    this.#bytes = new Counter({
      name: 'silo_federation_bytes_total',
      help: 'Model and update bytes over the federation plane: in (uploads), out (model downloads)',
      labelNames: ['direction'],
      registers,
    });
    this.#roundSeconds = new Histogram({
      name: 'silo_round_duration_seconds',
      help: 'From a round opening to its aggregate closing it',
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.#aggregateSeconds = new Histogram({
      name: 'silo_aggregation_duration_seconds',
      help: 'Aggregating a round: reading the updates, combining them, storing the checkpoint',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    });
    this.#evaluations = new Counter({
      name: 'silo_evaluation_reports_total',
      help: "Workers' federated-evaluation reports recorded",
      registers,
    });
    // Read at each scrape; registered with the registry, so nothing else holds it.
    new Gauge({
      name: 'silo_connected_workers',
      help: 'Workers holding a Join stream (seen within three ping intervals)',
      registers,
      async collect() {
        this.set(await onlineWorkers());
      },
    });
  }

  /** Subscribes to a coordinator's events. */
  observe(events: {
    on<E extends keyof CoordinatorEvents>(
      event: E,
      listener: (...args: CoordinatorEvents[E]) => void,
    ): unknown;
  }): void {
    events.on('update-accepted', () => this.#updates.inc({ outcome: 'accepted', code: '' }));
    events.on('update-rejected', (r) => this.#updates.inc({ outcome: 'rejected', code: r.code }));
    events.on('round-closed', ({ summary, aggregateMs }) => {
      this.#rounds.inc({ status: 'completed' });
      this.#roundSeconds.observe(summary.durationMs / 1000);
      this.#aggregateSeconds.observe(aggregateMs / 1000);
    });
    events.on('run-ended', ({ status }) => {
      if (status !== 'completed') this.#rounds.inc({ status });
    });
    events.on('evaluation-reported', () => this.#evaluations.inc());
  }

  /** Counts bytes over the federation plane. */
  bytes(direction: 'in' | 'out', count: number): void {
    this.#bytes.inc({ direction }, count);
  }

  /** The exposition text for `GET /metrics`. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
