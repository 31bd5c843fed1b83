import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SiloError } from '@silo/common';
import { apiTarget, callApi } from '../api-client.js';

/** `silo workers …` */
export function workersCommand(program: Command): void {
  const workers = program.command('workers').description('enroll and list worker keys');
  workers
    .command('enroll')
    .description("enroll a worker's public key so its updates are accepted")
    .requiredOption('--name <name>', 'worker name')
    .option('--org <org>', 'organisation owning the worker', '')
    .requiredOption('--jwk <file>', "the worker's public JWK file (from silo keys generate)")
    .option('--json', 'print the enrolled key as JSON')
    .option('--coordinator <url>', 'coordinator HTTP API URL (default: $SILO_URL)')
    .option('--token <token>', 'API bearer token (default: $SILO_TOKEN)')
    .action(
      async (options: {
        name: string;
        org: string;
        jwk: string;
        json?: boolean;
        coordinator?: string;
        token?: string;
      }) => {
        let publicJwk: unknown;
        try {
          publicJwk = JSON.parse(await readFile(options.jwk, 'utf8'));
        } catch (err) {
          throw new SiloError('ERR_BAD_INPUT', `cannot read a JWK from ${options.jwk}`, { cause: err });
        }
        const entry = await callApi<{ keyId: string }>(apiTarget(options), 'POST', '/v1/workers', {
          name: options.name,
          org: options.org,
          publicJwk,
        });
        process.stdout.write(
          options.json === true
            ? `${JSON.stringify(entry)}\n`
            : `enrolled ${options.name}: key id ${entry.keyId}\n`,
        );
      },
    );
  workers
    .command('list')
    .description('list enrolled and online workers')
    .option('--json', 'print JSON')
    .option('--coordinator <url>', 'coordinator HTTP API URL (default: $SILO_URL)')
    .option('--token <token>', 'API bearer token (default: $SILO_TOKEN)')
    .action(async (options: { json?: boolean; coordinator?: string; token?: string }) => {
      const result = await callApi<{
        enrolled: { keyId: string; name: string; org: string; revokedAt?: number }[];
        online: { keyId: string }[];
      }>(apiTarget(options), 'GET', '/v1/workers');
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      const online = new Set(result.online.map((w) => w.keyId));
      for (const w of result.enrolled) {
        const state = w.revokedAt !== undefined ? 'revoked' : online.has(w.keyId) ? 'online ' : 'offline';
        process.stdout.write(`${w.keyId}  ${state}  ${w.name}  ${w.org}\n`);
      }
    });
  workers
    .command('revoke')
    .description('revoke a worker key: its new updates are refused; its earlier ledger entries still verify')
    .argument('<keyId>', 'the key id to revoke')
    .option('--json', 'print the revoked key as JSON')
    .option('--coordinator <url>', 'coordinator HTTP API URL (default: $SILO_URL)')
    .option('--token <token>', 'API bearer token (default: $SILO_TOKEN)')
    .action(async (keyId: string, options: { json?: boolean; coordinator?: string; token?: string }) => {
      const entry = await callApi<{ name: string; revokedAt: number }>(
        apiTarget(options),
        'POST',
        `/v1/workers/${encodeURIComponent(keyId)}/revoke`,
      );
      process.stdout.write(
        options.json === true
          ? `${JSON.stringify(entry)}\n`
          : `revoked ${entry.name} (${keyId}) at ${new Date(entry.revokedAt).toISOString()}\n`,
      );
    });
}
