import { generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ENTRIES_FILE,
  LedgerStore,
  ed25519PublicKeyRaw,
  formatVerifierKey,
  verifyLedgerDir,
} from '@silo/ledger';
import { frameRecord } from './ledger.fixture.js';
import { RecordReader } from './record-reader.js';

const VKEY = formatVerifierKey('silo.test', ed25519PublicKeyRaw(generateKeyPairSync('ed25519').publicKey));
const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'silo-records-'));
  path = join(dir, ENTRIES_FILE);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(): Promise<{ payloads: string[]; reader: RecordReader }> {
  const reader = await RecordReader.open(path);
  const payloads: string[] = [];
  try {
    for (let p = await reader.next(); p !== undefined; p = await reader.next()) {
      payloads.push(Buffer.from(p).toString());
    }
  } finally {
    await reader.close();
  }
  return { payloads, reader };
}

describe('RecordReader', () => {
  it('reads what LedgerStore wrote, in order', async () => {
    const store = await LedgerStore.open(dir);
    for (const e of ['a', '', 'ccc']) await store.append(enc(e));
    await store.close();
    const { payloads, reader } = await readAll();
    expect(payloads).toEqual(['a', '', 'ccc']);
    expect(reader.count).toBe(3);
    expect(reader.tail).toBeUndefined();
  });

  it.each([
    ['partial length prefix', Buffer.from([0, 0])],
    ['record runs past end of file', frameRecord(enc('torn')).subarray(0, 10)],
    ['record checksum mismatch', Buffer.concat([frameRecord(enc('bad')).subarray(0, 38), Buffer.from([0])])],
  ])('stops at a damaged tail (%s), as the ledger does', async (reason, damage) => {
    await writeFile(path, frameRecord(enc('good')));
    await appendFile(path, damage);
    const { payloads, reader } = await readAll();
    expect(payloads).toEqual(['good']);
    expect(reader.tail).toEqual({ offset: 40, bytes: damage.length, reason });
    // The ledger's own scanner finds the same damage at the same place.
    const ledger = await verifyLedgerDir(dir, VKEY, 'silo.test');
    expect(ledger.size).toBe(1);
    expect(ledger.warnings).toContainEqual(expect.stringContaining(`(${reason} at byte 40)`));
  });

  it('does not trust a garbled length prefix', async () => {
    await writeFile(path, Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.alloc(64)]));
    const { payloads, reader } = await readAll();
    expect(payloads).toEqual([]);
    expect(reader.tail?.reason).toBe('record runs past end of file');
  });

  it('reads a missing file as empty and says so', async () => {
    const { payloads, reader } = await readAll();
    expect(payloads).toEqual([]);
    expect(reader.exists).toBe(false);
  });
});
