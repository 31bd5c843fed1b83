import { open, readFile, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SiloError } from '@silo/common';

/** Locks this process holds, so a second open in the same process is refused too. */
const held = new Set<string>();

/** A held lock file; {@link FileLock.release} removes it. */
export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function create(path: string): Promise<boolean> {
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(`${process.pid}\n`);
    } finally {
      await file.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Takes the lock file `path` (holding this process's pid), so two processes never append to one
 * log. A lock left by a process that no longer runs (a crash; or this pid, reused after a
 * container restart, when this process does not hold it) is taken over.
 *
 * @throws SiloError ERR_CONFLICT when a running process holds the lock.
 */
export async function acquireLock(path: string, what: string): Promise<FileLock> {
  const key = resolve(path);
  if (held.has(key)) throw new SiloError('ERR_CONFLICT', `${what} is already open in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await create(path)) {
      held.add(key);
      return {
        path,
        release: async () => {
          held.delete(key);
          await unlink(path).catch(() => undefined);
        },
      };
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new SiloError(
        'ERR_CONFLICT',
        `${what} is in use by process ${holder} (lock ${path}); give each worker its own stateDir`,
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw new SiloError('ERR_CONFLICT', `${what}: another process took the lock ${path} first`);
}
