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
