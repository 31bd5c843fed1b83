import { generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { formatCheckpoint, verifyCheckpoint } from './checkpoint.js';
import { leafHash } from './merkle.js';
import { verifyConsistency, verifyInclusion } from './merkle-verify.js';
import { ed25519PublicKeyRaw, formatVerifierKey, parseVerifierKey } from './note.js';
import { encodeRecord, scanRecords } from './records.js';
import { CHECKPOINTS_FILE, ENTRIES_FILE, LedgerStore } from './store.js';
import type { TruncationEvent } from './store-io.js';

const withCode = (code: string): unknown => expect.objectContaining({ code });
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ORIGIN = 'silo.example/ledger-test';
const { privateKey } = generateKeyPairSync('ed25519');
const signer = { name: ORIGIN, privateKey };
const verifierKey = parseVerifierKey(formatVerifierKey(ORIGIN, ed25519PublicKeyRaw(privateKey)));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'silo-ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function filled(n: number): Promise<LedgerStore> {
  const store = await LedgerStore.open(dir);
  for (let i = 0; i < n; i++) await store.append(enc(`entry ${i}`));
  return store;
}

async function reopen(events: TruncationEvent[] = []): Promise<LedgerStore> {
  return LedgerStore.open(dir, { onTruncate: (e) => events.push(e) });
}

describe('LedgerStore', () => {
  it('appends, survives reopen, and reads entries back', async () => {
    const store = await filled(9);
    const result = await store.append(enc('tenth'));
    expect(result.index).toBe(9);
    expect(hex(result.leafHash)).toBe(hex(leafHash(enc('tenth'))));
    const root = hex(store.root());
    await store.sync();
    await store.close();

    const again = await reopen();
    expect(again.size).toBe(10);
    expect(hex(again.root())).toBe(root);
    expect(Buffer.from(await again.entry(3)).toString()).toBe('entry 3');
    expect(Buffer.from(await again.entry(9)).toString()).toBe('tenth');
    await expect(again.entry(10)).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
    await again.close();
    await expect(again.append(enc('late'))).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
  });

  it('keeps file order, indices and tree order in step under concurrent appends', async () => {
    const store = await LedgerStore.open(dir);
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => store.append(enc(`c${i}`))));
    expect(results.map((r) => r.index)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    for (let i = 0; i < 25; i++) expect(Buffer.from(await store.entry(i)).toString()).toBe(`c${i}`);
    await store.close();
    const again = await reopen();
    expect(hex(again.root())).toBe(hex(store.root()));
    await again.close();
  });

  it('serves proofs that verify against its roots', async () => {
    const store = await filled(13);
    for (const size of [1, 6, 8, 13]) {
      for (let i = 0; i < size; i++) {
        verifyInclusion(store.leafHash(i), i, size, store.inclusionProof(i, size), store.root(size));
      }
      for (let old = 1; old <= size; old++) {
        verifyConsistency(old, size, store.consistencyProof(old, size), store.root(old), store.root(size));
      }
    }
    await store.close();
  });

  it('cuts a torn tail at every possible crash point, reports it, and keeps working', async () => {
    const store = await filled(3);
    await store.close();
    const good = await readFile(join(dir, ENTRIES_FILE));
    const record = encodeRecord(enc('the fourth entry'));
    for (let cut = 1; cut < record.length; cut++) {
      await writeFile(join(dir, ENTRIES_FILE), Buffer.concat([good, record.subarray(0, cut)]));
      const events: TruncationEvent[] = [];
      const again = await reopen(events);
      expect(again.size).toBe(3);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ offset: good.length, bytes: cut, keptRecords: 3 });
      expect((await stat(join(dir, ENTRIES_FILE))).size).toBe(good.length);
      expect(await readFile((events[0] as TruncationEvent).savedTo)).toEqual(record.subarray(0, cut));
      await again.close();
    }
    const again = await reopen();
    await again.append(enc('after repair'));
    await again.close();
    const last = await reopen();
    expect(last.size).toBe(4);
    expect(Buffer.from(await last.entry(3)).toString()).toBe('after repair');
    await last.close();
  });

  it('cuts a whole-length tail that fails its checksum (zero-filled or garbled)', async () => {
    const store = await filled(2);
    await store.close();
    const record = encodeRecord(enc('garbled'));
    record.writeUInt8(record.readUInt8(record.length - 1) ^ 1, record.length - 1);
    await appendFile(join(dir, ENTRIES_FILE), Buffer.concat([record, Buffer.alloc(40)]));
    const events: TruncationEvent[] = [];
    const again = await reopen(events);
    expect(again.size).toBe(2);
    expect(events[0]?.reason).toMatch(/checksum/);
    expect(events[0]?.bytes).toBe(record.length + 40);
    await again.close();
  });

  it('refuses to cut below the latest checkpoint, and leaves the files untouched', async () => {
    const store = await filled(5);
    await store.checkpoint(ORIGIN, signer);
    await store.close();
    const path = join(dir, ENTRIES_FILE);
    const full = (await stat(path)).size;
    await truncate(path, full - 3); // the fifth entry, covered by the checkpoint, is now torn
    const events: TruncationEvent[] = [];
    await expect(reopen(events)).rejects.toMatchObject({ code: 'ERR_LEDGER_CORRUPT' });
    expect(events).toEqual([]);
    expect((await stat(path)).size).toBe(full - 3);
    expect((await readdir(dir)).filter((f) => f.includes('.torn-'))).toEqual([]);
  });

  it('refuses to open when a rewritten entry no longer matches a checkpoint', async () => {
    const store = await filled(4);
    await store.checkpoint(ORIGIN, signer);
    await store.close();
    const path = join(dir, ENTRIES_FILE);
    const records = scanRecords(await readFile(path)).records.map((r) => r.payload);
    records[1] = enc('entry one, rewritten with a fresh checksum');
    await writeFile(path, Buffer.concat(records.map(encodeRecord)));
    await expect(reopen()).rejects.toMatchObject({ code: 'ERR_LEDGER_CORRUPT' });
  });

  it('signs checkpoints after syncing, stores them, and keeps them across reopen', async () => {
    const store = await filled(6);
    const note = await store.checkpoint(ORIGIN, signer);
    const cp = verifyCheckpoint(note, verifierKey, ORIGIN);
    expect(cp.size).toBe(6);
    expect(hex(cp.root)).toBe(hex(store.root()));
    await store.append(enc('seventh'));
    await store.checkpoint(ORIGIN, signer);
    await store.close();
    const again = await reopen();
    expect(again.checkpoints().map((c) => c.size)).toEqual([6, 7]);
    expect(again.checkpoints()[0]?.note).toBe(note);
    await again.close();
  });

  it('rejects checkpoints the log cannot back', async () => {
    const store = await filled(4);
    const other = await LedgerStore.open(join(dir, 'other'));
    await other.append(enc('something else'));
    await expect(store.writeCheckpoint(await other.checkpoint(ORIGIN, signer))).rejects.toMatchObject({
      code: 'ERR_CONFLICT',
    });
    await other.close();
    const note4 = await store.checkpoint(ORIGIN, signer);
    await store.append(enc('fifth'));
    await store.checkpoint(ORIGIN, signer);
    await expect(store.writeCheckpoint(note4)).rejects.toMatchObject({ code: 'ERR_CONFLICT' }); // older
    await expect(store.writeCheckpoint('not a note')).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
    const unsigned = formatCheckpoint({ origin: ORIGIN, size: 5, root: store.root() });
    await expect(store.writeCheckpoint(`${unsigned}\n`)).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
    expect(store.checkpoints()).toHaveLength(2);
    await store.close();
  });

  it('cuts a torn checkpoint record without touching the entries', async () => {
    const store = await filled(2);
    await store.checkpoint(ORIGIN, signer);
    await store.close();
    await appendFile(join(dir, CHECKPOINTS_FILE), encodeRecord(enc('half a note')).subarray(0, 9));
    const events: TruncationEvent[] = [];
    const again = await reopen(events);
    expect(events.map((e) => e.file)).toEqual([join(dir, CHECKPOINTS_FILE)]);
    expect(again.checkpoints()).toHaveLength(1);
    expect(again.size).toBe(2);
    await again.close();
  });

  it('enforces the entry size limit', async () => {
    const store = await LedgerStore.open(dir, { maxEntryBytes: 8 });
    await expect(store.append(new Uint8Array(9))).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
    await store.append(new Uint8Array(8));
    expect(store.size).toBe(1);
    await store.close();
    expect(() => store.root(2)).toThrow(withCode('ERR_BAD_INPUT'));
    // A lower limit at the next open bounds new appends only; it must not read old entries as damage.
    const events: TruncationEvent[] = [];
    const again = await LedgerStore.open(dir, { maxEntryBytes: 4, onTruncate: (e) => events.push(e) });
    expect(again.size).toBe(1);
    expect(events).toEqual([]);
    await again.close();
  });
});
