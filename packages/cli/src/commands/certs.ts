import type { Command } from 'commander';
import { SiloError } from '@silo/common';
import { DEFAULT_CERT_DAYS, initPki, issueWorkerCert } from '../pki.js';

/** Splits `a,b` and repeated flags into one list. */
const list = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0),
];

const days = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new SiloError('ERR_BAD_INPUT', `--days: not a whole number: ${value}`);
  return n;
};

interface InitOptions {
  out: string;
  coordinatorHost: string[];
  workers: string[];
  days: number;
  json?: boolean;
}

/** `silo certs …` */
export function certsCommand(program: Command): void {
  const certs = program
    .command('certs')
    .description(
      'the deployment PKI for mTLS on the federation plane: a CA, the coordinator and worker certificates',
    );
  certs
    .command('init')
    .description(
      'create a CA, the coordinator certificate (serverAuth) and worker client certificates (clientAuth) in DIR; ' +
        'private keys get mode 0600 and no file is ever overwritten',
    )
    .requiredOption('--out <dir>', 'directory of the PKI (created with mode 0700)')
    .requiredOption(
      '--coordinator-host <host,...>',
      'DNS names and IP addresses workers dial the coordinator by (localhost and 127.0.0.1 are always added); repeatable',
      list,
    )
    .option('--workers <name,...>', 'workers to issue client certificates for now; repeatable', list, [])
    .option('--days <n>', 'validity of the coordinator and worker certificates', days, DEFAULT_CERT_DAYS)
    .option('--json', 'print the paths of the files made as JSON')
    .action(async (options: InitOptions) => {
      const pki = await initPki({
        dir: options.out,
        coordinatorHosts: options.coordinatorHost,
        workers: options.workers,
        days: options.days,
      });
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(pki)}\n`);
        return;
      }
      const lines = [
        `CA:           ${pki.ca}`,
        `CA key:       ${pki.caKey} (mode 0600; keep it offline, only issue-worker needs it)`,
        `coordinator:  ${pki.coordinator.cert}, ${pki.coordinator.key} (mode 0600)`,
        ...Object.entries(pki.workers).map(
          ([name, files]) => `worker ${name}: ${files.cert}, ${files.key} (mode 0600)`,
        ),
        '',
        `coordinator config: tls: { ca: ${pki.ca}, cert: ${pki.coordinator.cert}, key: ${pki.coordinator.key} }`,
        `each worker config: tls: { ca: ca.crt, cert: workers/<name>.crt, key: workers/<name>.key }`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  certs
    .command('issue-worker')
    .description("issue one more worker client certificate from the CA in a directory made by 'certs init'")
    .requiredOption('--ca-dir <dir>', 'directory holding ca.crt and ca.key')
    .requiredOption('--name <name>', "the worker's name (the certificate's CN)")
    .option('--out <dir>', 'where the certificate and key go (default: <ca-dir>/workers)')
    .option('--days <n>', 'validity, capped at the CA certificate', days, DEFAULT_CERT_DAYS)
    .option('--json', 'print the paths of the certificate and key as JSON')
    .action(async (options: { caDir: string; name: string; out?: string; days: number; json?: boolean }) => {
      const files = await issueWorkerCert({
        caDir: options.caDir,
        name: options.name,
        days: options.days,
        ...(options.out !== undefined ? { outDir: options.out } : {}),
      });
      process.stdout.write(
        options.json === true
          ? `${JSON.stringify({ name: options.name, ...files })}\n`
          : `worker ${options.name}: ${files.cert}, ${files.key} (mode 0600)\n`,
      );
    });
}
