import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SiloError } from '@silo/common';
import {
  egressLogPath,
  readEgressLog,
  verifyReceipts,
  type EgressRecord,
  type ReceiptsReport,
} from '@silo/worker';

/** Reads a verifier key given inline (`name+hash+key`) or as a file holding one. */
async function verifierKeyText(value: string): Promise<string> {
  if (/^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/.test(value)) return value;
  try {
    return (await readFile(value, 'utf8')).trim();
  } catch (err) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `--coordinator-key ${value} is neither a verifier key (name+hash+key) nor a readable file`,
      { cause: err },
    );
  }
}

const short = (digest: string): string => `${digest.slice(0, 12)}…`;

/** One line of detail per record kind: what was sent (or received) and for which round. */
function describeRecord(r: EgressRecord): string {
  switch (r.kind) {
    case 'join':
      return `key ${short(r.keyId)} name ${r.name} backend ${r.backend} examples ${r.numExamples} proof ${short(r.proofDigest)}`;
    case 'challenge-request':
      return `key ${short(r.keyId)}`;
    case 'secagg':
      return `run ${r.runId} round ${r.round} secure aggregation ${r.step}`;
    case 'decline':
      return `${r.runId} round ${r.round}: ${r.code} ${r.reason}`;
    case 'fetch-model':
      return `${r.runId} round ${r.round}`;
    case 'evaluation':
      return `${r.runId} round ${r.round} checkpoint ${short(r.checkpoint)}: accuracy ${(r.accuracy * 100).toFixed(2)}% loss ${r.loss.toFixed(4)} on ${r.numExamples} held-out examples`;
    case 'update':
      return (
        `${r.runId} round ${r.round} update ${short(r.updateDigest)} (${r.updateBytes} bytes in ${r.chunks} chunks, ` +
        `${r.numExamples} examples) attempt ${r.attempt}`
      );
    case 'accepted':
      return `${r.runId} round ${r.round} update ${short(r.updateDigest)} → entry ${r.entryIndex}${r.duplicate ? ' (duplicate)' : ''}`;
    case 'update-failed':
      return `${r.runId} round ${r.round} update ${short(r.updateDigest)}: ${r.code} ${r.message}`;
    case 'receipt-request':
      return `${r.runId} round ${r.round} entry ${r.entryIndex}`;
    case 'receipt':
      return (
        `${r.runId} round ${r.round} entry ${r.entryIndex} tree ${r.treeSize}: ${r.status}` +
        (r.reason === undefined ? '' : ` (${r.reason}: ${r.message ?? ''})`)
      );
    case 'receipt-missing':
      return `${r.runId} round ${r.round} entry ${r.entryIndex}: none after ${Math.round(r.waitedMs / 1000)} s, ${r.attempts} requests`;
    case 'tail-cut':
      return `torn line of ${r.cutBytes} bytes cut at open (${r.reason}) sha256 ${short(r.cutDigest)}`;
  }
}

function printReport(report: ReceiptsReport): void {
  const count = (status: string): number => report.updates.filter((u) => u.status === status).length;
  process.stdout.write(
    `${report.ok ? 'OK' : 'FAILED'}: ${report.updates.length} updates sent: ${count('verified')} receipted and verified, ` +
      `${count('receipt-failed')} receipts refused, ${count('no-receipt')} without receipt, ` +
      `${count('rejected')} rejected; egress log ${report.egress.problems.length === 0 ? 'intact' : 'DAMAGED'} ` +
      `(${report.egress.records} records)\n`,
  );
  // Updates with a problem appear among the problems, with run, round and entry index.
  for (const u of report.updates.filter((x) => x.status === 'verified'))
    process.stdout.write(
      `verified: run ${u.runId} round ${u.round} entry ${u.entryIndex ?? '?'} (tree ${u.treeSize ?? '?'})\n`,
    );
  for (const problem of report.problems) process.stdout.write(`problem: ${problem}\n`);
  for (const note of report.notes) process.stdout.write(`note: ${note}\n`);
}

/**
 * Adds the data owner's record commands to `silo worker`: `receipts verify` and `egress`. Call
 * after the command that creates `worker` (its `start`); creates `worker` if there is none.
 */
export function workerRecordsCommands(program: Command): void {
  const worker =
    program.commands.find((c) => c.name() === 'worker') ??
    program.command('worker').description("a data owner's worker");

  worker
    .command('receipts')
    .description("the coordinator's ledger receipts for this worker's updates")
    .command('verify')
    .description(
      'check from the worker state directory alone that the coordinator logged every update sent: each ' +
        'stored receipt against the coordinator key and the manifest sent, and the egress hash chain; ' +
        'exits 0 only when every update has a verified receipt',
    )
    .requiredOption('--state-dir <dir>', "the worker's state directory (stateDir in its config)")
    .requiredOption(
      '--coordinator-key <key>',
      "the coordinator's ledger verifier key (name+hash+key) or a file holding it",
    )
    .option('--origin <origin>', 'the checkpoint origin line; default the key name')
    .option('--json', 'print the report as JSON')
    .action(
      async (options: { stateDir: string; coordinatorKey: string; origin?: string; json?: boolean }) => {
        const report = await verifyReceipts(options.stateDir, {
          coordinatorKey: await verifierKeyText(options.coordinatorKey),
          origin: options.origin,
        });
        if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
        else printReport(report);
        if (!report.ok) process.exitCode = 1;
      },
    );

  worker
    .command('egress')
    .description('list everything this worker sent to the coordinator (and the receipts it got back)')
    .requiredOption('--state-dir <dir>', "the worker's state directory (stateDir in its config)")
    .option('--json', 'print the records and problems as JSON')
    .option('--verify', 'exit 1 unless the hash chain and every record are intact')
    .action(async (options: { stateDir: string; json?: boolean; verify?: boolean }) => {
      const scan = await readEgressLog(egressLogPath(options.stateDir));
      if (options.json === true) process.stdout.write(`${JSON.stringify(scan)}\n`);
      else {
        for (const r of scan.records) {
          const at = new Date(r.at).toISOString();
          process.stdout.write(
            `${String(r.seq).padStart(6)}  ${at}  ${r.kind.padEnd(15)} ${String(r.bytes).padStart(10)} B  ${describeRecord(r)}\n`,
          );
        }
        for (const p of scan.problems)
          process.stdout.write(`problem: line ${p.line}: ${p.kind}: ${p.message}\n`);
        if (options.verify === true) {
          process.stdout.write(
            scan.problems.length === 0
              ? `OK: ${scan.lines} records, hash chain intact\n`
              : `FAILED: ${scan.problems.length} problems in ${scan.lines} lines\n`,
          );
        }
      }
      if (options.verify === true && scan.problems.length > 0) process.exitCode = 1;
    });
}
