import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '@silo/tensors';
import { DiskBlobStore } from './blob-store.js';

describe('DiskBlobStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'silo-blobs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores bytes under their SHA-256 and reads them back', async () => {
    const store = new DiskBlobStore(dir);
    const bytes = new Uint8Array([1, 2, 3, 250]);
    const digest = await store.put(bytes);
    expect(digest).toBe(sha256Hex(bytes));
    expect(await store.get(digest)).toEqual(bytes);
    expect(await store.put(bytes)).toBe(digest);
    expect(await readdir(dir)).toEqual([digest]);
  });

  it('refuses a blob altered on disk', async () => {
    const store = new DiskBlobStore(dir);
    const digest = await store.put(new Uint8Array([9, 9, 9]));
    await writeFile(join(dir, digest), new Uint8Array([9, 9, 8]));
    await expect(store.get(digest)).rejects.toMatchObject({ code: 'ERR_DIGEST_MISMATCH' });
  });

  it('answers a missing blob with ERR_NOT_FOUND and a malformed name with ERR_BAD_INPUT', async () => {
    const store = new DiskBlobStore(dir);
    await expect(store.get('0'.repeat(64))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(store.get('../etc/passwd')).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
  });
});
