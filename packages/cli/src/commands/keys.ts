import type { Command } from 'commander';
import { generateKeyPair, writeKeyPair } from '@silo/signing';

/** `silo keys …` */
export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('manage Ed25519 identity keys');
  keys
    .command('generate')
    .description('create an Ed25519 key pair: a private JWK file (mode 0600) and its public JWK beside it')
    .requiredOption('--out <file>', 'path of the private key file, e.g. worker.key.json')
    .option('--json', 'print the key id and both paths as JSON')
    .action(async (options: { out: string; json?: boolean }) => {
      const pair = await generateKeyPair();
      const { privatePath, publicPath } = await writeKeyPair(options.out, pair);
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify({ keyId: pair.keyId, privatePath, publicPath })}\n`);
        return;
      }
      process.stdout.write(
        `key id:      ${pair.keyId}\nprivate key: ${privatePath} (mode 0600)\npublic key:  ${publicPath}\n`,
      );
    });
}
