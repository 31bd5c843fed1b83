import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import type { z } from 'zod';
import { initPki, type Pki } from '../packages/cli/src/pki.js';
import { deleteKeysWithPrefix } from '../packages/cli/src/redis.js';
import type { TlsFiles } from '@silo/common';
import { coordinatorConfigSchema, type CoordinatorConfig } from '@silo/coordinator';
import { generateKeyPair, loadSigningKey, writeKeyPair, type SigningKey } from '@silo/signing';
import { federationChannelCredentials } from '@silo/worker';

/** The Redis the tests use: `REDIS_URL` or the local default. */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A logger that writes nothing unless SILO_TEST_LOGS is set. */
export const quietLogger = pino({ level: process.env['SILO_TEST_LOGS'] !== undefined ? 'debug' : 'silent' });

/** A temp directory removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'silo-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A unique Redis prefix per test. */
export function uniquePrefix(): string {
  return `t-${randomBytes(5).toString('hex')}`;
}

/** Deletes every Redis key under a prefix. */
export function cleanRedis(prefix: string): Promise<void> {
  return deleteKeysWithPrefix(REDIS_URL, prefix);
}

/** What a test coordinator is configured with: `prefix` and `dataDir` are its own, so required. */
export type TestCoordinatorFields = z.input<typeof coordinatorConfigSchema> & {
  prefix: string;
  dataDir: string;
};

/**
 * A test coordinator's configuration: gRPC and HTTP on loopback with free ports, the tests'
 * Redis, 256 KiB model chunks, updates up to 64 MiB and pings every 5 s, then `fields` on top.
 * Parsed by the schema, so every other field takes its default.
 */
export function coordinatorConfig(fields: TestCoordinatorFields): CoordinatorConfig {
  return coordinatorConfigSchema.parse({
    grpc: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    redisUrl: REDIS_URL,
    chunkBytes: 256 * 1024,
    maxUpdateBytes: 64 * 1024 * 1024,
    pingIntervalMs: 5_000,
    ...fields,
  });
}

/** A fresh key written to disk, loaded back as a signing key. */
export async function makeKey(dir: string, name: string): Promise<{ key: SigningKey; publicPath: string }> {
  const written = await writeKeyPair(join(dir, `${name}.key.json`), await generateKeyPair());
  return { key: await loadSigningKey(written.privatePath), publicPath: written.publicPath };
}

/** Resolves with the first event payload that satisfies `predicate`. */
export function nextEvent<T>(
  emitter: {
    on(name: string, listener: (value: T) => void): unknown;
    off(name: string, listener: (value: T) => void): unknown;
  },
  name: string,
  predicate: (value: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const listener = (value: T): void => {
      if (!predicate(value)) return;
      emitter.off(name, listener);
      resolve(value);
    };
    emitter.on(name, listener);
  });
}

/** The CLI entry point, for tests that run Silo as separate processes. */
export const SILO_BIN = resolve(import.meta.dirname, '../packages/cli/bin/silo.js');

/** What `silo coordinator start --ready-json` prints once it listens. */
export interface CoordinatorReady {
  grpc: string;
  http: string;
  ledgerDir: string;
  verifierKey: string;
}

/** A coordinator in its own process, so a test can SIGKILL it. */
export interface CoordinatorProcess {
  child: ChildProcess;
  ready: CoordinatorReady;
  /** Everything it wrote to stderr so far (its JSON log). */
  log(): string;
  /** Resolves with the signal (or exit code) it ended with. */
  ended: Promise<NodeJS.Signals | number | null>;
}

/** Starts `silo coordinator start --config FILE [ARGS]` and waits for its ready line. */
export async function startCoordinatorProcess(
  config: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<CoordinatorProcess> {
  const child = spawn(
    process.execPath,
    [SILO_BIN, 'coordinator', 'start', '--config', config, '--ready-json', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const ended = once(child, 'exit').then(
    ([code, signal]) => (signal ?? code) as NodeJS.Signals | number | null,
  );
  const lines = createInterface({ input: child.stdout });
  const line = await Promise.race([
    once(lines, 'line').then(([text]) => text as string),
    ended.then((how) => {
      throw new Error(`coordinator ended (${String(how)}) before it was ready:\n${stderr}`);
    }),
  ]);
  return { child, ready: JSON.parse(line) as CoordinatorReady, log: () => stderr, ended };
}

/** A deployment PKI in `dir/pki`, as `silo certs init` makes it, for a coordinator on 127.0.0.1. */
export function makePki(dir: string, workers: string[]): Promise<Pki> {
  return initPki({ dir: join(dir, 'pki'), coordinatorHosts: ['127.0.0.1'], workers });
}

/** The coordinator's `tls` configuration section for a PKI. */
export function coordinatorTls(pki: Pki): TlsFiles {
  return { ca: pki.ca, cert: pki.coordinator.cert, key: pki.coordinator.key };
}

/** The `tls` configuration section of worker `name`. */
export function workerTls(pki: Pki, name: string): TlsFiles {
  const files = pki.workers[name];
  if (files === undefined) throw new Error(`no certificate for worker ${name}`);
  return { ca: pki.ca, cert: files.cert, key: files.key };
}

/** Worker `name`'s mTLS channel credentials, built as `silo worker start` builds them. */
export function workerCredentials(pki: Pki, name: string): Promise<grpc.ChannelCredentials> {
  return federationChannelCredentials({ tls: workerTls(pki, name) }, quietLogger);
}
