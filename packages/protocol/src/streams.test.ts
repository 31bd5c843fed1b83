import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PacedWriter, writeWithBackpressure } from './streams.js';

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

describe('PacedWriter', () => {
  /** An object-mode stream that completes each write only when the test releases it. */
  function heldStream(): { stream: Writable; received: number[]; release: () => void } {
    const received: number[] = [];
    const held: (() => void)[] = [];
    const stream = new Writable({
      objectMode: true,
      write(chunk: number, _enc, done) {
        received.push(chunk);
        held.push(() => done());
      },
    });
    return { stream, received, release: () => held.shift()?.() };
  }

  const settled = async (promise: Promise<unknown>): Promise<boolean> => {
    let done = false;
    promise.then(
      () => (done = true),
      () => (done = true),
    );
    await new Promise((resolve) => setImmediate(resolve));
    return done;
  };

  it('keeps one message in flight: a write waits until the previous one has left', async () => {
    const { stream, received, release } = heldStream();
    const writer = new PacedWriter<number>(stream);
    await writer.write(0);
    const second = writer.write(1);
    expect(await settled(second)).toBe(false); // the stream's buffer has room, but 0 is in flight
    expect(received).toEqual([0]);
    release();
    await second;
    expect(received).toEqual([0, 1]);
    const flushed = writer.flush();
    expect(await settled(flushed)).toBe(false);
    release();
    await flushed;
  });

  it('fails when the stream closes with a message in flight whose callback never runs', async () => {
    const { stream } = heldStream();
    const writer = new PacedWriter<number>(stream);
    await writer.write(0);
    stream.destroy();
    await expect(writer.flush()).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
    await expect(writer.write(1)).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
  });

  it('reports a failed write at the next write, not as an unhandled rejection', async () => {
    const stream = new Writable({
      objectMode: true,
      write(_chunk, _enc, done) {
        setImmediate(() => done(new Error('disk on fire')));
      },
    });
    stream.on('error', () => undefined);
    const writer = new PacedWriter<number>(stream);
    await writer.write(0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(writer.write(1)).rejects.toThrow('disk on fire');
  });
});
