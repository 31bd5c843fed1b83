/**
 * Entry point of a `silo simulate` worker pool: one process hosting many virtual workers
 * (`node pool-main.js --config pool.json`, see `VirtualPool`). Its stdout carries JSON lines for
 * the parent (`{ ready }` once every worker is loaded, then `{ stats }` whenever its counters
 * change); its stderr carries the workers' JSON log. SIGTERM or SIGINT stops every worker.
 */
import { createLogger, toSiloError } from '@silo/common';
import { VirtualPool } from '@silo/worker';
import type { PoolLine } from './processes.js';

/** How often changed counters are reported. */
const STATS_INTERVAL_MS = 500;

function emit(line: PoolLine): Promise<void> {
  return new Promise((done) => process.stdout.write(`${JSON.stringify(line)}\n`, () => done()));
}

async function main(argv: readonly string[]): Promise<void> {
  const at = argv.indexOf('--config');
  const path = at >= 0 ? argv[at + 1] : undefined;
  if (path === undefined) throw new Error('usage: pool-main.js --config POOL.json');
  const config = await VirtualPool.loadConfig(path);
  const pool = await VirtualPool.start(config, createLogger({ name: 'pool' }));
  await emit({ ready: { workers: config.workers.length } });
  let last = '';
  const report = async (): Promise<void> => {
    const stats = pool.stats;
    const text = JSON.stringify(stats);
    if (text === last) return;
    last = text;
    await emit({ stats });
  };
  const timer = setInterval(() => void report(), STATS_INTERVAL_MS);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    pool
      .stop()
      .then(report)
      .then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`pool: stop failed: ${toSiloError(err).message}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv).catch((err: unknown) => {
  const error = toSiloError(err);
  process.stderr.write(`pool: ${error.code}: ${error.message}\n`);
  process.exit(1);
});
