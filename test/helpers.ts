import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { deleteKeysWithPrefix } from '../packages/cli/src/redis.js';
import { generateKeyPair, loadSigningKey, writeKeyPair, type SigningKey } from '@silo/signing';

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
