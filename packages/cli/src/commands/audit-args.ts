import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { SiloError, toSiloError } from '@silo/common';
import { parseVerifierKey } from '@silo/ledger';
import { parsePublicJwk, type PublicJwk } from '@silo/signing';

// Arguments of `silo audit …`, read and checked before any audit work starts, so a bad one
// exits 2 with a message rather than looking like a ledger that failed its audit.

/** The audit ran and passed. */
export const EXIT_OK = 0;
/** The audit ran and found problems, or a proof did not verify. */
export const EXIT_FAILED = 1;
/** Bad arguments, or an input (key, JWKS, directory) that cannot be read. */
export const EXIT_USAGE = 2;

const INLINE_VERIFIER_KEY = /^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/;

/**
 * The coordinator's verifier key, given inline (`name+hash+key`) or as a file holding it.
 *
 * @throws SiloError ERR_BAD_INPUT when the file cannot be read or the key does not parse.
 */
export async function readVerifierKey(value: string): Promise<string> {
  let text = value;
  if (!INLINE_VERIFIER_KEY.test(value)) {
    try {
      text = (await readFile(value, 'utf8')).trim();
    } catch (err) {
      throw new SiloError(
        'ERR_BAD_INPUT',
        `cannot read the coordinator key file ${value}: ${messageOf(err)}`,
        {
          cause: err,
        },
      );
    }
  }
  try {
    parseVerifierKey(text);
  } catch (err) {
    throw new SiloError('ERR_BAD_INPUT', `bad coordinator key: ${messageOf(err)}`, { cause: err });
  }
  return text;
}

/**
 * Trusted worker keys from a JWKS file, `{ "keys": [ jwk, … ] }`.
 *
 * @throws SiloError ERR_BAD_INPUT naming the file and, for a bad key, its position.
 */
export async function readWorkerKeys(path: string): Promise<PublicJwk[]> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (err) {
    throw new SiloError('ERR_BAD_INPUT', `cannot read the JWKS file ${path}: ${messageOf(err)}`, {
      cause: err,
    });
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) {
    throw new SiloError('ERR_BAD_INPUT', `${path} is not a JWKS: expected { "keys": [ … ] }`);
  }
  return keys.map((jwk: unknown, i) => {
    try {
      return parsePublicJwk(jwk);
    } catch (err) {
      throw new SiloError('ERR_BAD_INPUT', `${path}: keys[${i}]: ${messageOf(err)}`, { cause: err });
    }
  });
}

/** Commander parser of an entry index or tree size. */
export function count(value: string): number {
  const n = Number(value);
  if (!/^(?:0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('not a non-negative integer');
  }
  return n;
}

function messageOf(err: unknown): string {
  return toSiloError(err).message;
}
