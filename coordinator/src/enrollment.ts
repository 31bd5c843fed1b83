import { readFile } from 'node:fs/promises';
import { SiloError } from '@silo/common';
import { KeyRegistry, keyIdOf, type EnrolledWorker, type PublicJwk } from '@silo/signing';
import { keyEnrolledEntry, keyRevokedEntry } from './ledger-entries.js';
import type { StateStore } from './state.js';

/** The enrolled worker keys, kept in Redis so every coordinator process and restart sees the same set. */
export class Enrollment {
  #registry = new KeyRegistry();
  readonly #state: StateStore;

  constructor(state: StateStore) {
    this.#state = state;
  }

  get registry(): KeyRegistry {
    return this.#registry;
  }

  /** Re-reads the stored registry, e.g. after another coordinator process enrolled or revoked a key. */
  async reload(): Promise<void> {
    this.#registry = KeyRegistry.fromJSON(await this.#state.loadWorkers());
  }

  /** Loads the stored registry, then enrolls the workers named in the configuration. */
  async load(configured: readonly { name: string; org: string; publicKeyFile: string }[]): Promise<void> {
    await this.reload();
    for (const worker of configured) {
      let jwk: PublicJwk;
      try {
        jwk = JSON.parse(await readFile(worker.publicKeyFile, 'utf8')) as PublicJwk;
      } catch (err) {
        throw new SiloError('ERR_BAD_CONFIG', `workers: cannot read public key ${worker.publicKeyFile}`, {
          cause: err,
        });
      }
      await this.enroll(jwk, worker.name, worker.org);
    }
  }

  /** Enrolls a public key (idempotent) and persists the registry; a new key is logged in the ledger. */
  async enroll(publicJwk: PublicJwk, name: string, org: string): Promise<EnrolledWorker> {
    const keyId = await keyIdOf(publicJwk);
    const known = this.#registry.get(keyId) !== undefined;
    const entry = this.#registry.enroll({ publicJwk, name, org, keyId });
    if (!known) await this.#state.saveWorkers(this.#registry.toJSON(), [keyEnrolledEntry(entry)]);
    return entry;
  }

  /**
   * Revokes a key: its new updates are refused from now on, while its earlier ledger entries
   * still verify because the ledger keeps the key's history. Revoking twice changes nothing.
   *
   * @throws SiloError `ERR_NOT_FOUND` for a key that was never enrolled.
   */
  async revoke(keyId: string): Promise<EnrolledWorker> {
    const before = this.#registry.get(keyId);
    this.#registry.revoke(keyId);
    const after = this.#registry.get(keyId);
    if (after === undefined || after.revokedAt === undefined) {
      throw new SiloError('ERR_INTERNAL', `key ${keyId} did not stay revoked`);
    }
    if (before?.revokedAt === undefined) {
      await this.#state.saveWorkers(this.#registry.toJSON(), [keyRevokedEntry(keyId, after.revokedAt)]);
    }
    return after;
  }

  /** The key of an enrolled, unrevoked worker. */
  activeKey(keyId: string): PublicJwk | undefined {
    return this.#registry.activeKey(keyId);
  }

  list(): EnrolledWorker[] {
    return this.#registry.list();
  }
}
