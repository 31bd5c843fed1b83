import type { Redis } from 'ioredis';
import type { Logger } from '@silo/common';

/** Where a round's instructions must go: a worker, a run and a round. */
export interface InstructionNotice {
  keyId: string;
  runId: string;
  round: number;
  /**
   * `evaluate` for a federated evaluation of the checkpoint `round` produced, `secagg` for the
   * step of secure aggregation waiting for the worker; default `train`.
   */
  kind?: 'train' | 'evaluate' | 'secagg';
}

/**
 * Routes "an instruction waits for this worker" notices over Redis pub/sub, so the coordinator
 * process that runs a round's open step need not be the one holding the worker's Join stream.
 */
export class Dispatcher {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #logger: Logger;
  #deliver: ((notice: InstructionNotice) => Promise<void>) | undefined;

  constructor(publisher: Redis, subscriber: Redis, prefix: string, logger: Logger) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = `${prefix}:instructions`;
    this.#logger = logger;
  }

  /** Subscribes; `deliver` is called for every notice and decides whether it holds the stream. */
  async start(deliver: (notice: InstructionNotice) => Promise<void>): Promise<void> {
    this.#deliver = deliver;
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      let notice: InstructionNotice;
      try {
        notice = JSON.parse(message) as InstructionNotice;
      } catch (err) {
        this.#logger.error({ err }, 'malformed instruction notice');
        return;
      }
      this.#deliver?.(notice).catch((err: unknown) => {
        this.#logger.warn({ err, keyId: notice.keyId }, 'could not deliver instruction');
      });
    });
    await this.#subscriber.subscribe(this.#channel);
  }

  async notify(
    keyIds: readonly string[],
    runId: string,
    round: number,
    kind: InstructionNotice['kind'] = 'train',
  ): Promise<void> {
    for (const keyId of keyIds) {
      await this.#publisher.publish(this.#channel, JSON.stringify({ keyId, runId, round, kind }));
    }
  }
}
