import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeWithBackpressure } from './streams.js';

describe('writeWithBackpressure', () => {
  it('waits for drain when the buffer is full and delivers everything in order', async () => {
    const received: number[] = [];
    let release: (() => void) | undefined;
    const slow = new Writable({
      objectMode: true,
      highWaterMark: 2,
      write(chunk: number, _enc, done) {
        received.push(chunk);
        release = done;
      },
    });
    const writes = (async () => {
      for (let i = 0; i < 5; i++) await writeWithBackpressure(slow, i);
    })();
    // Each write completes only when the consumer takes the previous one.
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      release?.();
    }
    await writes;
    expect(received).toEqual([0, 1, 2, 3, 4]);
  });

  it('fails when the stream closes while waiting', async () => {
    const stream = new PassThrough({ objectMode: true, highWaterMark: 1 });
    stream.write(1);
    const pending = writeWithBackpressure(stream, 2);
    stream.destroy();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
    await expect(writeWithBackpressure(stream, 3)).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
  });
});
