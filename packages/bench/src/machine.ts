import { readFile, stat } from 'node:fs/promises';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';

/** What the numbers of a run depend on besides the code. */
export interface MachineFacts {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemoryBytes: number;
  readonly os: { readonly platform: string; readonly release: string; readonly arch: string };
  readonly node: string;
  /** The tfjs backend a section ran on; `null` when no section uses tfjs. */
  readonly tfjsBackend: string | null;
  /** The checked-out commit, when it can be read without running git. */
  readonly gitCommit?: string;
}

/** Facts about this machine and process; `repoDir` is searched upwards for `.git`. */
export async function machineFacts(repoDir: string, tfjsBackend: string | undefined): Promise<MachineFacts> {
  const cpuList = cpus();
  const gitCommit = await readGitCommit(repoDir);
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cpuCount: cpuList.length,
    totalMemoryBytes: totalmem(),
    os: { platform: platform(), release: release(), arch: arch() },
    node: process.version,
    tfjsBackend: tfjsBackend ?? null,
    ...(gitCommit === undefined ? {} : { gitCommit }),
  };
}

const SHA1_HEX = /^[0-9a-f]{40}$/;

/**
 * The commit `HEAD` points at, read from the files of the nearest `.git` directory at or above
 * `fromDir` (loose ref, then `packed-refs`). Spawning git is avoided: it may be absent, and a
 * benchmark should not depend on it. Resolves `undefined` for anything unusual (a worktree's
 * `.git` file, a missing ref): the commit is a nicety of the report, not a requirement.
 */
export async function readGitCommit(fromDir: string): Promise<string | undefined> {
  const gitDir = await findGitDir(fromDir);
  if (gitDir === undefined) return undefined;
  const head = (await readText(join(gitDir, 'HEAD')))?.trim();
  if (head === undefined) return undefined;
  if (SHA1_HEX.test(head)) return head; // detached HEAD
  const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
  if (ref === undefined) return undefined;
  const loose = (await readText(join(gitDir, ref)))?.trim();
  if (loose !== undefined && SHA1_HEX.test(loose)) return loose;
  const packed = await readText(join(gitDir, 'packed-refs'));
  const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
  const sha = line?.slice(0, 40);
  return sha !== undefined && SHA1_HEX.test(sha) ? sha : undefined;
}

async function findGitDir(fromDir: string): Promise<string | undefined> {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, '.git');
    const isDir = await stat(candidate).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (isDir) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}
