import { generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { signCheckpoint } from './checkpoint.js';
import { MerkleTree, leafHash } from './merkle.js';
import { ed25519PublicKeyRaw, formatVerifierKey } from './note.js';
import { encodeRecord, scanRecords } from './records.js';
import { CHECKPOINTS_FILE, ENTRIES_FILE, LedgerStore } from './store.js';
import { verifyLedgerDir } from './verify.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const ORIGIN = 'silo.example/audit-test';
const { privateKey } = generateKeyPairSync('ed25519');
const signer = { name: ORIGIN, privateKey };
const VKEY = formatVerifierKey(ORIGIN, ed25519PublicKeyRaw(privateKey));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'silo-audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A ledger with checkpoints at sizes 3 and 5 and one unsigned entry after them. */
async function healthyLedger(): Promise<void> {
  const store = await LedgerStore.open(dir);
  for (let i = 0; i < 3; i++) await store.append(enc(`e${i}`));
  await store.checkpoint(ORIGIN, signer);
  for (let i = 3; i < 5; i++) await store.append(enc(`e${i}`));
  await store.checkpoint(ORIGIN, signer);
  await store.append(enc('e5'));
  await store.sync();
  await store.close();
}

/** A checkpoint note for the log made of `entries`, signed by the test key. */
function checkpointFor(entries: readonly string[], by = signer, origin = ORIGIN): string {
  const tree = MerkleTree.from(entries.map((e) => leafHash(enc(e))));
  return signCheckpoint({ origin, size: tree.size, root: tree.root() }, by);
}

async function writeCheckpoints(notes: readonly string[]): Promise<void> {
  await writeFile(join(dir, CHECKPOINTS_FILE), Buffer.concat(notes.map((n) => encodeRecord(enc(n)))));
}

describe('verifyLedgerDir', () => {
  it('passes a healthy ledger and notes the unsigned tail', async () => {
    await healthyLedger();
    const audit = await verifyLedgerDir(dir, VKEY, ORIGIN);
    expect(audit).toMatchObject({ ok: true, size: 6, checkpoints: 2, verifiedSize: 5, problems: [] });
    expect(audit.warnings).toEqual(['1 entries after the latest checkpoint are not yet signed']);
  });

  it('finds an entry rewritten under a checkpoint, even with a valid record checksum', async () => {
    await healthyLedger();
    const path = join(dir, ENTRIES_FILE);
    const payloads = scanRecords(await readFile(path)).records.map((r) => r.payload);
    payloads[1] = enc('forged');
    await writeFile(path, Buffer.concat(payloads.map(encodeRecord)));
    const audit = await verifyLedgerDir(dir, VKEY, ORIGIN);
    expect(audit.ok).toBe(false);
    expect(audit.problems).toEqual([
      'checkpoint 0 (size 3): root does not match the entries',
      'checkpoint 1 (size 5): root does not match the entries',
    ]);
  });

  it('reports checkpoints by another key or for another origin', async () => {
    await healthyLedger();
    const stranger = { name: ORIGIN, privateKey: generateKeyPairSync('ed25519').privateKey };
    const entries = ['e0', 'e1', 'e2', 'e3'];
    await writeCheckpoints([
      checkpointFor(entries, stranger),
      checkpointFor(entries, signer, 'silo.example/other'),
    ]);
    const audit = await verifyLedgerDir(dir, VKEY, ORIGIN);
    expect(audit.ok).toBe(false);
    expect(audit.verifiedSize).toBeUndefined();
    expect(audit.problems[0]).toMatch(/^checkpoint 0: note has no signature by a trusted key/);
    expect(audit.problems[1]).toMatch(/^checkpoint 1: checkpoint is for origin "silo.example\/other"/);
  });

  it('reports a rollback and a checkpoint beyond the entries', async () => {
    await healthyLedger();
    const all = ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'];
    await writeCheckpoints([
      checkpointFor(all.slice(0, 5)),
      checkpointFor(all.slice(0, 2)),
      checkpointFor([...all, 'e6']),
    ]);
    const audit = await verifyLedgerDir(dir, VKEY, ORIGIN);
    expect(audit.problems).toEqual([
      'checkpoint 1 (size 2): rolls the log back from size 5',
      'checkpoint 2 (size 7): covers more entries than the 6 intact ones in entries.log',
    ]);
  });

  it('reports a signed fork: successive checkpoints that are not consistent', async () => {
    await healthyLedger();
    // The key also signed size 4 of a different history; the entries match only the later one.
    await writeCheckpoints([
      checkpointFor(['e0', 'x1', 'e2', 'e3']),
      checkpointFor(['e0', 'e1', 'e2', 'e3', 'e4']),
    ]);
    const audit = await verifyLedgerDir(dir, VKEY, ORIGIN);
    expect(audit.problems).toHaveLength(2);
    expect(audit.problems[0]).toBe('checkpoint 0 (size 4): root does not match the entries');
    expect(audit.problems[1]).toMatch(
      /^checkpoint 1 \(size 5\): not consistent with the checkpoint at size 4/,
    );
  });

  it('warns about a torn tail without changing the directory', async () => {
    await healthyLedger();
    const path = join(dir, ENTRIES_FILE);
    await appendFile(path, Uint8Array.of(0, 0, 1));
    const before = (await stat(path)).size;
    const audit = await verifyLedgerDir(dir, VKEY, ORIGIN);
    expect(audit.ok).toBe(true);
    expect(audit.warnings[0]).toMatch(/3 bytes after 6 intact entries are damaged \(partial length prefix/);
    expect((await stat(path)).size).toBe(before);
  });

  it('warns when nothing is signed, and rejects a missing directory or a bad key', async () => {
    const store = await LedgerStore.open(dir);
    await store.append(enc('only'));
    await store.close();
    const audit = await verifyLedgerDir(dir, VKEY, ORIGIN);
    expect(audit).toMatchObject({ ok: true, size: 1, checkpoints: 0, verifiedSize: undefined });
    expect(audit.warnings).toEqual(['no checkpoints: no entry is attested by a signature']);
    await expect(verifyLedgerDir(join(dir, 'nope'), VKEY, ORIGIN)).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
    await expect(verifyLedgerDir(dir, `${VKEY}x`, ORIGIN)).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
  });
});
