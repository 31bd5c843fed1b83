import { SiloError } from '@silo/common';
import { verifySigned, type FlattenedJws } from './jws.js';
import type { PublicJwk } from './jwk.js';
import type { SigningKey } from './keys.js';
import type { EnrolledWorker } from './registry.js';

/**
 * What a worker signs when it submits an update: it binds the update bytes (by digest) to the
 * run, round, base model, worker key and a coordinator-issued nonce, so a captured update
 * cannot be replayed into another round or attributed to another worker.
 */
export interface UpdateManifest {
  v: 1;
  runId: string;
  /** Round number, from 0. */
  round: number;
  /** Signer's key id; must equal the JWS header `kid`. */
  keyId: string;
  /** `digestWeights` of the global weights the update was trained from. */
  baseDigest: string;
  /** SHA-256 (lowercase hex) of the update's canonical bytes. */
  updateDigest: string;
  /** Length of the update's canonical bytes. */
  updateBytes: number;
  /** Examples trained on, the update's weight in FedAvg; at least 1. */
  numExamples: number;
  /** Local metrics, e.g. `{ loss: 0.31 }`. */
  metrics: Record<string, number>;
  /** The nonce the coordinator issued for this worker and round. */
  nonce: string;
  /** Unix ms at signing. */
  issuedAt: number;
  /**
   * How the update's bytes encode its values (`float16`, `int8`); absent for the canonical
   * float32 bytes; `masked` for a secure-aggregation input (little-endian uint32 words: the
   * quantized update and its weight, masked). The digest and length are of the encoded bytes.
   */
  encoding?: 'float16' | 'int8' | 'masked';
}

/** JWS `typ` of an update manifest, so a manifest cannot be passed off as another signed object. */
export const UPDATE_MANIFEST_TYP = 'silo-update+jws';

/** The registry methods manifest verification needs (a `KeyRegistry` has them). */
export type ManifestKeySource = {
  get(keyId: string): EnrolledWorker | undefined;
  activeKey(keyId: string): PublicJwk | undefined;
};

/**
 * Signs an update manifest with `key`; `v` and `keyId` are filled in. The manifest is checked
 * with the same rules verifiers apply, so a worker learns of a bad field before sending it.
 *
 * @throws SiloError `ERR_BAD_MANIFEST` naming the first bad field.
 */
export async function signManifest(
  key: SigningKey,
  manifest: Omit<UpdateManifest, 'v' | 'keyId'>,
): Promise<FlattenedJws> {
  const complete = parseUpdateManifest({ v: 1, ...manifest, keyId: key.keyId });
  return key.sign(UPDATE_MANIFEST_TYP, complete);
}

/**
 * Verifies a signed manifest against the registry and returns it, typed and validated.
 *
 * @throws SiloError `ERR_UNKNOWN_KEY` when the header `kid` is not enrolled or is revoked;
 *   `ERR_BAD_SIGNATURE` for a malformed or tampered JWS or a refused `alg`;
 *   `ERR_BAD_MANIFEST` for another `typ`, a payload that breaks the manifest rules, or a
 *   payload `keyId` other than the header `kid`. See `verifySigned` for the order of checks.
 */
export async function verifyManifest(
  jws: FlattenedJws,
  registry: ManifestKeySource,
): Promise<UpdateManifest> {
  const { keyId, payload } = await verifySigned(jws, UPDATE_MANIFEST_TYP, (kid) =>
    activeKeyOrThrow(registry, kid),
  );
  const manifest = parseUpdateManifest(payload);
  if (manifest.keyId !== keyId) {
    throw new SiloError(
      'ERR_BAD_MANIFEST',
      `manifest keyId ${manifest.keyId} differs from the signing key ${keyId}`,
    );
  }
  return manifest;
}

function activeKeyOrThrow(registry: ManifestKeySource, kid: string): PublicJwk {
  const key = registry.activeKey(kid);
  if (key !== undefined) return key;
  const revokedAt = registry.get(kid)?.revokedAt;
  throw new SiloError(
    'ERR_UNKNOWN_KEY',
    revokedAt === undefined
      ? `key ${kid} is not enrolled`
      : `key ${kid} was revoked at ${new Date(revokedAt).toISOString()}`,
  );
}

type FieldCheck = (value: unknown) => string | undefined;

const SHA256_HEX = /^[0-9a-f]{64}$/;

const nonEmptyString: FieldCheck = (v) =>
  typeof v === 'string' && v !== '' ? undefined : 'a non-empty string';
const nonNegativeInteger: FieldCheck = (v) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? undefined : 'a non-negative integer';
const positiveInteger: FieldCheck = (v) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? undefined : 'a positive integer';
const sha256Hex: FieldCheck = (v) =>
  typeof v === 'string' && SHA256_HEX.test(v) ? undefined : '64 lowercase hex characters';
const metrics: FieldCheck = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'an object of numbers';
  const bad = Object.entries(v).find(
    ([name, value]) => name === '' || typeof value !== 'number' || !Number.isFinite(value),
  );
  return bad === undefined ? undefined : `an object of finite numbers (entry '${bad[0]}' is not)`;
};

/** Every manifest field in its canonical order, with its rule. */
const MANIFEST_FIELDS: ReadonlyArray<[keyof UpdateManifest, FieldCheck]> = [
  ['v', (v) => (v === 1 ? undefined : '1')],
  ['runId', nonEmptyString],
  ['round', nonNegativeInteger],
  ['keyId', nonEmptyString],
  ['baseDigest', sha256Hex],
  ['updateDigest', sha256Hex],
  ['updateBytes', nonNegativeInteger],
  ['numExamples', positiveInteger],
  ['metrics', metrics],
  ['nonce', nonEmptyString],
  ['issuedAt', nonNegativeInteger],
];
const ENCODING_CHECK: FieldCheck = (v) =>
  v === 'float16' || v === 'int8' || v === 'masked' ? undefined : "'float16', 'int8' or 'masked'";
const MANIFEST_FIELD_NAMES = new Set<string>([...MANIFEST_FIELDS.map(([name]) => name), 'encoding']);

/**
 * Parses an untrusted value into an {@link UpdateManifest}: every field present with the right
 * type, integers where integers, digests as 64 lowercase hex characters, no unknown fields.
 * Returns a fresh object with fields in canonical order.
 *
 * @throws SiloError `ERR_BAD_MANIFEST` naming the first bad field.
 */
export function parseUpdateManifest(value: unknown): UpdateManifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SiloError('ERR_BAD_MANIFEST', 'manifest must be a JSON object');
  }
  const fields = value as Record<string, unknown>;
  const unknownField = Object.keys(fields).find((name) => !MANIFEST_FIELD_NAMES.has(name));
  if (unknownField !== undefined)
    throw new SiloError('ERR_BAD_MANIFEST', `manifest has unknown field '${unknownField}'`);
  for (const [name, check] of MANIFEST_FIELDS) {
    if (!(name in fields)) throw new SiloError('ERR_BAD_MANIFEST', `manifest field '${name}' is missing`);
    const expected = check(fields[name]);
    if (expected !== undefined) {
      throw new SiloError(
        'ERR_BAD_MANIFEST',
        `manifest field '${name}' must be ${expected}, got ${preview(fields[name])}`,
      );
    }
  }
  if ('encoding' in fields) {
    const expected = ENCODING_CHECK(fields['encoding']);
    if (expected !== undefined)
      throw new SiloError(
        'ERR_BAD_MANIFEST',
        `manifest field 'encoding' must be ${expected}, got ${preview(fields['encoding'])}`,
      );
  }
  const m = fields as unknown as UpdateManifest;
  return {
    v: 1,
    runId: m.runId,
    round: m.round,
    keyId: m.keyId,
    baseDigest: m.baseDigest,
    updateDigest: m.updateDigest,
    updateBytes: m.updateBytes,
    numExamples: m.numExamples,
    // fromEntries defines properties, so a '__proto__' metric stays a plain entry.
    metrics: Object.fromEntries(Object.entries(m.metrics)),
    nonce: m.nonce,
    issuedAt: m.issuedAt,
    ...(m.encoding === undefined ? {} : { encoding: m.encoding }),
  };
}

/** A short rendering of an untrusted value for an error message, so a huge field cannot flood logs. */
function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
