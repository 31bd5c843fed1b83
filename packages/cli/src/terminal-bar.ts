import { SingleBar } from 'cli-progress';
import type { TransferProgress } from './api-client.js';

/** Where a bar is drawn; `process.stderr` unless a test passes its own. */
export type BarStream = NodeJS.WritableStream & { isTTY?: boolean };

/** Options of {@link TerminalBar.open}. */
export interface TerminalBarOptions {
  /** The command prints JSON: no bar, whatever the terminal. */
  json?: boolean | undefined;
  /** Default `process.stderr`, so stdout carries only the command's result. */
  stream?: BarStream;
}

/**
 * A progress bar redrawn in place on stderr, only when stderr is a terminal and the command is
 * not printing JSON: piped, redirected and `--json` output stay exactly as without it.
 */
export class TerminalBar {
  readonly #bar: SingleBar;
  #started = false;

  private constructor(bar: SingleBar) {
    this.#bar = bar;
  }

  /**
   * A bar drawn with `format` (cli-progress tokens: `{bar}`, `{percentage}`, `{value}`,
   * `{total}`, and the payload's keys), or undefined where none should be drawn.
   */
  static open(format: string, options: TerminalBarOptions = {}): TerminalBar | undefined {
    const stream = options.stream ?? process.stderr;
    if (options.json === true || stream.isTTY !== true) return undefined;
    return new TerminalBar(new SingleBar({ stream, format, hideCursor: true, barsize: 30 }));
  }

  /** Shows `value` of `total`, starting the bar on the first call. */
  update(value: number, total: number, payload: Record<string, unknown> = {}): void {
    if (!this.#started) {
      this.#bar.start(total, value, payload);
      this.#started = true;
      return;
    }
    this.#bar.setTotal(total);
    this.#bar.update(value, payload);
  }

  /** Draws the last state and ends the line; nothing if the bar never started. */
  stop(): void {
    if (this.#started) this.#bar.stop();
    this.#started = false;
  }
}

/**
 * A bar over the bytes of one download, labelled `label`, and the callback to hand the download;
 * both undefined where no bar is drawn (see {@link TerminalBar.open}).
 */
export function transferBar(
  label: string,
  options: TerminalBarOptions = {},
): { bar: TerminalBar; onProgress: TransferProgress } | undefined {
  const bar = TerminalBar.open(`${label} [{bar}] {percentage}% | {received} of {size}`, options);
  if (bar === undefined) return undefined;
  return {
    bar,
    onProgress: (received, total) =>
      bar.update(received, total ?? received, {
        received: formatBytes(received),
        size: total === undefined ? '?' : formatBytes(total),
      }),
  };
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** `512 B`, `1.5 KiB`, `12.3 MiB`: binary units, one decimal. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}
