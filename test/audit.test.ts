import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRIES_FILE, LedgerStore, ed25519PublicKeyRaw, formatVerifierKey } from '@silo/ledger';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const SILO = join(import.meta.dirname, '../packages/cli/bin/silo.js');
const ORIGIN = 'silo.test/ledger';

async function audit(dir: string, key: string): Promise<{ code: number; stdout: string }> {
  return run(process.execPath, [
    SILO,
    'audit',
    'verify',
    '--dir',
    dir,
    '--key',
    key,
    '--origin',
    ORIGIN,
  ]).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
  );
}

describe('silo audit verify', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let verifierKey: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    verifierKey = formatVerifierKey('silo.test', ed25519PublicKeyRaw(publicKey));
    const store = await LedgerStore.open(dir);
    for (let i = 0; i < 5; i++) await store.append(new TextEncoder().encode(`entry ${i}`));
    await store.checkpoint(ORIGIN, { name: 'silo.test', privateKey });
    await store.append(new TextEncoder().encode('entry 5'));
    await store.checkpoint(ORIGIN, { name: 'silo.test', privateKey });
    await store.close();
  });
  afterAll(async () => {
    await cleanup();
  });

  it('accepts an intact ledger, with the key given inline or as a file', async () => {
    const inline = await audit(dir, verifierKey);
    expect(inline.code).toBe(0);
    expect(inline.stdout).toMatch(/^OK: 6 entries, 2 checkpoints, verified up to 6/);
    const keyFile = join(dir, 'verifier.key');
    await writeFile(keyFile, `${verifierKey}\n`);
    expect((await audit(dir, keyFile)).code).toBe(0);
  });

  it('refuses a ledger with one entry rewritten, or checked with another key', async () => {
    const other = formatVerifierKey(
      'silo.test',
      ed25519PublicKeyRaw(generateKeyPairSync('ed25519').publicKey),
    );
    const wrongKey = await audit(dir, other);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(/^FAILED/);

    const path = join(dir, ENTRIES_FILE);
    const bytes = await readFile(path);
    const at = bytes.indexOf('entry 2');
    bytes[at + 6] = '9'.charCodeAt(0);
    await writeFile(path, bytes);
    const tampered = await audit(dir, verifierKey);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/^FAILED/);
    expect(tampered.stdout).toMatch(/problem: /);
  });
});
