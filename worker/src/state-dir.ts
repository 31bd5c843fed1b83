import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SiloError } from '@silo/common';

/** Name of the egress log inside a worker's state directory. */
export const EGRESS_LOG_FILE = 'egress.log';

/** Path of the egress log of the state directory `stateDir`. */
export function egressLogPath(stateDir: string): string {
  return join(stateDir, EGRESS_LOG_FILE);
}

/**
 * Creates the worker's state directory, and any missing parents, with mode 0700: it holds the
 * owner's records of what left their premises. An existing directory is used as it is (it may be
 * one the owner chose on purpose, such as a mounted volume), so its mode is not changed.
 *
 * @throws SiloError ERR_BAD_CONFIG when the path exists and is not a directory or cannot be created.
 */
export async function ensureStateDir(stateDir: string): Promise<void> {
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const info = await stat(stateDir);
    if (!info.isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `cannot use ${stateDir} as the worker state directory: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
