import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readGitCommit } from './machine.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('readGitCommit', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'silo-bench-git-'));
    await mkdir(join(root, '.git', 'refs', 'heads'), { recursive: true });
    await mkdir(join(root, 'packages', 'bench'), { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('follows HEAD to a loose ref, from a subdirectory', async () => {
    await writeFile(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(root, '.git', 'refs', 'heads', 'main'), `${A}\n`);
    expect(await readGitCommit(join(root, 'packages', 'bench'))).toBe(A);
  });

  it('falls back to packed-refs, and reads a detached HEAD', async () => {
    await writeFile(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(
      join(root, '.git', 'packed-refs'),
      `# pack-refs\n${B} refs/heads/other\n${A} refs/heads/main\n`,
    );
    expect(await readGitCommit(root)).toBe(A);
    await writeFile(join(root, '.git', 'HEAD'), `${B}\n`);
    expect(await readGitCommit(root)).toBe(B);
  });

  it('is undefined when the ref cannot be found', async () => {
    await writeFile(join(root, '.git', 'HEAD'), 'ref: refs/heads/gone\n');
    expect(await readGitCommit(root)).toBeUndefined();
  });
});
