import type { Command } from 'commander';
import { PLAINTEXT_FEDERATION_WARNING, forcingInsecure, loadConfigFile } from '@silo/common';
import { Coordinator, coordinatorConfigSchema } from '@silo/coordinator';
import { startWorkerFromConfig } from '@silo/worker';

/** Runs `stop` once on SIGINT or SIGTERM, then exits. */
function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`silo: ${signal} received, shutting down\n`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`silo: shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** The `--insecure` flag's warning, on stderr so it shows even where the JSON log is collected. */
function warnPlainText(): void {
  process.stderr.write(`silo: warning: ${PLAINTEXT_FEDERATION_WARNING}\n`);
}

/** `silo coordinator start` */
export function coordinatorCommand(program: Command): void {
  program
    .command('coordinator')
    .description('the coordinator: schedules rounds, verifies and aggregates updates')
    .command('start')
    .description('start a coordinator (gRPC federation plane + HTTP API) from a YAML or JSON config')
    .requiredOption('--config <file>', 'coordinator configuration file')
    .option('--ready-json', 'print one JSON line with the bound addresses when ready (for scripts)')
    .option('--insecure', 'plain-text federation plane without mTLS, for a trusted network only')
    .action(async (options: { config: string; readyJson?: boolean; insecure?: boolean }) => {
      const schema =
        options.insecure === true ? forcingInsecure(coordinatorConfigSchema) : coordinatorConfigSchema;
      const config = await loadConfigFile(schema, options.config);
      if (options.insecure === true) warnPlainText();
      const coordinator = await Coordinator.start({ config });
      const ready = {
        grpc: coordinator.grpcAddress,
        http: coordinator.httpUrl,
        ledgerDir: coordinator.ledgerDir,
        verifierKey: coordinator.key.verifierKey,
      };
      if (options.readyJson === true) process.stdout.write(`${JSON.stringify(ready)}\n`);
      else {
        process.stdout.write(
          `coordinator ready: gRPC ${ready.grpc}, HTTP ${ready.http}\n` +
            `ledger: ${ready.ledgerDir}, verifier key ${ready.verifierKey}\n`,
        );
      }
      onSignals(() => coordinator.close());
    });
}

/** `silo worker start` */
export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description("a data owner's worker: trains locally, sends only signed weight updates")
    .command('start')
    .description(
      'start a worker from its config file; it dials out to the coordinator and reconnects with backoff',
    )
    .requiredOption('--config <file>', 'worker configuration file')
    .option('--insecure', 'plain-text federation plane without mTLS, for a trusted network only')
    .action(async (options: { config: string; insecure?: boolean }) => {
      const worker = await startWorkerFromConfig(options.config, undefined, {
        insecure: options.insecure === true,
      });
      if (options.insecure === true) warnPlainText();
      onSignals(() => worker.stop());
    });
}
