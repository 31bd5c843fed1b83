import { open, unlink, type FileHandle } from 'node:fs/promises';
import { SiloError } from '@silo/common';
import { parsePrivateJwk, parsePublicJwk, thumbprintOf, type PublicJwk } from './jwk.js';
import { signingKeyFromJwk, type KeyPair, type SigningKey } from './keys.js';

const PRIVATE_KEY_MODE = 0o600;
const PUBLIC_KEY_MODE = 0o644;
/** A JWK is a few hundred bytes; a larger file is not one, and is not read into memory. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * Where the public key of the private key file `path` goes: `name.json` → `name.pub.json`,
 * any other name → `name.pub.json` appended (`key` → `key.pub.json`).
 */
export function publicKeyPathFor(path: string): string {
  return path.endsWith('.json') ? `${path.slice(0, -'.json'.length)}.pub.json` : `${path}.pub.json`;
}

/**
 * Writes a key pair: the private JWK at `path` with mode 0600, the public JWK beside it at
 * {@link publicKeyPathFor}(path) with mode 0644. Existing files are never overwritten; if the
 * public file cannot be created the private one is removed again.
 *
 * @throws SiloError `ERR_CONFLICT` when either file exists; `ERR_BAD_INPUT` for an
 *   inconsistent pair; `ERR_NOT_FOUND` when the directory does not exist.
 */
export async function writeKeyPair(
  path: string,
  pair: KeyPair,
): Promise<{ privatePath: string; publicPath: string }> {
  const privateJwk = parsePrivateJwk(pair.privateJwk);
  const publicJwk = parsePublicJwk(pair.publicJwk);
  if (privateJwk.x !== publicJwk.x || thumbprintOf(publicJwk) !== pair.keyId) {
    throw new SiloError('ERR_BAD_INPUT', 'key pair is inconsistent: keys or key id do not match');
  }
  const publicPath = publicKeyPathFor(path);
  await writeNewFile(path, privateJwk, PRIVATE_KEY_MODE);
  try {
    await writeNewFile(publicPath, publicJwk, PUBLIC_KEY_MODE);
  } catch (err) {
    await unlink(path);
    throw err;
  }
  return { privatePath: path, publicPath };
}

/**
 * Loads the private JWK at `path` as a signing key.
 *
 * The file's permissions are checked on the open handle (no race with a rename) and a key
 * that group or others could read is refused: it may already have leaked, and the owner
 * should know before it signs anything. Not checked on Windows, which has no mode bits.
 *
 * @throws SiloError `ERR_FORBIDDEN` for a group/other-accessible file; `ERR_NOT_FOUND` when it
 *   does not exist; `ERR_BAD_INPUT` when it is not an Ed25519 private JWK.
 */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  return withOpenFile(path, async (file) => {
    const stats = await file.stat();
    if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      throw new SiloError(
        'ERR_FORBIDDEN',
        `private key ${path} is accessible by group or others (mode ${mode}); run: chmod 600 ${path}`,
      );
    }
    return signingKeyFromJwk(await readJson(file, path, stats));
  });
}

/**
 * Loads a public JWK from `path` (for example one written by {@link writeKeyPair}).
 *
 * @throws SiloError `ERR_NOT_FOUND` when it does not exist; `ERR_BAD_INPUT` when it is not an
 *   Ed25519 public JWK, including when it is a private key.
 */
export async function loadPublicJwk(path: string): Promise<PublicJwk> {
  return withOpenFile(path, async (file) => parsePublicJwk(await readJson(file, path, await file.stat())));
}

async function writeNewFile(path: string, jwk: object, mode: number): Promise<void> {
  let file: FileHandle;
  try {
    file = await open(path, 'wx', mode);
  } catch (err) {
    throw fileError(err, path);
  }
  let complete = false;
  try {
    // The creation mode is filtered by the umask; chmod makes the mode exactly what we asked.
    await file.chmod(mode);
    await file.writeFile(`${JSON.stringify(jwk, null, 2)}\n`, 'utf8');
    await file.sync();
    complete = true;
  } finally {
    await file.close();
    // A half-written key file would later fail to load with a confusing message.
    if (!complete) await unlink(path);
  }
}

async function withOpenFile<T>(path: string, use: (file: FileHandle) => Promise<T>): Promise<T> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw fileError(err, path);
  }
  try {
    return await use(file);
  } finally {
    await file.close();
  }
}

async function readJson(
  file: FileHandle,
  path: string,
  stats: { size: number; isFile(): boolean },
): Promise<unknown> {
  if (!stats.isFile()) throw new SiloError('ERR_BAD_INPUT', `${path} is not a regular file`);
  if (stats.size > MAX_KEY_FILE_BYTES)
    throw new SiloError('ERR_BAD_INPUT', `${path} is too large to be a JWK`);
  const text = await file.readFile('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new SiloError('ERR_BAD_INPUT', `${path} is not JSON`, { cause });
  }
}

function fileError(err: unknown, path: string): SiloError {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'EEXIST':
      return new SiloError('ERR_CONFLICT', `${path} already exists; refusing to overwrite a key file`, {
        cause: err,
      });
    case 'ENOENT':
      return new SiloError('ERR_NOT_FOUND', `${path} does not exist (or its directory does not)`, {
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new SiloError('ERR_FORBIDDEN', `no permission to access ${path}`, { cause: err });
    default:
      return new SiloError('ERR_INTERNAL', `cannot access ${path}: ${String(err)}`, { cause: err });
  }
}
