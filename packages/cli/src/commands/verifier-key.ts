import { readFile } from 'node:fs/promises';
import { SiloError } from '@silo/common';

/** Reads a verifier key given inline (`name+hash+key`) or as a file holding one. */
export async function verifierKeyArgument(value: string): Promise<string> {
  if (/^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/.test(value)) return value;
  try {
    return (await readFile(value, 'utf8')).trim();
  } catch (err) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `${value} is neither a verifier key (name+hash+key) nor a readable file`,
      {
        cause: err,
      },
    );
  }
}
