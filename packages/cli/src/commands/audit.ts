import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { verifyLedgerDir } from '@silo/ledger';

/** Reads a verifier key given inline (`name+hash+key`) or as a file holding one. */
async function verifierKeyText(value: string): Promise<string> {
  if (/^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/.test(value)) return value;
  return (await readFile(value, 'utf8')).trim();
}

/** `silo audit …` */
export function auditCommand(program: Command): void {
  program
    .command('audit')
    .description('check a copy of a ledger offline')
    .command('verify')
    .description(
      'recompute the Merkle tree of a ledger directory, verify every signed checkpoint against it and their ' +
        'consistency; exits 0 only when nothing is wrong',
    )
    .requiredOption('--dir <dir>', 'the ledger directory (entries.log, checkpoints.log)')
    .requiredOption('--key <key>', "the coordinator's verifier key (name+hash+key) or a file holding it")
    .requiredOption('--origin <origin>', 'the checkpoint origin line the ledger must use')
    .option('--json', 'print the audit as JSON')
    .action(async (options: { dir: string; key: string; origin: string; json?: boolean }) => {
      const audit = await verifyLedgerDir(options.dir, await verifierKeyText(options.key), options.origin);
      if (options.json === true) process.stdout.write(`${JSON.stringify(audit)}\n`);
      else {
        process.stdout.write(
          `${audit.ok ? 'OK' : 'FAILED'}: ${audit.size} entries, ${audit.checkpoints} checkpoints, ` +
            `verified up to ${audit.verifiedSize ?? 0}\n`,
        );
        for (const problem of audit.problems) process.stdout.write(`problem: ${problem}\n`);
        for (const warning of audit.warnings) process.stdout.write(`warning: ${warning}\n`);
      }
      if (!audit.ok) process.exitCode = 1;
    });
}
