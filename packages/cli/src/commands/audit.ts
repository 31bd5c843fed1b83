import { auditFetchCommand } from './audit-fetch.js';
import type { Command, CommanderError } from 'commander';
import { auditLedger, proveConsistency, proveInclusion, readLedgerView, type LedgerView } from '@silo/audit';
import { toSiloError, type SiloErrorCode } from '@silo/common';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, count, readVerifierKey, readWorkerKeys } from './audit-args.js';
import { formatConsistency, formatInclusion, formatReport, proofJson } from './audit-format.js';

interface VerifyOptions {
  coordinatorKey: string;
  workers?: string;
  origin?: string;
  blobs?: string;
  json?: boolean;
}

interface ProofOptions {
  dir: string;
  coordinatorKey?: string;
  origin?: string;
  json?: boolean;
}

/** Errors that mean "the ledger or proof does not check out", as opposed to bad input. */
const VERIFICATION_FAILURES = new Set<SiloErrorCode>([
  'ERR_DIGEST_MISMATCH',
  'ERR_LEDGER_CORRUPT',
  'ERR_BAD_SIGNATURE',
]);

/**
 * Runs `action` and sets the exit code it returns. A thrown error is printed with its code and
 * exits {@link EXIT_USAGE}, or {@link EXIT_FAILED} when `failures` lists its code.
 */
async function guarded(
  command: string,
  action: () => Promise<number>,
  failures: ReadonlySet<SiloErrorCode> = new Set(),
): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (err) {
    const e = toSiloError(err);
    process.stderr.write(`silo audit ${command}: ${e.code}: ${e.message}\n`);
    process.exitCode = failures.has(e.code) ? EXIT_FAILED : EXIT_USAGE;
  }
}

function print(json: boolean | undefined, value: unknown, human: string): void {
  process.stdout.write(json === true ? `${JSON.stringify(value, null, 2)}\n` : human);
}

async function view(options: ProofOptions): Promise<LedgerView> {
  const coordinatorKey =
    options.coordinatorKey === undefined ? undefined : await readVerifierKey(options.coordinatorKey);
  return readLedgerView(options.dir, {
    ...(coordinatorKey === undefined ? {} : { coordinatorKey }),
    ...(options.origin === undefined ? {} : { origin: options.origin }),
  });
}

/** Progress on a terminal only, so piped output and `--json` stay clean. */
function progress(enabled: boolean): ((done: number, total: number) => void) | undefined {
  if (!enabled || !process.stderr.isTTY) return undefined;
  return (done, total) => {
    if (done % 1000 === 0 || done === total) {
      process.stderr.write(`\rchecked ${done} of ${total} entries${done === total ? '\n' : ''}`);
    }
  };
}

/** `silo audit …`: offline checks of a copy of a ledger directory. */
export function auditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('check a copy of a ledger offline')
    // Set before the subcommands, which inherit it: usage errors exit 2, not commander's 1,
    // so a script can tell "bad invocation" from "the ledger failed its audit".
    .exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_USAGE));
  auditFetchCommand(audit);

  audit
    .command('verify')
    .description(
      'audit a ledger directory end to end: Merkle tree and signed checkpoints, key history, update and ' +
        'aggregate signatures, every aggregate recomputed from the blobs. Exits 0 only when every check ' +
        'passed, 1 when the ledger has problems, 2 for bad arguments',
    )
    .argument('<dir>', 'the ledger directory (entries.log, checkpoints.log, blobs/)')
    .requiredOption(
      '--coordinator-key <key>',
      "the coordinator's verifier key (name+hash+key) or a file holding it",
    )
    .option(
      '--workers <jwks>',
      'JWKS file { "keys": [...] } of the worker keys you trust (default: the ledger\'s)',
    )
    .option('--origin <origin>', 'checkpoint origin line to require (default: the key name)')
    .option('--blobs <dir>', 'blob directory (default: <dir>/blobs)')
    .option('--json', 'print the report as JSON')
    .action((dir: string, options: VerifyOptions) =>
      guarded('verify', async () => {
        const coordinatorKey = await readVerifierKey(options.coordinatorKey);
        const workers = options.workers === undefined ? undefined : await readWorkerKeys(options.workers);
        const onProgress = progress(options.json !== true);
        const report = await auditLedger(dir, {
          coordinatorKey,
          ...(workers === undefined ? {} : { workers }),
          ...(options.origin === undefined ? {} : { origin: options.origin }),
          ...(options.blobs === undefined ? {} : { blobsDir: options.blobs }),
          ...(onProgress === undefined ? {} : { onProgress }),
        });
        print(options.json, report, formatReport(dir, report));
        return report.ok ? EXIT_OK : EXIT_FAILED;
      }),
    );

  audit
    .command('prove')
    .description(
      'print and verify an inclusion proof of one entry to the latest checkpoint (or to tree size N); ' +
        'hashes are base64, as in checkpoint notes',
    )
    .argument('<entry>', 'entry index, from 0', count)
    .requiredOption('--dir <dir>', 'the ledger directory')
    .option('--size <n>', 'tree size to prove to (default: the latest checkpoint)', count)
    .option('--coordinator-key <key>', 'verifier key (or file) to check the checkpoint signatures with')
    .option('--origin <origin>', 'checkpoint origin line to require (default: the key name)')
    .option('--json', 'print the proof as JSON')
    .action((entry: number, options: ProofOptions & { size?: number }) =>
      guarded(
        'prove',
        async () => {
          const proof = proveInclusion(await view(options), entry, options.size);
          print(options.json, proofJson(proof), formatInclusion(proof));
          return EXIT_OK;
        },
        VERIFICATION_FAILURES,
      ),
    );

  audit
    .command('consistency')
    .description('print and verify a consistency proof between two tree sizes; hashes are base64')
    .argument('<old>', 'the older tree size (at least 1)', count)
    .argument('<new>', 'the newer tree size', count)
    .requiredOption('--dir <dir>', 'the ledger directory')
    .option('--coordinator-key <key>', 'verifier key (or file) to check the checkpoint signatures with')
    .option('--origin <origin>', 'checkpoint origin line to require (default: the key name)')
    .option('--json', 'print the proof as JSON')
    .action((oldSize: number, newSize: number, options: ProofOptions) =>
      guarded(
        'consistency',
        async () => {
          const proof = proveConsistency(await view(options), oldSize, newSize);
          print(options.json, proofJson(proof), formatConsistency(proof));
          return EXIT_OK;
        },
        VERIFICATION_FAILURES,
      ),
    );
}
