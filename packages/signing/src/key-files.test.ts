import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { generateKeyPair } from './keys.js';
import { loadPublicJwk, loadSigningKey, publicKeyPathFor, writeKeyPair } from './key-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'silo-signing-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('publicKeyPathFor', () => {
  it('puts .pub before .json, or appends .pub.json', () => {
    expect(publicKeyPathFor('/keys/worker.json')).toBe('/keys/worker.pub.json');
    expect(publicKeyPathFor('/keys/worker')).toBe('/keys/worker.pub.json');
  });
});

describe('writeKeyPair and loading', () => {
  it('writes the private key 0600 and the public key 0644, and loads them back', async () => {
    const pair = await generateKeyPair();
    const { privatePath, publicPath } = await writeKeyPair(join(dir, 'worker.json'), pair);
    expect(privatePath).toBe(join(dir, 'worker.json'));
    expect(publicPath).toBe(join(dir, 'worker.pub.json'));
    expect(await modeOf(privatePath)).toBe(0o600);
    expect(await modeOf(publicPath)).toBe(0o644);
    expect(await readFile(publicPath, 'utf8')).not.toContain('"d"');

    const key = await loadSigningKey(privatePath);
    expect(key.keyId).toBe(pair.keyId);
    await expect(loadPublicJwk(publicPath)).resolves.toEqual(pair.publicJwk);
  });

  it('refuses to overwrite an existing private key', async () => {
    const path = join(dir, 'worker.json');
    const first = await generateKeyPair();
    await writeKeyPair(path, first);
    await expect(writeKeyPair(path, await generateKeyPair())).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    expect((await loadSigningKey(path)).keyId).toBe(first.keyId);
  });

  it('refuses to overwrite an existing public key and leaves no private key behind', async () => {
    const path = join(dir, 'worker.json');
    await writeFile(publicKeyPathFor(path), 'keep me');
    await expect(writeKeyPair(path, await generateKeyPair())).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(publicKeyPathFor(path), 'utf8')).toBe('keep me');
  });

  it('refuses an inconsistent pair', async () => {
    const [a, b] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    await expect(writeKeyPair(join(dir, 'k.json'), { ...a, publicJwk: b.publicJwk })).rejects.toMatchObject({
      code: 'ERR_BAD_INPUT',
    });
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses to load a private key with mode %o', async (mode) => {
    const { privatePath } = await writeKeyPair(join(dir, 'worker.json'), await generateKeyPair());
    await chmod(privatePath, mode);
    await expect(loadSigningKey(privatePath)).rejects.toMatchObject({
      code: 'ERR_FORBIDDEN',
      message: expect.stringContaining(`chmod 600 ${privatePath}`) as unknown,
    });
  });

  it('reports a missing file as ERR_NOT_FOUND', async () => {
    await expect(loadSigningKey(join(dir, 'absent.json'))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(loadPublicJwk(join(dir, 'absent.json'))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it.each([
    ['not JSON', 'not json'],
    ['a P-256 key', JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'AA' })],
    [
      'a public key',
      JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }),
    ],
  ])('refuses a private key file holding %s', async (_label, content) => {
    const path = join(dir, 'bad.json');
    await writeFile(path, content, { mode: 0o600 });
    await expect(loadSigningKey(path)).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
  });

  it('refuses to load a private key as a public key', async () => {
    const { privatePath } = await writeKeyPair(join(dir, 'worker.json'), await generateKeyPair());
    await expect(loadPublicJwk(privatePath)).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
  });
});
