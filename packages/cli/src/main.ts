import { Command } from 'commander';
import { auditCommand } from './commands/audit.js';
import { certsCommand } from './commands/certs.js';
import { keysCommand } from './commands/keys.js';
import { runCommand } from './commands/run.js';
import { coordinatorCommand, workerCommand } from './commands/servers.js';
import { simulateCommand } from './commands/simulate.js';
import { tokensCommand } from './commands/tokens.js';
import { workerRecordsCommands } from './commands/worker-records.js';
import { workersCommand } from './commands/workers.js';

/** Builds the `silo` command tree. */
export function buildProgram(): Command {
  const program = new Command('silo')
    .description('Silo: train one model across data owners whose data never leaves their premises')
    .version('0.1.0')
    .showHelpAfterError();
  keysCommand(program);
  certsCommand(program);
  coordinatorCommand(program);
  workerCommand(program);
  workerRecordsCommands(program);
  workersCommand(program);
  tokensCommand(program);
  runCommand(program);
  simulateCommand(program);
  auditCommand(program);
  return program;
}

/** Entry point of the `silo` binary. */
export async function main(argv: string[]): Promise<void> {
  // A reader that stops early (`silo audit verify … | head`) closes the pipe: that ends the
  // output, it is not an error to report.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  await buildProgram().parseAsync(argv);
}
