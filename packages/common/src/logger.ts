import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Component name written on every line. */
  name: string;
  /** Minimum level. Default: `SILO_LOG_LEVEL` or `info`. */
  level?: string;
}

/** A structured JSON logger writing to stderr, so stdout stays free for command output. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    { name: options.name, level: options.level ?? process.env['SILO_LOG_LEVEL'] ?? 'info' },
    pino.destination(2),
  );
}
