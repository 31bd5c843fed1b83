import { describe, expect, it } from 'vitest';
import { TerminalBar, formatBytes, transferBar, type BarStream } from './terminal-bar.js';

/** A stand-in for stderr that keeps what is written. */
function fakeStream(isTTY: boolean): BarStream & { text: () => string } {
  const written: string[] = [];
  return {
    isTTY,
    write(chunk: string | Uint8Array) {
      written.push(String(chunk));
      return true;
    },
    text: () => written.join(''),
  } as unknown as BarStream & { text: () => string };
}

describe('formatBytes', () => {
  it('uses binary units with one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
    expect(formatBytes(3.25 * 1024 ** 3)).toBe('3.3 GiB');
  });
});

describe('TerminalBar', () => {
  it('draws nothing when the stream is not a terminal or the command prints JSON', () => {
    const piped = fakeStream(false);
    expect(TerminalBar.open('{bar}', { stream: piped })).toBeUndefined();
    expect(transferBar('weights', { stream: piped })).toBeUndefined();
    const tty = fakeStream(true);
    expect(TerminalBar.open('{bar}', { stream: tty, json: true })).toBeUndefined();
    expect(transferBar('weights', { stream: tty, json: true })).toBeUndefined();
    expect(piped.text() + tty.text()).toBe('');
  });

  it("draws a download's bytes against the announced total on a terminal", () => {
    const tty = fakeStream(true);
    const transfer = transferBar('weights', { stream: tty });
    expect(transfer).toBeDefined();
    transfer!.onProgress(0, 4 * 1024 * 1024);
    transfer!.onProgress(4 * 1024 * 1024, 4 * 1024 * 1024);
    transfer!.bar.stop();
    const text = tty.text();
    expect(text).toContain('weights [');
    expect(text).toContain('100% | 4.0 MiB of 4.0 MiB');
  });

  it('shows the bytes so far when the server announced no total', () => {
    const tty = fakeStream(true);
    const transfer = transferBar('blob', { stream: tty })!;
    transfer.onProgress(2048, undefined);
    transfer.bar.stop();
    expect(tty.text()).toContain('2.0 KiB of ?');
  });

  it('stops cleanly when it never started', () => {
    const tty = fakeStream(true);
    TerminalBar.open('{bar}', { stream: tty })!.stop();
    expect(tty.text()).toBe('');
  });
});
