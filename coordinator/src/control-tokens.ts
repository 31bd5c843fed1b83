import { createHash, createPublicKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import { SiloError } from '@silo/common';
import type { PublicJwk, SigningKey } from '@silo/signing';

/** The roles of the control plane. Which routes each may call is declared on the routes. */
export const ROLES = ['admin', 'model-team', 'auditor', 'monitor'] as const;

/**
 * A control-plane role: `admin` (everything), `model-team` (runs), `auditor` (the ledger,
 * read-only), `monitor` (the Prometheus metrics only, for a scraper).
 */
export type Role = (typeof ROLES)[number];

/** The `aud` of every control-plane token, so no other JWT the coordinator's key signs passes. */
export const CONTROL_PLANE_AUDIENCE = 'silo-control-plane';

/** The JWS `typ` of a control-plane token (RFC 8725 §3.11 explicit typing). */
export const CONTROL_TOKEN_TYP = 'silo-control+jwt';

/** Longest lifetime a token may be issued with. */
export const MAX_TOKEN_TTL_MS = 366 * 24 * 60 * 60 * 1000;

/** Lifetime of a token when none is asked for. */
export const DEFAULT_TOKEN_TTL = '24h';

/** Clock skew tolerated between the issuer and the verifier, in seconds. */
export const CLOCK_TOLERANCE_S = 30;

const MAX_SUBJECT_LENGTH = 200;
const TTL_UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The claims of a verified control-plane token. */
export interface ControlTokenClaims {
  /** Who the token is for. */
  sub: string;
  role: Role;
  /** Issued at and expiry, in seconds since the epoch. */
  iat: number;
  exp: number;
  /** Unique id of the token, for the issuer's log. */
  jti: string;
  /** The coordinator's ledger name. */
  iss: string;
  aud: typeof CONTROL_PLANE_AUDIENCE;
}

/** Who is calling the control plane, once authenticated. */
export interface Principal {
  subject: string;
  role: Role;
  /** The token's `jti`; absent for the bootstrap secret. */
  tokenId?: string;
}

/** Turns the bearer credential of a request into a principal, or throws `ERR_UNAUTHENTICATED`. */
export type Authenticator = (bearer: string) => Promise<Principal>;

/** What to issue a token for. */
export interface MintOptions {
  /** The coordinator's ledger name, written as `iss`. */
  issuer: string;
  role: Role;
  subject: string;
  ttlMs: number;
  /** Issue time in milliseconds since the epoch; default now. Tests pass a past time. */
  nowMs?: number;
}

/**
 * Reads a role name.
 *
 * @throws SiloError ERR_BAD_INPUT naming the roles that exist.
 */
export function parseRole(value: unknown): Role {
  if (typeof value === 'string' && (ROLES as readonly string[]).includes(value)) return value as Role;
  throw new SiloError(
    'ERR_BAD_INPUT',
    `role must be one of ${ROLES.join(', ')}; got ${JSON.stringify(value)}`,
  );
}

/**
 * Reads who a token is for: 1–200 printable characters.
 *
 * @throws SiloError ERR_BAD_INPUT otherwise.
 */
export function parseSubject(value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value)) {
    throw new SiloError('ERR_BAD_INPUT', 'subject must be printable ASCII text naming who the token is for');
  }
  if (value.length > MAX_SUBJECT_LENGTH) {
    throw new SiloError('ERR_BAD_INPUT', `subject is longer than ${MAX_SUBJECT_LENGTH} characters`);
  }
  return value;
}

/**
 * Reads a lifetime such as `90s`, `30m`, `24h` or `7d` into milliseconds.
 *
 * @throws SiloError ERR_BAD_INPUT for another form, zero, or more than {@link MAX_TOKEN_TTL_MS}.
 */
export function parseTtl(text: unknown): number {
  const match = typeof text === 'string' ? /^([1-9][0-9]{0,14})([smhd])$/.exec(text) : null;
  if (match === null) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `ttl must be a whole number with a unit s, m, h or d, such as 30m, 24h or 7d; got ${JSON.stringify(text)}`,
    );
  }
  const ms = Number(match[1]) * (TTL_UNITS_MS[match[2] ?? ''] ?? Number.NaN);
  if (!(ms <= MAX_TOKEN_TTL_MS)) {
    throw new SiloError('ERR_BAD_INPUT', `ttl ${text as string} is longer than the maximum of 366d`);
  }
  return ms;
}

/**
 * Reads the body of `POST /v1/tokens`: `{ role, subject, ttl? }`, ttl defaulting to 24h.
 *
 * @throws SiloError ERR_BAD_INPUT naming the bad field.
 */
export function parseTokenRequest(body: unknown): { role: Role; subject: string; ttlMs: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SiloError('ERR_BAD_INPUT', 'a token request is a JSON object { role, subject, ttl }');
  }
  const { role, subject, ttl, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw new SiloError('ERR_BAD_INPUT', `token request has unknown field '${unknown}'`);
  return { role: parseRole(role), subject: parseSubject(subject), ttlMs: parseTtl(ttl ?? DEFAULT_TOKEN_TTL) };
}

/**
 * Issues a control-plane token: a compact JWS (`alg: EdDSA`, `typ: silo-control+jwt`) signed by
 * `key`, which stays non-extractable. The claims are returned beside the token for the caller's log.
 */
export async function mintControlToken(
  key: SigningKey,
  options: MintOptions,
): Promise<{ token: string; claims: ControlTokenClaims }> {
  const ttlMs = options.ttlMs;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1000 || ttlMs > MAX_TOKEN_TTL_MS) {
    throw new SiloError('ERR_BAD_INPUT', 'ttl must be between one second and 366 days');
  }
  const iat = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const claims: ControlTokenClaims = {
    sub: parseSubject(options.subject),
    role: parseRole(options.role),
    iat,
    exp: iat + Math.ceil(ttlMs / 1000),
    jti: randomBytes(16).toString('base64url'),
    iss: options.issuer,
    aud: CONTROL_PLANE_AUDIENCE,
  };
  const jws = await key.sign(CONTROL_TOKEN_TYP, claims);
  // A compact JWS is the flattened one's three parts joined by dots.
  return { token: `${jws.protected}.${jws.payload}.${jws.signature}`, claims };
}

/**
 * Checks the claims of a token whose signature already verified: every claim present with the
 * right type, the issuer and audience this coordinator's, a known role, and a lifetime no longer
 * than {@link MAX_TOKEN_TTL_MS}.
 *
 * @throws SiloError ERR_UNAUTHENTICATED naming the bad claim.
 */
export function parseControlClaims(payload: unknown, issuer: string): ControlTokenClaims {
  const bad = (reason: string): SiloError => new SiloError('ERR_UNAUTHENTICATED', `token refused: ${reason}`);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw bad('no claims');
  const { sub, role, iat, exp, jti, iss, aud } = payload as Record<string, unknown>;
  if (iss !== issuer) throw bad(`issuer ${JSON.stringify(iss)} is not this coordinator (${issuer})`);
  if (aud !== CONTROL_PLANE_AUDIENCE) throw bad(`audience is not ${CONTROL_PLANE_AUDIENCE}`);
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw bad(`unknown role ${JSON.stringify(role)}`);
  }
  if (typeof sub !== 'string' || sub === '' || sub.length > MAX_SUBJECT_LENGTH) throw bad('no valid sub');
  if (typeof jti !== 'string' || jti === '') throw bad('no jti');
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp))
    throw bad('iat and exp must be whole seconds');
  const lifetimeS = (exp as number) - (iat as number);
  if (lifetimeS <= 0) throw bad('exp is not after iat');
  if (lifetimeS * 1000 > MAX_TOKEN_TTL_MS) throw bad('lifetime is longer than 366 days');
  return { sub, role: role as Role, iat: iat as number, exp: exp as number, jti, iss, aud };
}

/**
 * Verifies a control-plane token against the coordinator's public key: EdDSA only, the
 * explicit `typ`, issuer, audience, `exp` required (with {@link CLOCK_TOLERANCE_S} of skew),
 * `iat` not in the future, then {@link parseControlClaims}.
 *
 * @throws SiloError ERR_UNAUTHENTICATED with the reason: expired, bad signature, algorithm not
 *   allowed, a bad claim, or not a JWS at all.
 */
export async function verifyControlToken(
  token: string,
  options: { publicKey: KeyObject; issuer: string; now?: Date },
): Promise<ControlTokenClaims> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, options.publicKey, {
      algorithms: ['EdDSA'],
      typ: CONTROL_TOKEN_TYP,
      issuer: options.issuer,
      audience: CONTROL_PLANE_AUDIENCE,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      clockTolerance: CLOCK_TOLERANCE_S,
      // Makes jose refuse an iat in the future; lifetimes are capped in parseControlClaims.
      maxTokenAge: MAX_TOKEN_TTL_MS / 1000,
      ...(options.now === undefined ? {} : { currentDate: options.now }),
    }));
  } catch (err) {
    throw tokenError(err);
  }
  return parseControlClaims(payload, options.issuer);
}

/**
 * The control plane's authenticator: the bootstrap secret (the config's `apiToken`) is admin;
 * anything else must be a token this coordinator signed.
 */
export function controlPlaneAuthenticator(options: {
  bootstrapSecret: string;
  publicJwk: PublicJwk;
  issuer: string;
}): Authenticator {
  const secretDigest = sha256(options.bootstrapSecret);
  // A KeyObject, never raw bytes: jose would treat bytes as an HMAC secret.
  const publicKey = createPublicKey({ key: { ...options.publicJwk }, format: 'jwk' });
  return async (bearer) => {
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    if (timingSafeEqual(sha256(bearer), secretDigest)) return { subject: 'bootstrap', role: 'admin' };
    if (!/^[\w-]+\.[\w-]*\.[\w-]*$/.test(bearer)) {
      throw new SiloError(
        'ERR_UNAUTHENTICATED',
        'invalid bearer token: neither the bootstrap secret nor a signed token',
      );
    }
    const claims = await verifyControlToken(bearer, { publicKey, issuer: options.issuer });
    return { subject: claims.sub, role: claims.role, tokenId: claims.jti };
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Maps what jose throws to a 401 with the reason; anything else is a bug, not a bad token. */
function tokenError(err: unknown): SiloError {
  const { code, message, claim } = err as { code?: unknown; message?: unknown; claim?: unknown };
  const detail = typeof message === 'string' ? message : String(err);
  const refuse = (reason: string): SiloError => new SiloError('ERR_UNAUTHENTICATED', reason, { cause: err });
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return refuse(claim === 'iat' ? 'token expired: issued too long ago' : 'token expired');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return refuse("token signature does not verify against this coordinator's key");
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return refuse('token algorithm is not allowed: only EdDSA tokens signed by this coordinator are');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return refuse(`token refused: ${typeof claim === 'string' ? `claim '${claim}': ` : ''}${detail}`);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return refuse(`malformed token: ${detail}`);
    default:
      return new SiloError('ERR_INTERNAL', `verifying a token failed: ${detail}`, { cause: err });
  }
}
