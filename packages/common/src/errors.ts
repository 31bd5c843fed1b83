/**
 * Every error code Silo raises. Codes cross process and queue boundaries as strings,
 * so callers compare `err.code`, never `instanceof`.
 */
export type SiloErrorCode =
  | 'ERR_BAD_CONFIG'
  | 'ERR_BAD_INPUT'
  | 'ERR_BAD_SIGNATURE'
  | 'ERR_BAD_MANIFEST'
  | 'ERR_UNKNOWN_KEY'
  | 'ERR_WRONG_RUN'
  | 'ERR_STALE_ROUND'
  | 'ERR_BAD_NONCE'
  | 'ERR_REPLAYED_NONCE'
  | 'ERR_BASE_MISMATCH'
  | 'ERR_DIGEST_MISMATCH'
  | 'ERR_LEDGER_CORRUPT'
  | 'ERR_SHAPE_MISMATCH'
  | 'ERR_TOO_LARGE'
  | 'ERR_STREAM'
  | 'ERR_NOT_FOUND'
  | 'ERR_CONFLICT'
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_FORBIDDEN'
  | 'ERR_POLICY'
  | 'ERR_UNAVAILABLE'
  | 'ERR_TIMEOUT'
  | 'ERR_CANCELLED'
  | 'ERR_INTERNAL';

/** All codes, for validation of codes arriving from another process. */
export const SILO_ERROR_CODES: readonly SiloErrorCode[] = [
  'ERR_BAD_CONFIG',
  'ERR_BAD_INPUT',
  'ERR_BAD_SIGNATURE',
  'ERR_BAD_MANIFEST',
  'ERR_UNKNOWN_KEY',
  'ERR_WRONG_RUN',
  'ERR_STALE_ROUND',
  'ERR_BAD_NONCE',
  'ERR_REPLAYED_NONCE',
  'ERR_BASE_MISMATCH',
  'ERR_DIGEST_MISMATCH',
  'ERR_LEDGER_CORRUPT',
  'ERR_SHAPE_MISMATCH',
  'ERR_TOO_LARGE',
  'ERR_STREAM',
  'ERR_NOT_FOUND',
  'ERR_CONFLICT',
  'ERR_UNAUTHENTICATED',
  'ERR_FORBIDDEN',
  'ERR_POLICY',
  'ERR_UNAVAILABLE',
  'ERR_TIMEOUT',
  'ERR_CANCELLED',
  'ERR_INTERNAL',
];

/** The one error class of Silo: a stable string code, a message a person can act on, and a cause. */
export class SiloError extends Error {
  override readonly name = 'SiloError';
  readonly code: SiloErrorCode;

  constructor(code: SiloErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `value` is a known Silo error code. */
export function isSiloErrorCode(value: unknown): value is SiloErrorCode {
  return typeof value === 'string' && (SILO_ERROR_CODES as readonly string[]).includes(value);
}

/** Wraps anything thrown into a SiloError, keeping an existing code. */
export function toSiloError(err: unknown, fallback: SiloErrorCode = 'ERR_INTERNAL'): SiloError {
  if (err instanceof SiloError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (isSiloErrorCode(code)) return new SiloError(code, message, { cause: err });
  return new SiloError(isConnectionLoss(err) ? 'ERR_UNAVAILABLE' : fallback, message, { cause: err });
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
]);

/**
 * True for errors that mean a backing service (Redis, a peer) is unreachable right now, so the
 * caller may retry: socket errors, and the Redis client's "gave up on this command" errors.
 */
function isConnectionLoss(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    err.message === 'Connection is closed.' ||
    err.message.startsWith("Stream isn't writeable")
  );
}

/** gRPC status numbers (from the gRPC spec) for each code; the one place this mapping lives. */
const GRPC_STATUS: Record<SiloErrorCode, number> = {
  ERR_BAD_CONFIG: 3,
  ERR_BAD_INPUT: 3,
  ERR_BAD_SIGNATURE: 16,
  ERR_BAD_MANIFEST: 3,
  ERR_UNKNOWN_KEY: 16,
  ERR_WRONG_RUN: 9,
  ERR_STALE_ROUND: 9,
  ERR_BAD_NONCE: 9,
  ERR_REPLAYED_NONCE: 6,
  ERR_BASE_MISMATCH: 9,
  ERR_DIGEST_MISMATCH: 3,
  // DATA_LOSS: stored history is damaged and cannot be repaired without rewriting it.
  ERR_LEDGER_CORRUPT: 15,
  ERR_SHAPE_MISMATCH: 3,
  ERR_TOO_LARGE: 8,
  ERR_STREAM: 3,
  ERR_NOT_FOUND: 5,
  ERR_CONFLICT: 6,
  ERR_UNAUTHENTICATED: 16,
  ERR_FORBIDDEN: 7,
  // PERMISSION_DENIED: a data owner's policy forbids what was asked.
  ERR_POLICY: 7,
  ERR_UNAVAILABLE: 14,
  ERR_TIMEOUT: 4,
  ERR_CANCELLED: 1,
  ERR_INTERNAL: 13,
};

/** HTTP status for each code. */
const HTTP_STATUS: Record<SiloErrorCode, number> = {
  ERR_BAD_CONFIG: 400,
  ERR_BAD_INPUT: 400,
  ERR_BAD_SIGNATURE: 401,
  ERR_BAD_MANIFEST: 400,
  ERR_UNKNOWN_KEY: 401,
  ERR_WRONG_RUN: 409,
  ERR_STALE_ROUND: 409,
  ERR_BAD_NONCE: 409,
  ERR_REPLAYED_NONCE: 409,
  ERR_BASE_MISMATCH: 409,
  ERR_DIGEST_MISMATCH: 400,
  ERR_LEDGER_CORRUPT: 500,
  ERR_SHAPE_MISMATCH: 400,
  ERR_TOO_LARGE: 413,
  ERR_STREAM: 400,
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_POLICY: 403,
  ERR_UNAVAILABLE: 503,
  ERR_TIMEOUT: 504,
  ERR_CANCELLED: 499,
  ERR_INTERNAL: 500,
};

/** The gRPC status number a code travels as. */
export function grpcStatusOf(code: SiloErrorCode): number {
  return GRPC_STATUS[code];
}

/** The HTTP status a code is answered with. */
export function httpStatusOf(code: SiloErrorCode): number {
  return HTTP_STATUS[code];
}
