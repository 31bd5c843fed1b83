import type { Writable } from 'node:stream';
import { SiloError } from '@silo/common';

/**
 * Writes one message and waits for `'drain'` when the stream's buffer is full, so a large
 * transfer never piles up in memory faster than the peer reads it.
 */
export async function writeWithBackpressure<T>(stream: Writable, message: T): Promise<void> {
  if (stream.destroyed || stream.writableEnded) {
    throw new SiloError('ERR_CANCELLED', 'stream closed before all messages were written');
  }
  if (stream.write(message)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', onError);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new SiloError('ERR_CANCELLED', 'stream closed while waiting to write'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('error', onError);
  });
}

/**
 * Writes a stream's messages with at most one of them in flight: {@link write} returns once the
 * previous message has left (its write callback ran: for gRPC, the framed message went out within
 * the HTTP/2 flow-control window), so the caller can prepare the next one while this one is sent.
 *
 * `writeWithBackpressure` waits only once the stream's buffer is full, and an object-mode
 * stream's buffer counts messages, not bytes (16 by default): a server sending 1 MiB chunks to a
 * slow reader holds 16 MiB per stream, and many concurrent downloads multiply that. Here a
 * stream holds one message in flight and the one being prepared, whatever their size.
 */
export class PacedWriter<T> {
  readonly #stream: Writable;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(stream: Writable) {
    this.#stream = stream;
  }

  /**
   * Waits until the previous message has left, then writes `message`.
   *
   * @throws SiloError `ERR_CANCELLED` when the stream closed first; the stream's error when a
   *   write failed.
   */
  async write(message: T): Promise<void> {
    await this.#inFlight;
    const sent = sendOne(this.#stream, message);
    // Observed by the next write or by flush(); a failure in between must not go unhandled.
    sent.catch(() => undefined);
    this.#inFlight = sent;
  }

  /** Waits until the last message written has left. @throws as {@link write}. */
  flush(): Promise<void> {
    return this.#inFlight;
  }
}

/** Writes `message` and resolves once its write callback ran; rejects if the stream closes first. */
function sendOne<T>(stream: Writable, message: T): Promise<void> {
  if (stream.destroyed || stream.writableEnded) {
    return Promise.reject(new SiloError('ERR_CANCELLED', 'stream closed before all messages were written'));
  }
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('close', onClose);
      stream.off('error', onError);
    };
    // A cancelled gRPC call never runs the callback of a write in progress: its close ends the wait.
    const onClose = (): void => {
      cleanup();
      reject(new SiloError('ERR_CANCELLED', 'stream closed while a message was being written'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    stream.on('close', onClose);
    stream.on('error', onError);
    stream.write(message, (err) => {
      cleanup();
      if (err === null || err === undefined) resolve();
      else reject(err);
    });
  });
}
