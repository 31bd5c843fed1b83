import { SiloError } from '@silo/common';
import { keyIdOf, parsePublicJwk, thumbprintOf, type PublicJwk } from './jwk.js';

/** A worker key the coordinator accepts updates from (until it is revoked). */
export interface EnrolledWorker {
  /** RFC 7638 thumbprint of `publicJwk`. */
  keyId: string;
  /** Human-readable worker name, e.g. `hospital-a-gpu1`. */
  name: string;
  /** Organisation running the worker; empty when not given. */
  org: string;
  publicJwk: PublicJwk;
  /** Unix ms. */
  enrolledAt: number;
  /** Unix ms; present once revoked. */
  revokedAt?: number;
}

/** What {@link KeyRegistry.enroll} takes. */
export interface EnrollmentRequest {
  publicJwk: PublicJwk;
  name: string;
  org?: string;
  /** Must be the key's RFC 7638 thumbprint; {@link enrollmentFor} computes it. */
  keyId: string;
  /** Unix ms; defaults to the registry clock. */
  enrolledAt?: number;
}

/** Options of a {@link KeyRegistry}. */
export interface KeyRegistryOptions {
  /** Clock for default timestamps, in unix ms. Default `Date.now`. */
  now?: () => number;
}

/**
 * An {@link EnrollmentRequest} for `publicJwk`, with its key id computed.
 *
 * @throws SiloError `ERR_BAD_INPUT` when `publicJwk` is not an Ed25519 public JWK.
 */
export async function enrollmentFor(
  publicJwk: unknown,
  name: string,
  org?: string,
): Promise<EnrollmentRequest> {
  const keyId = await keyIdOf(publicJwk);
  return { publicJwk: parsePublicJwk(publicJwk), name, keyId, ...(org === undefined ? {} : { org }) };
}

const ENTRY_FIELDS = new Set(['keyId', 'name', 'org', 'publicJwk', 'enrolledAt', 'revokedAt']);

/**
 * The enrolled worker keys, in memory. Pure: the coordinator persists it with
 * {@link KeyRegistry.toJSON} / {@link KeyRegistry.fromJSON}.
 *
 * Entries handed out are frozen, so a caller cannot un-revoke a key by editing one.
 */
export class KeyRegistry {
  readonly #entries = new Map<string, EnrolledWorker>();
  readonly #now: () => number;

  constructor(options: KeyRegistryOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * Enrolls a worker key. Enrolling the same key again with the same name and org returns the
   * existing entry unchanged, so a worker may repeat its enrollment safely.
   *
   * @throws SiloError `ERR_BAD_INPUT` for a JWK that is not an Ed25519 public key (a private
   *   one included), a key id that is not the key's thumbprint, or an empty name;
   *   `ERR_CONFLICT` when the key is enrolled under another name or org; `ERR_FORBIDDEN` when
   *   the key was revoked (a revoked key stays revoked; enroll a new one).
   */
  enroll(entry: EnrollmentRequest): EnrolledWorker {
    const candidate = validateEntry({
      ...entry,
      org: entry.org ?? '',
      enrolledAt: entry.enrolledAt ?? this.#now(),
    });
    const existing = this.#entries.get(candidate.keyId);
    if (existing === undefined) {
      this.#entries.set(candidate.keyId, candidate);
      return candidate;
    }
    if (existing.revokedAt !== undefined) {
      throw new SiloError(
        'ERR_FORBIDDEN',
        `key ${candidate.keyId} was revoked; generate and enroll a new key`,
      );
    }
    if (existing.name !== candidate.name || existing.org !== candidate.org) {
      throw new SiloError(
        'ERR_CONFLICT',
        `key ${candidate.keyId} is already enrolled as '${existing.name}' (org '${existing.org}')`,
      );
    }
    return existing;
  }

  /**
   * Revokes a key: signatures by it are no longer accepted. Revoking twice keeps the first time.
   *
   * @param at - unix ms; defaults to the registry clock.
   * @throws SiloError `ERR_NOT_FOUND` for a key that was never enrolled.
   */
  revoke(keyId: string, at: number = this.#now()): void {
    const existing = this.#entries.get(keyId);
    if (existing === undefined) throw new SiloError('ERR_NOT_FOUND', `key ${keyId} is not enrolled`);
    if (existing.revokedAt !== undefined) return;
    this.#entries.set(keyId, validateEntry({ ...existing, revokedAt: at }));
  }

  /** The entry for `keyId`, revoked or not. */
  get(keyId: string): EnrolledWorker | undefined {
    return this.#entries.get(keyId);
  }

  /** The public key to verify `keyId`'s signatures with; `undefined` when unknown or revoked. */
  activeKey(keyId: string): PublicJwk | undefined {
    const entry = this.#entries.get(keyId);
    return entry === undefined || entry.revokedAt !== undefined ? undefined : entry.publicJwk;
  }

  /** Every entry, revoked ones included, in enrollment order. */
  list(): EnrolledWorker[] {
    return [...this.#entries.values()];
  }

  /** Entries as plain JSON-ready objects, for persistence. */
  toJSON(): EnrolledWorker[] {
    return this.list().map((entry) => ({ ...entry, publicJwk: { ...entry.publicJwk } }));
  }

  /**
   * Restores a registry saved with {@link KeyRegistry.toJSON}, checking every entry as
   * strictly as {@link KeyRegistry.enroll} does: the file is input like any other.
   *
   * @throws SiloError `ERR_BAD_INPUT` for a malformed entry or a repeated key id.
   */
  static fromJSON(entries: unknown, options: KeyRegistryOptions = {}): KeyRegistry {
    if (!Array.isArray(entries)) throw new SiloError('ERR_BAD_INPUT', 'key registry must be a JSON array');
    const registry = new KeyRegistry(options);
    entries.forEach((raw: unknown, index) => {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new SiloError('ERR_BAD_INPUT', `key registry entry ${index} is not an object`);
      }
      const unknownField = Object.keys(raw).find((name) => !ENTRY_FIELDS.has(name));
      if (unknownField !== undefined) {
        throw new SiloError(
          'ERR_BAD_INPUT',
          `key registry entry ${index} has unknown field '${unknownField}'`,
        );
      }
      const entry = validateEntry(raw as EnrolledWorker);
      if (registry.#entries.has(entry.keyId)) {
        throw new SiloError('ERR_BAD_INPUT', `key registry lists key ${entry.keyId} twice`);
      }
      registry.#entries.set(entry.keyId, entry);
    });
    return registry;
  }
}

/** Checks one entry (field types, thumbprint) and returns a frozen copy with only known fields. */
function validateEntry(entry: EnrolledWorker): EnrolledWorker {
  const publicJwk = Object.freeze(parsePublicJwk(entry.publicJwk));
  const { keyId, name, org, enrolledAt, revokedAt } = entry;
  if (typeof keyId !== 'string' || keyId !== thumbprintOf(publicJwk)) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `key id ${String(keyId)} is not the thumbprint of its key; use keyIdOf()`,
    );
  }
  if (typeof name !== 'string' || name.trim() === '') {
    throw new SiloError('ERR_BAD_INPUT', `worker name for key ${keyId} must be a non-empty string`);
  }
  if (typeof org !== 'string') throw new SiloError('ERR_BAD_INPUT', `org for key ${keyId} must be a string`);
  assertTimestamp(enrolledAt, 'enrolledAt', keyId);
  if (revokedAt !== undefined) assertTimestamp(revokedAt, 'revokedAt', keyId);
  return Object.freeze({
    keyId,
    name,
    org,
    publicJwk,
    enrolledAt,
    ...(revokedAt === undefined ? {} : { revokedAt }),
  });
}

function assertTimestamp(value: unknown, field: string, keyId: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `${field} for key ${keyId} must be a unix time in ms, got ${String(value)}`,
    );
  }
}
