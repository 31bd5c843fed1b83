import { runBenchCli } from './cli.js';

// `node packages/bench/dist/main.js [options]`, as run by `npm run bench`.
try {
  await runBenchCli(process.argv.slice(2));
} catch (err) {
  const code =
    typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'ERR_INTERNAL';
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`bench: ${code}: ${message}\n`);
  process.exitCode = 1;
}
