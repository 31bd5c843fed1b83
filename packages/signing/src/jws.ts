import { FlattenedSign, flattenedVerify, importJWK, type CryptoKey } from 'jose';
import { SiloError } from '@silo/common';
import { decodeBase64url } from './base64url.js';
import { parsePublicJwk, thumbprintOf, type PublicJwk } from './jwk.js';

/** A JWS in flattened JSON serialization (RFC 7515 §7.2.2), with no unprotected header. */
export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

/** What a verified JWS yields: who signed it and the parsed (but not yet validated) payload. */
export interface VerifiedJws {
  keyId: string;
  payload: unknown;
}

/** Looks up the public key for a key id; `undefined` when the key is unknown or not allowed. */
export type KeyResolver = (kid: string) => PublicJwk | undefined | Promise<PublicJwk | undefined>;

/** The `alg` Silo writes: RFC 8037 `EdDSA`, which every JOSE library understands. */
export const SIGNING_ALGORITHM = 'EdDSA';

/**
 * The only `alg` values accepted. `Ed25519` is the fully specified name from RFC 9864, which
 * jose 6 supports as a synonym; both verify only with an Ed25519 key. Everything else,
 * including `none` and HMAC (the classic "public key as HMAC secret" confusion), is refused.
 */
export const ACCEPTED_ALGORITHMS: readonly string[] = ['EdDSA', 'Ed25519'];

/**
 * Protected header members Silo writes, all required. Anything else is refused rather than
 * ignored: `crit`, `b64: false`, `jwk`, `jku` and friends change how a JWS must be checked.
 */
const HEADER_MEMBERS = ['alg', 'kid', 'typ'] as const;

interface ProtectedHeader {
  alg: string;
  kid: string;
  typ: string;
}

/**
 * Signs `payload` (serialized with `JSON.stringify`) with protected header `{ alg, kid, typ }`.
 * Internal to the package: callers sign through a `SigningKey`.
 */
export async function signJws(
  privateKey: CryptoKey,
  kid: string,
  typ: string,
  payload: object,
): Promise<FlattenedJws> {
  if (typeof typ !== 'string' || typ === '')
    throw new SiloError('ERR_BAD_INPUT', 'typ must be a non-empty string');
  let json: string;
  try {
    json = JSON.stringify(payload);
  } catch (cause) {
    throw new SiloError('ERR_BAD_INPUT', 'payload cannot be serialized as JSON', { cause });
  }
  const header: ProtectedHeader = { alg: SIGNING_ALGORITHM, kid, typ };
  const jws = await new FlattenedSign(new TextEncoder().encode(json))
    .setProtectedHeader({ ...header })
    .sign(privateKey);
  if (jws.protected === undefined)
    throw new SiloError('ERR_INTERNAL', 'jose produced a JWS without a protected header');
  return { protected: jws.protected, payload: jws.payload, signature: jws.signature };
}

/**
 * Verifies a JWS signed by a `SigningKey`, failing closed at every step, in this order:
 *
 * 1. envelope and protected header are well formed, use only `alg`, `kid`, `typ`, and `alg`
 *    is accepted, otherwise `ERR_BAD_SIGNATURE`;
 * 2. `resolveKey(kid)` returns a key whose thumbprint is `kid`, otherwise `ERR_UNKNOWN_KEY`;
 * 3. the signature verifies, otherwise `ERR_BAD_SIGNATURE`;
 * 4. `typ` is the expected one, otherwise `ERR_BAD_MANIFEST` (a genuine JWS of another kind);
 * 5. the payload is UTF-8 JSON, otherwise `ERR_BAD_MANIFEST`.
 *
 * The signature is checked before `typ` and payload, so any tampering reports
 * `ERR_BAD_SIGNATURE` (or `ERR_UNKNOWN_KEY` when it hits the kid) and the later codes mean the
 * signer itself sent something wrong.
 */
export async function verifySigned(
  jws: FlattenedJws,
  typ: string,
  resolveKey: KeyResolver,
): Promise<VerifiedJws> {
  const envelope = parseEnvelope(jws);
  const header = parseProtectedHeader(envelope.protected);
  const key = await verificationKey(header, resolveKey);
  try {
    await flattenedVerify(envelope, key, { algorithms: [...ACCEPTED_ALGORITHMS] });
  } catch (cause) {
    throw new SiloError('ERR_BAD_SIGNATURE', `signature by key ${header.kid} does not verify`, { cause });
  }
  if (header.typ !== typ) {
    throw new SiloError('ERR_BAD_MANIFEST', `expected a JWS of typ '${typ}', got '${header.typ}'`);
  }
  return { keyId: header.kid, payload: parseJson(envelope.payload, 'payload', 'ERR_BAD_MANIFEST') };
}

function parseEnvelope(jws: unknown): FlattenedJws {
  if (typeof jws !== 'object' || jws === null || Array.isArray(jws)) {
    throw new SiloError('ERR_BAD_SIGNATURE', 'JWS must be an object with protected, payload and signature');
  }
  const members = jws as Record<string, unknown>;
  for (const name of Object.keys(members)) {
    if (name !== 'protected' && name !== 'payload' && name !== 'signature') {
      throw new SiloError(
        'ERR_BAD_SIGNATURE',
        `JWS has unexpected member '${name}'; only protected headers are accepted`,
      );
    }
  }
  const { protected: protectedHeader, payload, signature } = members;
  if (typeof protectedHeader !== 'string' || typeof payload !== 'string' || typeof signature !== 'string') {
    throw new SiloError('ERR_BAD_SIGNATURE', 'JWS protected, payload and signature must all be strings');
  }
  // Every part must be canonical base64url; jose alone would accept variants of the signature.
  decodeBase64url(payload, 'JWS payload', 'ERR_BAD_SIGNATURE');
  decodeBase64url(signature, 'JWS signature', 'ERR_BAD_SIGNATURE');
  return { protected: protectedHeader, payload, signature };
}

function parseProtectedHeader(encoded: string): ProtectedHeader {
  const header = parseJson(encoded, 'protected header', 'ERR_BAD_SIGNATURE');
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SiloError('ERR_BAD_SIGNATURE', 'JWS protected header must be a JSON object');
  }
  const members = header as Record<string, unknown>;
  for (const name of Object.keys(members)) {
    if (!(HEADER_MEMBERS as readonly string[]).includes(name)) {
      throw new SiloError('ERR_BAD_SIGNATURE', `JWS protected header has unsupported member '${name}'`);
    }
  }
  const { alg, kid, typ } = members;
  if (typeof alg !== 'string' || !ACCEPTED_ALGORITHMS.includes(alg)) {
    throw new SiloError(
      'ERR_BAD_SIGNATURE',
      `JWS alg ${JSON.stringify(alg)} is not accepted; expected ${SIGNING_ALGORITHM}`,
    );
  }
  if (typeof kid !== 'string' || kid === '')
    throw new SiloError('ERR_BAD_SIGNATURE', 'JWS protected header has no kid');
  if (typeof typ !== 'string' || typ === '')
    throw new SiloError('ERR_BAD_SIGNATURE', 'JWS protected header has no typ');
  return { alg, kid, typ };
}

/**
 * Imported verification keys by alg, kid and public key. A coordinator verifies every worker's
 * signature every round; importing the same JWK each time costs a thumbprint and a WebCrypto
 * import per message. An entry is made only after its kid was checked against the key's
 * thumbprint, and the resolver is still asked every time, so a revoked key fails as before.
 */
const importedKeys = new Map<string, CryptoKey>();
/** Entries kept at most; the cache starts over when full (a federation has far fewer keys). */
const IMPORTED_KEYS_MAX = 65_536;

async function verificationKey(header: ProtectedHeader, resolveKey: KeyResolver): Promise<CryptoKey> {
  const resolved = await resolveKey(header.kid);
  if (resolved === undefined) {
    throw new SiloError('ERR_UNKNOWN_KEY', `key ${header.kid} is not enrolled or has been revoked`);
  }
  const jwk = parsePublicJwk(resolved);
  const cacheKey = `${header.alg} ${header.kid} ${jwk.x}`;
  const cached = importedKeys.get(cacheKey);
  if (cached !== undefined) return cached;
  // The kid names the key by its thumbprint; a resolver that maps it to another key is a bug
  // that would attribute signatures to the wrong worker.
  if (thumbprintOf(jwk) !== header.kid) {
    throw new SiloError('ERR_UNKNOWN_KEY', `the key found for kid ${header.kid} has a different thumbprint`);
  }
  // A CryptoKey, never raw bytes: jose treats bytes as an HMAC secret.
  const key = await importJWK({ ...jwk }, header.alg);
  if (key instanceof Uint8Array)
    throw new SiloError('ERR_INTERNAL', 'jose imported an Ed25519 JWK as a secret');
  if (importedKeys.size >= IMPORTED_KEYS_MAX) importedKeys.clear();
  importedKeys.set(cacheKey, key);
  return key;
}

function parseJson(encoded: string, what: string, code: 'ERR_BAD_SIGNATURE' | 'ERR_BAD_MANIFEST'): unknown {
  const bytes = decodeBase64url(encoded, `JWS ${what}`, code);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (cause) {
    throw new SiloError(code, `JWS ${what} is not UTF-8 JSON`, { cause });
  }
}
