import type { Command } from 'commander';
import { SiloError } from '@silo/common';
import { DEFAULT_TOKEN_TTL, mintControlToken, parseRole, parseSubject, parseTtl } from '@silo/coordinator';
import { loadSigningKey } from '@silo/signing';
import { apiTarget, callApi } from '../api-client.js';

/** The coordinator config's default `ledgerName`, which is the issuer of its tokens. */
const DEFAULT_LEDGER_NAME = 'silo-coordinator';

interface CreateOptions {
  role: string;
  subject: string;
  ttl: string;
  keyFile?: string;
  ledgerName: string;
  json?: boolean;
  coordinator?: string;
  token?: string;
}

/** What `POST /v1/tokens` answers. */
interface IssuedToken {
  token: string;
  subject: string;
  role: string;
  id: string;
  expiresAt: string;
}

/** `silo tokens …` */
export function tokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('issue role tokens for the control plane (HTTP API)');
  tokens
    .command('create')
    .description(
      'issue a role token signed by the coordinator: offline with its private key file (--key-file), ' +
        'otherwise through the API with an admin token; prints only the token on stdout',
    )
    .requiredOption('--role <role>', 'admin, model-team, auditor or monitor (metrics only)')
    .requiredOption('--subject <name>', 'who the token is for (its sub claim)')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 24h, 7d; at most 366d', DEFAULT_TOKEN_TTL)
    .option(
      '--key-file <file>',
      "sign offline with the coordinator's private key file (keyFile in its config)",
    )
    .option(
      '--ledger-name <name>',
      "with --key-file: the coordinator's ledgerName, which its tokens carry as issuer",
      DEFAULT_LEDGER_NAME,
    )
    .option('--json', 'print the token with its subject, role, id and expiry as one JSON object')
    .option('--coordinator <url>', 'without --key-file: coordinator HTTP API URL (default: $SILO_URL)')
    .option(
      '--token <token>',
      'without --key-file: an admin token or the bootstrap secret (default: $SILO_TOKEN)',
    )
    .action(async (options: CreateOptions) => {
      const request = {
        role: parseRole(options.role),
        subject: parseSubject(options.subject),
        ttlMs: parseTtl(options.ttl),
      };
      let issued: IssuedToken;
      if (options.keyFile !== undefined) {
        if (options.coordinator !== undefined || options.token !== undefined) {
          throw new SiloError('ERR_BAD_INPUT', 'give either --key-file or --coordinator/--token, not both');
        }
        const key = await loadSigningKey(options.keyFile);
        const { token, claims } = await mintControlToken(key, { issuer: options.ledgerName, ...request });
        issued = {
          token,
          subject: claims.sub,
          role: claims.role,
          id: claims.jti,
          expiresAt: new Date(claims.exp * 1000).toISOString(),
        };
      } else {
        issued = await callApi<IssuedToken>(apiTarget(options), 'POST', '/v1/tokens', {
          role: request.role,
          subject: request.subject,
          ttl: options.ttl,
        });
      }
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(issued)}\n`);
        return;
      }
      // Only the token goes to stdout, so `$(silo tokens create …)` captures exactly it.
      process.stdout.write(`${issued.token}\n`);
      process.stderr.write(
        `issued a ${issued.role} token for ${issued.subject} (id ${issued.id}), expires ${issued.expiresAt}\n`,
      );
    });
}
