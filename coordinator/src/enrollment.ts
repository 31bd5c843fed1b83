import { readFile } from 'node:fs/promises';
import { SiloError } from '@silo/common';
import { KeyRegistry, keyIdOf, type EnrolledWorker, type PublicJwk } from '@silo/signing';
import { keyEnrolledEntry, keyRevokedEntry } from './ledger-entries.js';
import type { StateStore } from './state.js';

/** The enrolled worker keys, kept in Redis so every coordinator process and restart sees the same set. */
export class Enrollment {
  #registry = new KeyRegistry();
  readonly #state: StateStore;
  /** Reloads and updates run one at a time, so a reload never replaces a newer registry. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(state: StateStore) {
    this.#state = state;
  }

  get registry(): KeyRegistry {
    return this.#registry;
  }

  /** Re-reads the stored registry, e.g. after another coordinator process enrolled or revoked a key. */
  reload(): Promise<void> {
    return this.#exclusive(async () => {
      this.#registry = KeyRegistry.fromJSON(await this.#state.loadWorkers());
    });
  }

  /**
   * Applies `change` to the registry as stored now and saves it with the ledger entries it
   * returns, retrying when another process changed the registry in between.
   */
  #update<T>(change: (registry: KeyRegistry) => { result: T; entries: Uint8Array[] }): Promise<T> {
    return this.#exclusive(async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const stored = await this.#state.loadWorkersText();
        const registry = KeyRegistry.fromJSON(stored === null ? [] : (JSON.parse(stored) as unknown[]));
        const { result, entries } = change(registry);
        if (entries.length === 0 || (await this.#state.saveWorkers(registry.toJSON(), entries, stored))) {
          this.#registry = registry;
          return result;
        }
      }
      throw new SiloError('ERR_CONFLICT', 'the worker registry kept changing under this update; try again');
    });
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
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
    return this.#update((registry) => {
      const known = registry.get(keyId) !== undefined;
      const entry = registry.enroll({ publicJwk, name, org, keyId });
      return { result: entry, entries: known ? [] : [keyEnrolledEntry(entry)] };
    });
  }

  /**
   * Revokes a key: its new updates are refused from now on, while its earlier ledger entries
   * still verify because the ledger keeps the key's history. Revoking twice changes nothing.
   *
   * @throws SiloError `ERR_NOT_FOUND` for a key that was never enrolled.
   */
  async revoke(keyId: string): Promise<EnrolledWorker> {
    return this.#update((registry) => {
      const before = registry.get(keyId);
      registry.revoke(keyId);
      const after = registry.get(keyId);
      if (after?.revokedAt === undefined)
        throw new SiloError('ERR_INTERNAL', `key ${keyId} did not stay revoked`);
      return {
        result: after,
        entries: before?.revokedAt === undefined ? [keyRevokedEntry(keyId, after.revokedAt)] : [],
      };
    });
  }

  /** The key of an enrolled, unrevoked worker. */
  activeKey(keyId: string): PublicJwk | undefined {
    return this.#registry.activeKey(keyId);
  }

  list(): EnrolledWorker[] {
    return this.#registry.list();
  }
}
