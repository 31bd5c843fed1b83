import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SiloError } from '@silo/common';
import { ed25519PublicKeyRaw, formatVerifierKey, type NoteSigner } from '@silo/ledger';
import { generateKeyPair, loadSigningKey, writeKeyPair, type SigningKey } from '@silo/signing';

/** The coordinator's one Ed25519 key, in the two forms it signs with. */
export interface CoordinatorKey {
  /** Signs JWS objects (aggregate records); its key id is the public JWK's thumbprint. */
  readonly signing: SigningKey;
  /** Signs ledger checkpoints as C2SP signed notes under the ledger's name. */
  readonly note: NoteSigner;
  /** The verifier key auditors pin: `name+hash+key`, the form Go's checksum database uses. */
  readonly verifierKey: string;
}

/**
 * Loads the coordinator's private JWK from `path`, creating it (mode 0600, public half beside it)
 * when it does not exist yet, so a first start needs no extra step. The file's mode is checked on
 * every load: a key that group or others can read is refused.
 */
export async function loadCoordinatorKey(path: string, ledgerName: string): Promise<CoordinatorKey> {
  let signing: SigningKey;
  try {
    signing = await loadSigningKey(path);
  } catch (err) {
    if (!(err instanceof SiloError && err.code === 'ERR_NOT_FOUND')) throw err;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeKeyPair(path, await generateKeyPair());
    signing = await loadSigningKey(path);
  }
  // The JWS key is non-extractable; the note signer needs a KeyObject of the same key.
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: JSON.parse(await readFile(path, 'utf8')) as never, format: 'jwk' });
  } catch (err) {
    throw new SiloError('ERR_BAD_CONFIG', `keyFile: cannot read ${path} as an Ed25519 private JWK`, {
      cause: err,
    });
  }
  const raw = ed25519PublicKeyRaw(createPublicKey(privateKey));
  if (Buffer.from(raw).toString('base64url') !== signing.publicJwk.x) {
    throw new SiloError('ERR_INTERNAL', `keyFile ${path} changed while it was being loaded`);
  }
  return {
    signing,
    note: { name: ledgerName, privateKey },
    verifierKey: formatVerifierKey(ledgerName, raw),
  };
}
