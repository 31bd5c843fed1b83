import type { Command } from 'commander';
import { apiTarget } from '../api-client.js';
import { mirrorLedger, type MirrorProgress } from '../ledger-mirror.js';
import { TerminalBar, formatBytes } from '../terminal-bar.js';
import { readVerifierKey } from './audit-args.js';

/** `silo audit fetch`: mirrors a coordinator's ledger for offline auditing. */
export function auditFetchCommand(audit: Command): void {
  audit
    .command('fetch')
    .description(
      "mirror a coordinator's ledger (entries, signed checkpoints, blobs) into a directory, incrementally: " +
        'only new entries are fetched, after checking that the coordinator\u2019s log extends the mirror',
    )
    .requiredOption('--from <url>', "the coordinator's HTTP API URL")
    .requiredOption('--out <dir>', 'the mirror directory (created if needed)')
    .option(
      '--coordinator-key <key>',
      "pin the coordinator's verifier key (name+hash+key or a file); default: the key recorded by the first fetch",
    )
    .option('--token <token>', 'API bearer token (default: $SILO_TOKEN)')
    .option('--json', 'print the result as JSON')
    .action(
      async (options: {
        from: string;
        out: string;
        coordinatorKey?: string;
        token?: string;
        json?: boolean;
      }) => {
        const target = apiTarget({
          coordinator: options.from,
          ...(options.token === undefined ? {} : { token: options.token }),
        });
        const pinned =
          options.coordinatorKey === undefined ? undefined : await readVerifierKey(options.coordinatorKey);
        const bar = TerminalBar.open('ledger [{bar}] {value}/{total} entries | {blobs} blobs, {bytes}', {
          json: options.json,
        });
        const onProgress = (p: MirrorProgress): void =>
          bar?.update(p.entries, p.totalEntries, { blobs: p.blobsFetched, bytes: formatBytes(p.blobBytes) });
        const result = await mirrorLedger(target, options.out, {
          ...(pinned === undefined ? {} : { verifierKey: pinned }),
          ...(bar === undefined ? {} : { onProgress }),
        }).finally(() => bar?.stop());
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        process.stdout.write(
          `${result.origin}: ${result.to} entries (${result.to - result.from} new), ${result.checkpoints} new ` +
            `checkpoints, ${result.blobsFetched} blobs (${(result.blobBytes / 1e6).toFixed(1)} MB) into ${options.out}\n`,
        );
      },
    );
}
